"""Parse time of notice and news pages of nested markup, 55 KB to 1.1 MB (regtrail/mirror/hostile_pages.py).

    .venv/bin/python bench/page_parse_bench.py [--repeat N] [--sizes 55000,220000,...]

Each page is parsed `--repeat` times (default 3) by `cac_pages.parse_notice` and `news_article.parse_article`;
the median is printed with the time per KB, which stays flat when parsing is linear in the page size. The
target is at most 2 s for a 1 MB page. Prints figures and writes them to docs/figures/page_parse_bench.json
(--no-record: print only); asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import figures  # noqa: E402
from regtrail.mirror import hostile_pages  # noqa: E402
from regtrail.parsers import cac_pages, news_article  # noqa: E402

SIZES = (55_000, 220_000, 550_000, 1_100_000)


def median_seconds(parse: Callable[[str, str], object], html: str, url: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        parse(html, url)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="page sizes in bytes, comma-separated")
    figures.add_option(parser)
    args = parser.parse_args(argv)
    recording = figures.start("page_parse_bench", args)
    per_kb: dict[str, list[float]] = {"parse_notice": [], "parse_article": []}
    largest: dict[str, float] = {}
    print(f"{'parser':<14}{'page KB':>9}{'median s':>10}{'ms per KB':>11}")
    for size in sorted(int(s) for s in args.sizes.split(",")):
        for name, html, url, parse in (
                ("parse_notice", hostile_pages.nested_notice(size), hostile_pages.NOTICE_URL, cac_pages.parse_notice),
                ("parse_article", hostile_pages.nested_article(size), hostile_pages.ARTICLE_URL,
                 news_article.parse_article)):
            seconds = median_seconds(parse, html, url, args.repeat)
            kb = len(html.encode()) / 1000
            print(f"{name:<14}{kb:>9.0f}{seconds:>10.2f}{seconds * 1000 / kb:>11.2f}", flush=True)
            per_kb[name].append(seconds * 1000 / kb)
            largest[name], largest["page_kb"] = seconds, kb
    notice, article = per_kb["parse_notice"], per_kb["parse_article"]
    recording.record({
        "repeat": args.repeat, "sizes": len(notice), "largest_kb": round(largest["page_kb"]),
        "notice_largest_s": round(largest["parse_notice"], 2), "article_largest_s": round(largest["parse_article"], 2),
        "notice_ms_per_kb_min": round(min(notice), 2), "notice_ms_per_kb_max": round(max(notice), 2),
        "article_ms_per_kb_min": round(min(article), 2), "article_ms_per_kb_max": round(max(article), 2)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
