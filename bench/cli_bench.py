"""Start-up of the `regtrail` command: wall time of whole processes, median of N.

    .venv/bin/python bench/cli_bench.py [--runs 5]

`regtrail --help` (the console script), `python -m regtrail --help`, and the modules the help imports
(none of Airflow, dbt, pyarrow, DuckDB, requests should be among them). Writes the figures to
docs/figures/cli_bench.json (--no-record: print only).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import figures  # noqa: E402

REGTRAIL = str(Path(sys.executable).with_name("regtrail"))
HEAVY = ("airflow", "cosmos", "dbt", "pyarrow", "duckdb", "requests", "bs4", "fsspec", "docx", "yaml", "pydantic")


def wall(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    figures.add_option(parser)
    args = parser.parse_args()
    recording = figures.start("cli_bench", args)
    print(f"load average {os.getloadavg()}, {os.cpu_count()} cores")
    measured: dict[str, object] = {"runs": args.runs}
    for key, label, command in (("console", "regtrail --help", [REGTRAIL, "--help"]),
                                ("module", "python -m regtrail --help", [sys.executable, "-m", "regtrail", "--help"])):
        times = wall(command, args.runs)
        measured[f"{key}_median_s"] = round(statistics.median(times), 3)
        print(f"{label}: median {statistics.median(times):.3f} s of {args.runs} "
              f"(min {min(times):.3f}, max {max(times):.3f})")
    probe = ("import json, sys\nfrom regtrail.cli.app import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n"
             f"    pass\nprint(len(sys.modules), json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)), "
             "file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    count, heavy = out.stderr.strip().splitlines()[-1].split(" ", 1)
    print(f"modules loaded by --help: {count}; heavy among them: {heavy}")
    recording.record({**measured, "modules": int(count), "heavy_modules": ", ".join(json.loads(heavy)) or "none"})


if __name__ == "__main__":
    main()
