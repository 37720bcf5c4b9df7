"""What a replay gives back after the log loses segments: crawl the mirror, cut segments in half, replay.

Crawls the sources (default: the deep-synthesis lists) from the bundled mirror into a fresh log, then cuts
the largest fetch segment and the largest records segment of each source in half (as a full disk or a bad
copy would). Prints what the segments held, what the log holds once they are quarantined, and after one
`replay` with no server listening: fetch events recovered from the archive, record events restored, and
whether replay can serve every document the clean log could.

    .venv/bin/python bench/quarantine_recovery.py [--source cac_deep_synthesis ...] [--flush-seconds 0]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyarrow.parquet as pq  # noqa: E402

from regtrail import settings  # noqa: E402
from regtrail.crawl import runner  # noqa: E402
from regtrail.fetch.transport import latest_accepted  # noqa: E402
from regtrail.log import events, quarantine  # noqa: E402
from regtrail.mirror.site import build_site  # noqa: E402
from tests.support.fault_server import FaultServer  # noqa: E402


def cut_largest(home: Path, kind: str, source: str) -> list[dict]:
    """Cut the largest segment of `kind` in half; the rows it held."""
    segment = max((home / "events" / kind / f"source={source}").glob("*.parquet"), key=lambda p: p.stat().st_size)
    held = pq.read_table(segment).to_pylist()
    segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
    return held


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", action="append", help="source to crawl (repeatable; default cac_deep_synthesis)")
    parser.add_argument("--flush-seconds", default=None, help="REGTRAIL_FLUSH_SECONDS for the crawl (0: a segment "
                        "per document, so each cut loses one document's events)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    sources = args.source or ["cac_deep_synthesis"]
    if args.flush_seconds is not None:
        os.environ["REGTRAIL_FLUSH_SECONDS"] = args.flush_seconds
    home = Path(tempfile.mkdtemp(prefix="quarantine-bench-")) / "home"
    with FaultServer(build_site(settings.shared_dir())) as server:
        os.environ["REGTRAIL_MIRROR"] = server.origin
        runner.crawl(sources, run_key="clean", root=home)
    clean = {s: (events.read_events(home, "records", s).num_rows, set(latest_accepted(home, s))) for s in sources}
    for source in sources:
        fetches, records = cut_largest(home, "fetch", source), cut_largest(home, "records", source)
        accepted = sum(1 for r in fetches if r["ok"] and r["archive_path"])
        print(f"{source}: lost a fetch segment of {len(fetches)} rows ({accepted} accepted with an archived body) "
              f"and a records segment of {len(records)} rows")
    moved = quarantine.quarantine_unreadable(home, run_key="bench")
    print(f"quarantined {len(moved)} segment(s); log events: {len(quarantine.quarantined(home))}")
    os.environ["REGTRAIL_MIRROR"] = "http://127.0.0.1:9"  # nothing listens: replay must not fetch
    failed = 0
    for source in sources:
        records, servable = clean[source]
        during = (events.read_events(home, "records", source).num_rows, len(set(latest_accepted(home, source))))
        stats = runner.replay([source], root=home)[source]
        after = (events.read_events(home, "records", source).num_rows, set(latest_accepted(home, source)))
        same = after[1] == servable and after[0] == records
        failed += not same
        print(f"{source}: before replay {during[0]}/{records} record events, {during[1]}/{len(servable)} documents "
              f"servable; replay sent {stats['requests']} requests, recovered {stats['recovered_fetch_events']} "
              f"fetch events, appended {stats['new_record_events']} record events; after: {after[0]}/{records} "
              f"record events, {len(after[1])}/{len(servable)} documents servable"
              f"{'' if same else '  <- NOT RESTORED'}")
    awaiting = sum(len(quarantine.awaiting_replay(home, s)) for s in sources)
    print(f"segments awaiting replay: {awaiting}; log at {home}")
    return 1 if failed or awaiting else 0


if __name__ == "__main__":
    sys.exit(main())
