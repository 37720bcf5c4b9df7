"""`regtrail parse FILE` as a whole process, against a plain python-docx script reading the same file.

    .venv/bin/python bench/parse_cli_bench.py [--repeat 5] [--files 3]

The files are the largest real lists in ../shared/cac_data/original_docx/ (by size). Per file, each
command runs `--repeat` times, alternating (so the machine's other load falls on both alike), and the
median wall time of each is kept. The python-docx script is the straightforward reading:
`docx.Document(path)`, then the text of every cell of the first table. `regtrail parse` runs the
crawler's own source code on the file in a dry run and prints every record as JSON (output discarded).
Prints figures and writes them to docs/figures/parse_cli_bench.json (--no-record: print only); asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYTHON_DOCX_SCRIPT = (
    "import sys, docx\n"
    "document = docx.Document(sys.argv[1])\n"
    "rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]\n"
    "print(len(rows))\n"
)


def timed(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--files", type=int, default=3)
    sys.path.insert(0, str(REPO))
    from bench import figures
    from regtrail import settings

    figures.add_option(parser)
    args = parser.parse_args()
    recording = figures.start("parse_cli_bench", args)

    folder = settings.shared_dir() / "cac_data" / "original_docx"
    files = sorted(folder.glob("*.docx"), key=lambda p: p.stat().st_size, reverse=True)[: args.files]
    if not files:
        print(f"no real lists under {folder}: nothing measured")
        return
    regtrail = str(BIN / "regtrail")
    print(f"load average {os.getloadavg()}; median of {args.repeat} runs per file, whole process")
    print(f"{'file':30} {'KiB':>5} {'python-docx wall/cpu s':>23} {'regtrail parse wall/cpu s':>26} "
          f"{'ratio wall/cpu':>15}")
    ratios, cpu_ratios, largest = [], [], {}
    for path in files:
        baseline, ours = [], []
        for _ in range(args.repeat):
            baseline.append(timed([sys.executable, "-c", PYTHON_DOCX_SCRIPT, str(path)]))
            ours.append(timed([regtrail, "parse", str(path)]))
        docx_wall, parse_wall = (statistics.median(t[0] for t in runs) for runs in (baseline, ours))
        docx_cpu, parse_cpu = (statistics.median(t[1] for t in runs) for runs in (baseline, ours))
        ratios.append(parse_wall / docx_wall)
        largest = largest or {"largest_kib": path.stat().st_size // 1024,
                              "largest_parse_cpu_s": round(parse_cpu, 3), "largest_docx_cpu_s": round(docx_cpu, 3)}
        cpu_ratios.append(parse_cpu / docx_cpu)
        print(f"{path.name:30} {path.stat().st_size // 1024:>5} {docx_wall:>12.3f} / {docx_cpu:.3f}"
              f" {parse_wall:>15.3f} / {parse_cpu:.3f} {ratios[-1]:>8.2f} / {cpu_ratios[-1]:.2f}")
    print(f"ratio regtrail parse / python-docx script, wall time: median {statistics.median(ratios):.2f}, "
          f"max {max(ratios):.2f}; CPU time: median {statistics.median(cpu_ratios):.2f} (target <= 0.50)")
    recording.record({"files": len(files), "repeat": args.repeat,
                    "wall_ratio_median": round(statistics.median(ratios), 2), "wall_ratio_max": round(max(ratios), 2),
                    "cpu_ratio_median": round(statistics.median(cpu_ratios), 2), **largest})


if __name__ == "__main__":
    main()
