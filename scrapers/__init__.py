"""Sources: one folder per source (`source.yml` + `crawl.py`), each importing only `regtrail.crawl.api`."""
