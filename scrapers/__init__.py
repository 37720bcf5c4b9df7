"""Sources: one folder per source (`source.yml` + `crawl.py`); `cac_lists` is the shared crawl of CAC list notices."""
