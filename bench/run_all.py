"""Every benchmark, one after the other; each figure is printed under the exact command that produced it, and the
benches docs/performance.md quotes write theirs to docs/figures/<bench>.json. Then the page's tables are rendered
again from those files (`cog -r`; a bench that failed leaves its file, and so its rows, as they were).

    .venv/bin/python bench/run_all.py [--demo]          # `make bench` (BENCH_DEMO=1 adds --demo)
    BENCH_EVENTS=200000 .venv/bin/python bench/run_all.py   # a quicker warehouse benchmark

The machine's other load shows in every figure: read them with the load average printed at the start.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def run(command: list[str], env: dict[str, str] | None = None) -> int:
    shown = " ".join(f"{k}={v}" for k, v in (env or {}).items() if os.environ.get(k) != v)
    print(f"\n$ {(shown + ' ') if shown else ''}{shlex.join(command)}", flush=True)
    started = time.perf_counter()
    code = subprocess.call(command, cwd=REPO, env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})))
    print(f"[exit {code}, {time.perf_counter() - started:.1f} s]", flush=True)
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", action="store_true", default=os.environ.get("BENCH_DEMO") == "1",
                        help="also time `make demo` (about two minutes), then a no-change DAG run per dbt mode")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()}, {os.cpu_count()} cores; BENCH_EVENTS="
          f"{os.environ.get('BENCH_EVENTS', '1000000 (default)')}", flush=True)
    codes = [run([PYTHON, "bench/cli_bench.py"]), run([PYTHON, "bench/parse_bench.py"])]
    codes.append(run([PYTHON, "bench/parse_cli_bench.py"]))
    codes.append(run([PYTHON, "bench/page_parse_bench.py"]))
    codes.append(run([PYTHON, "bench/output_bound_bench.py"]))
    if (REPO / "bench" / "crawl_bench.py").exists():
        codes.append(run([PYTHON, "bench/crawl_bench.py"]))
    codes.append(run([PYTHON, "bench/build_bench.py"]))  # BENCH_MEMORY_LIMIT=none: also a build without the limit
    codes.append(run([PYTHON, "bench/dag_parse_bench.py"]))
    if args.demo:
        with tempfile.TemporaryDirectory(prefix="regtrail-demo-bench-") as home:
            codes.append(run(["make", "demo"], env={"REGTRAIL_HOME": home}))
            codes.append(run([PYTHON, "bench/dag_run_bench.py", "--home", home]))
    codes.append(run([PYTHON, "-m", "cogapp", "-I", ".", "-r", "docs/performance.md"]))
    sys.exit(max(codes))


if __name__ == "__main__":
    main()
