"""Output sizes against input size: a list whose cells are huge, built and published; prints the sizes.

    .venv/bin/python bench/output_bound_bench.py [--rows 30] [--chars 1000000] [--cells 1] [--keep DIR]

Issue 24 case 8: a 114 KB DOCX of 30 rows with 1,000,000-character cells gave a 175 MB report and a 90 MB
all.atom. The parsers now cap fields, but the log keeps old events as they were written, so this bench writes
the list straight into the event log (no parser in between): one deep-synthesis list of --rows filings whose
algorithm name holds --chars characters (with --cells 2..4 also its products, purpose and remark, a `变更内容：`
change: the build's DuckDB memory limit, 1.3 GB, allows about 2 such cells per row). Then the real
`regtrail build` and `regtrail publish --no-docs`, and the sizes of the report and of every feed against the
text in the log. The report and each feed must stay bounded (≤ 25 MB for 30 × 1 MB cells; in fact a few MB,
most of it plotly.js) whatever the cells hold. Writes the figures to docs/figures/output_bound_bench.json
(--no-record: print only).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import figures  # noqa: E402
from tests.support.events import (  # noqa: E402
    DS,
    DS_ATTACHMENT_URL,
    DS_FILE_NAME,
    DS_NOTICE_TITLE,
    DS_NOTICE_URL,
    _list_records,
    _Log,
)

BOUND = 25 * 1024 * 1024
REGTRAIL = Path(sys.executable).with_name("regtrail")


def write_hostile_list(home: Path, rows: int, chars: int, cells: int = 1) -> int:
    """The event log of one list with `rows` filings whose first `cells` text cells hold `chars` characters;
    returns the characters written."""
    from datetime import UTC, date, datetime

    log = _Log(home)
    fetch = log.fetch_event(DS, "huge", DS_ATTACHMENT_URL, purpose="attachment", status=200, ok=True,
                            started_at=datetime(2025, 6, 5, tzinfo=UTC), content_type="application/octet-stream",
                            payload_digest="sha256:" + "7" * 64, payload_size=114_000,
                            archive_path="archive/cac_deep_synthesis/huge.warc.gz")
    document = dict(fetch, published_at=date(2023, 9, 1), published_precision="day", parser="cac_docx_list")

    def cell(n: int, text: str, short: str) -> str:
        return text * chars if n < cells else short

    table = [(str(i + 1), f"算法{i}" + cell(0, "算", ""), "服务提供者", f"北京巨量{i}科技有限公司",
              cell(1, "产", "巨量（APP）"), cell(2, "用", "应用于文本生成场景。"),
              f"网信算备11010841376070122{i:04d}号", "变更内容：" + cell(3, "改", "新增产品")) for i in range(rows)]
    _list_records(log, DS, "huge", document, table, "deep_synthesis", "2023年8月", "附件", DS_NOTICE_URL,
                  DS_NOTICE_TITLE, DS_FILE_NAME, rows)
    log.write()
    return sum(len(text) for row in table for text in row)


def run(home: Path, *args: str) -> float:
    """`regtrail ARGS` on `home`; its wall time. Exits with its output when it fails."""
    started = time.monotonic()
    done = subprocess.run([str(REGTRAIL), *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "REGTRAIL_HOME": str(home)})
    if done.returncode:
        sys.exit(f"regtrail {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.monotonic() - started


def sizes(home: Path) -> dict[str, int]:
    """Bytes of the report, of every feed and of the event log's segments."""
    found = {"report/index.html": (home / "report" / "index.html").stat().st_size}
    found |= {f"feeds/{p.name}": p.stat().st_size for p in sorted((home / "feeds").glob("*.atom"))}
    found["events (Parquet)"] = sum(p.stat().st_size for p in (home / "events").rglob("*.parquet"))
    return found


def measure(home: Path, rows: int, chars: int, cells: int = 1) -> dict[str, int]:
    """Write the list, build, publish; returns the sizes and the characters written (and prints the figures)."""
    written = write_hostile_list(home, rows, chars, cells)
    build = run(home, "build")
    publish = run(home, "publish", "--no-docs")
    found = sizes(home)
    mb = 1024 * 1024
    print(f"input: {rows} rows x {cells} cell(s) of {chars:,} characters = {written:,} characters in the log "
          f"({found['events (Parquet)'] / mb:.1f} MB of Parquet); build {build:.1f} s, publish {publish:.1f} s")
    feeds = {k: v for k, v in found.items() if k.startswith("feeds/")}
    largest = max(feeds, key=feeds.get)
    print(f"report/index.html   {found['report/index.html'] / mb:8.2f} MB")
    print(f"feeds/all.atom      {found['feeds/all.atom'] / mb:8.2f} MB")
    print(f"largest feed        {feeds[largest] / mb:8.2f} MB ({largest}); {len(feeds)} feeds, "
          f"{sum(feeds.values()) / mb:.2f} MB in all")
    worst = max(found["report/index.html"], *feeds.values())
    print(f"bound {BOUND / mb:.0f} MB per file: {'kept' if worst <= BOUND else 'EXCEEDED'}")
    return found | {"characters written": written}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30)
    parser.add_argument("--chars", type=int, default=1_000_000)
    parser.add_argument("--cells", type=int, default=1, choices=range(1, 5), help="huge cells per row")
    parser.add_argument("--keep", type=Path, help="build the home here and keep it")
    figures.add_option(parser)
    args = parser.parse_args()
    recording = figures.start("output_bound_bench", args)
    base = args.keep or Path(tempfile.mkdtemp(prefix="output-bound-"))
    try:
        found = measure(base / "home", args.rows, args.chars, args.cells)
        mb = 1024 * 1024
        feeds = {k: v for k, v in found.items() if k.startswith("feeds/")}
        recording.record({
            "rows": args.rows, "cells": args.cells, "chars": args.chars, "characters": found["characters written"],
            "report_mb": round(found["report/index.html"] / mb, 2),
            "all_atom_mb": round(found["feeds/all.atom"] / mb, 2),
            "largest_feed_mb": round(max(feeds.values()) / mb, 2), "bound_mb": BOUND // mb})
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
