"""A first crawl whose every first request fails, against a clean one: are all lists still parsed in one run?

Serves the bundled mirror twice on loopback: clean, then with every path's first answer replaced by a fault
(in turn: 503, 429 + Retry-After: 1, connection reset, truncated body, WAF challenge page with status 200).
Crawls every source the DAG crawls into two fresh logs and prints, per source, the record events and filing
rows of each run, the faults injected and the URLs still failed at the end.

    .venv/bin/python bench/faulty_first_run.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regtrail import settings  # noqa: E402
from regtrail.crawl import runner  # noqa: E402
from regtrail.crawl.sources import get_sources  # noqa: E402
from regtrail.log import events  # noqa: E402
from regtrail.mirror.site import build_site  # noqa: E402
from tests.support.fault_server import FaultServer, busy, reset, truncated, waf_page  # noqa: E402

FAULTS = [("503", busy(503)), ("429 + Retry-After", busy(429, "1")), ("reset", reset()),
          ("truncated", truncated(b"<html>" + b"x" * 500)), ("WAF page (200)", waf_page())]


def crawl(site, home: Path, fail_first: list | None) -> tuple[dict[str, Counter], Counter, float]:
    with FaultServer(site, fail_first=fail_first) as server:
        os.environ["REGTRAIL_MIRROR"] = server.origin
        started = time.monotonic()
        stats = runner.crawl([s.name for s in get_sources()], run_key="bench", root=home)
        injected = Counter(FAULTS[i][0] for i in server.first_fault.values())
    return stats, injected, time.monotonic() - started


def records(home: Path, source: str) -> tuple[int, int]:
    table = events.read_events(home, "records", source, columns=["record_type"]).column("record_type").to_pylist()
    return len(table), sum(kind == "filing" for kind in table)


def main() -> None:
    site = build_site(settings.shared_dir())
    with tempfile.TemporaryDirectory(prefix="faulty-first-") as tmp:
        clean_stats, _, clean_s = crawl(site, Path(tmp) / "clean", None)
        faulty_stats, injected, faulty_s = crawl(site, Path(tmp) / "faulty", [reply for _, reply in FAULTS])
        print(f"clean crawl {clean_s:.1f} s; faulty first run {faulty_s:.1f} s; faults injected: {dict(injected)}")
        for name in clean_stats:
            clean, faulty = records(Path(tmp) / "clean", name), records(Path(tmp) / "faulty", name)
            print(f"{name:24s} records {faulty[0]:5d} / {clean[0]:5d} clean, filings {faulty[1]:5d} / {clean[1]:5d}, "
                  f"failed attempts {faulty_stats[name]['fetch_failures']:3d} (clean "
                  f"{clean_stats[name]['fetch_failures']}), URLs failed at the end {faulty_stats[name]['failed_urls']}"
                  f" (clean {clean_stats[name]['failed_urls']})")


if __name__ == "__main__":
    main()
