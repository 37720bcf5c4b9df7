"""Parse throughput over every real CAC list in ../shared/cac_data/original_docx/, against python-docx.

    .venv/bin/python bench/parse_bench.py [--repeat N]

Both parsers run in the same process on the same bytes (read once), alternating per file; each file is
parsed `--repeat` times by each and the median time per file is kept. The baseline is the
straightforward python-docx reading: Document(); for row in tables[0].rows: [c.text for c in row.cells].
For reference, a bare lxml tree parse of each file's word/document.xml (unzip + etree.fromstring, no
rows read) is timed the same way. Prints figures and writes them to docs/figures/parse_bench.json
(--no-record: print only); asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docx  # noqa: E402
from lxml import etree  # noqa: E402

from bench import figures  # noqa: E402
from regtrail import settings  # noqa: E402
from regtrail.parsers.docx_list import parse_list_docx  # noqa: E402


def regtrail_parse(data: bytes) -> int:
    return len(parse_list_docx(data).rows)


def python_docx_parse(data: bytes) -> int:
    document = docx.Document(io.BytesIO(data))
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    return len(rows) - 1  # the header row


def lxml_tree_parse(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        etree.fromstring(archive.read("word/document.xml"))
    return 0


def median_time(function, data: bytes, repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = function(data)
        times.append(time.perf_counter() - started)
    return statistics.median(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    figures.add_option(parser)
    args = parser.parse_args()
    recording = figures.start("parse_bench", args)
    folder = settings.shared_dir() / "cac_data" / "original_docx"
    files = sorted(folder.glob("*.docx"))
    if not files:
        sys.exit(f"no DOCX lists in {folder}")
    totals = {"regtrail": [0.0, 0], "python-docx": [0.0, 0]}
    bare_total = 0.0
    for path in files:
        data = path.read_bytes()
        ours, ours_rows = median_time(regtrail_parse, data, args.repeat)
        theirs, theirs_rows = median_time(python_docx_parse, data, args.repeat)
        bare_total += median_time(lxml_tree_parse, data, args.repeat)[0]
        totals["regtrail"][0] += ours
        totals["regtrail"][1] += ours_rows
        totals["python-docx"][0] += theirs
        totals["python-docx"][1] += theirs_rows
        print(f"{path.name:40} rows {ours_rows:>5} (python-docx table rows {theirs_rows:>5})  "
              f"regtrail {ours * 1000:8.1f} ms  python-docx {theirs * 1000:8.1f} ms  x{theirs / ours:5.1f}")
    rate = {name: rows / seconds for name, (seconds, rows) in totals.items()}
    ratio = rate["regtrail"] / rate["python-docx"]
    print(f"files: {len(files)}; rows parsed by regtrail: {totals['regtrail'][1]}; medians of {args.repeat} runs")
    print(f"throughput: regtrail {rate['regtrail']:,.0f} rows/s, python-docx {rate['python-docx']:,.0f} rows/s; "
          f"ratio {ratio:.1f}x (target >= 5x)")
    print(f"total seconds: regtrail {totals['regtrail'][0]:.3f}, python-docx {totals['python-docx'][0]:.3f}, "
          f"bare lxml tree parse (unzip + fromstring, no rows) {bare_total:.3f}")
    measured = {"files": len(files), "rows": totals["regtrail"][1], "repeat": args.repeat, "ratio": round(ratio, 2),
                "regtrail_s": round(totals["regtrail"][0], 3), "python_docx_s": round(totals["python-docx"][0], 3),
                "lxml_tree_s": round(bare_total, 3)}
    print(json.dumps(measured))
    recording.record(measured)


if __name__ == "__main__":
    main()
