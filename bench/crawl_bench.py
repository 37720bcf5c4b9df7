"""Crawl figures against the bundled offline mirror; prints them, asserts nothing.

    .venv/bin/python bench/crawl_bench.py [--sources S ...] [--rate-requests N]

1. A first crawl into an empty home, then a second crawl over unchanged pages (conditional GET):
   requests sent, response-body bytes downloaded, 304s, new record events, wall time, ratio.
2. A short rate-limited run (REGTRAIL_MIRROR_RATE_LIMIT=1, the production default of 1 request/s
   per host): requests per second observed per host, from the fetch events' start times.
The figures are also written to docs/figures/crawl_bench.json (--no-record: print only).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import figures  # noqa: E402
from regtrail import settings  # noqa: E402
from regtrail.crawl import runner  # noqa: E402
from regtrail.crawl.context import Context, LiveTransport  # noqa: E402
from regtrail.crawl.sources import get_sources  # noqa: E402
from regtrail.log import events  # noqa: E402
from regtrail.mirror.server import start_mirror  # noqa: E402
from regtrail.mirror.site import build_site  # noqa: E402


def crawl_once(names: list[str] | None, home: Path, run_key: str, mirror) -> dict:
    seen = len(mirror.requests.snapshot())
    started = time.perf_counter()
    stats = runner.crawl(names, run_key=run_key, root=home)
    wall = time.perf_counter() - started
    total = lambda key: sum(s.get(key, 0) for s in stats.values())  # noqa: E731
    return {
        "wall_s": round(wall, 3),
        "requests": len(mirror.requests.snapshot()) - seen,
        "fetch_events": total("new_fetch_events"),
        "bytes_downloaded": total("bytes_downloaded"),
        "not_modified": total("not_modified"),
        "unchanged": total("unchanged"),
        "new_record_events": total("new_record_events"),
        "fetch_failures": total("fetch_failures"),
    }


def rate_limited_run(home: Path, count: int) -> dict[str, float]:
    """Fetch `count` notice pages of one source with the throttle at 1 request/s; observed rate per host."""
    os.environ["REGTRAIL_MIRROR_RATE_LIMIT"] = "1"
    try:
        source = get_sources(["cac_deep_synthesis"])[0]
        ctx = Context(source, "bench-rate", home, LiveTransport(runner.source_fetcher(source)))
        for notice in source.config.notices[:count]:
            ctx.fetch(notice.url, purpose="notice")
        ctx.flush()
    finally:
        del os.environ["REGTRAIL_MIRROR_RATE_LIMIT"]
    starts: dict[str, list] = defaultdict(list)
    for row in events.read_events(home, "fetch", source.name).to_pylist():
        if row["run_key"] == "bench-rate" and row["status"] is not None:
            starts[urlsplit(row["url"]).netloc].append(row["started_at"])
    rates = {}
    for host, times in starts.items():
        times.sort()
        span = (times[-1] - times[0]).total_seconds()
        rates[host] = round((len(times) - 1) / span, 3) if span > 0 else float("inf")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", nargs="*", help="sources to crawl (default: all)")
    parser.add_argument("--rate-requests", type=int, default=6, help="requests in the rate-limited run")
    figures.add_option(parser)
    args = parser.parse_args()
    recording = figures.start("crawl_bench", args)
    os.environ.pop("REGTRAIL_MIRROR_RATE_LIMIT", None)
    with tempfile.TemporaryDirectory(prefix="regtrail-bench-") as tmp, start_mirror(
            build_site(settings.shared_dir())) as mirror:
        os.environ["REGTRAIL_MIRROR"] = mirror.origin
        home = Path(tmp) / "home"
        first = crawl_once(args.sources, home, "bench-1", mirror)
        second = crawl_once(args.sources, home, "bench-2", mirror)
        rates = rate_limited_run(Path(tmp) / "rate", args.rate_requests)
    print(f"{'':24}{'first crawl':>14}{'no-change crawl':>18}")
    for key in first:
        print(f"{key:24}{first[key]:>14}{second[key]:>18}")
    ratio = second["wall_s"] / first["wall_s"] if first["wall_s"] else float("nan")
    saved = 1 - second["bytes_downloaded"] / first["bytes_downloaded"] if first["bytes_downloaded"] else 0.0
    print(f"wall time ratio (second/first): {ratio:.3f}; body bytes saved: {saved:.1%}")
    for host, rate in rates.items():
        print(f"rate limit 1 req/s: observed {rate} requests/s to {host} ({args.rate_requests} notices + robots.txt)")
    print(json.dumps({"first": first, "second": second, "wall_ratio": round(ratio, 3),
                      "bytes_saved": round(saved, 4), "observed_rate_per_host": rates}, ensure_ascii=False))
    recording.record({"sources": "all" if not args.sources else ", ".join(args.sources),
                    "first_new_record_events": first["new_record_events"], "wall_ratio": round(ratio, 3),
                    **{f"{name}_{key}": run[key] for name, run in (("first", first), ("second", second))
                       for key in ("requests", "bytes_downloaded")},
                    **{f"second_{key}": second[key] for key in ("new_record_events", "fetch_events", "not_modified",
                                                                "unchanged", "fetch_failures")},
                    "max_observed_rate": max(rates.values(), default=0.0)})


if __name__ == "__main__":
    main()
