"""English names of organisations: reviewed official names, else a translation, else pinyin.

`translate` translates (it loads jieba and pypinyin), `memo` keeps translations between builds, `data` reads
the seeds and the real registry for tests and benches. Importing the package itself loads none of them.
"""

TRANSLATED, ROMANISED, OFFICIAL = "translated", "romanised", "official"  # where an English name comes from
