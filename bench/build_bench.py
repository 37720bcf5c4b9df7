"""Warehouse build figures on a synthetic event log (scrapers.synthetic_events); prints them, asserts nothing.

    .venv/bin/python bench/build_bench.py [--events N] [--increment 0.01] [--queries 50] [--keep DIR]
    BENCH_EVENTS=200000 .venv/bin/python bench/build_bench.py      # a quicker run

1. A log of about N record events (default 1,000,000, or $BENCH_EVENTS) in a new temporary home.
2. Full build: `dbt build` into a fresh file. Wall time, and peak memory of the dbt process (DuckDB runs
   inside it), from os.wait4's ru_maxrss. The project is parsed once beforehand (`dbt parse`, not timed),
   so both builds start from the same partial-parse state.
3. About 1% new record events (the next crawl run plus a replay of an old list with a newer parser);
   the build file is copied (what a build starts from once a warehouse is published), then the
   incremental `dbt build`: wall time and its ratio to the full build.
4. Entity timeline latency: median of --queries runs of the analyst query on fct_timeline_events.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

from scrapers import synthetic_events  # noqa: E402

DBT = Path(sys.executable).with_name("dbt")
TIMELINE_SQL = "select * from fct_timeline_events where entity_name like '%华为%' order by event_date"


def dbt(command: str, home: Path, build_file: Path, work: Path, *args: str) -> dict:
    """Run one dbt command; returns wall seconds, peak RSS (MiB) of the dbt process, exit code."""
    env = dict(os.environ, REGTRAIL_HOME=str(home), REGTRAIL_BUILD_DB=str(build_file),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    argv = [str(DBT), command, "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
            "--target-path", str(work / "target"), "--log-path", str(work / "logs"), *args]
    log = open(work / f"{command}-{time.monotonic_ns()}.out", "w")  # noqa: SIM115
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    log.close()
    if process.returncode != 0:
        print(Path(log.name).read_text()[-3000:], file=sys.stderr)
    return {"wall_s": round(wall, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024), "exit": process.returncode,
            "command": " ".join(["dbt", command, *args])}


def timeline_latency(build_file: Path, runs: int) -> dict:
    with duckdb.connect(str(build_file), read_only=True) as con:
        rows = len(con.execute(TIMELINE_SQL).fetchall())  # warm-up
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            con.execute(TIMELINE_SQL).fetchall()
            times.append(time.perf_counter() - started)
        total = con.execute("select count(*) from fct_timeline_events").fetchone()[0]
    times.sort()
    p90 = times[int(0.9 * (runs - 1))]
    return {"median_ms": round(statistics.median(times) * 1000, 1), "p90_ms": round(p90 * 1000, 1),
            "rows_returned": rows, "timeline_rows": total, "runs": runs}


def counts(build_file: Path) -> dict:
    with duckdb.connect(str(build_file), read_only=True) as con:
        return {name: con.execute(f'select count(*) from "{name}"').fetchone()[0] for name in (
            "stg_regtrail__record_events", "int_filing_observations", "fct_filings", "fct_timeline_events")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", "1000000")))
    parser.add_argument("--increment", type=float, default=0.01, help="new events, as a share of --events")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="regtrail-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    home, full_file = work / "home", work / "full" / "warehouse.duckdb"
    full_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        state = synthetic_events.write_log(home, args.events)
        generated = time.perf_counter() - started
        print(f"synthetic log: {state.record_events:,} record events, {state.lists} lists, "
              f"written in {generated:.1f} s (python -m scrapers.synthetic_events HOME --events {args.events})")

        dbt("parse", home, full_file, work)
        full = dbt("build", home, full_file, work)
        print(f"full build: {full['wall_s']} s, peak memory {full['peak_rss_mib']} MiB, exit {full['exit']} "
              f"({full['command']} into a fresh file; targets <= 60 s, <= 2048 MiB)")
        print(f"rows: {counts(full_file)}")

        extra = synthetic_events.append(home, int(args.events * args.increment))
        added = extra.record_events - state.record_events
        incremental_file = work / "incremental" / "warehouse.duckdb"
        incremental_file.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        shutil.copy2(full_file, incremental_file)
        copy_s = time.perf_counter() - started
        incremental = dbt("build", home, incremental_file, work)
        ratio = incremental["wall_s"] / full["wall_s"]
        with_copy = (incremental["wall_s"] + copy_s) / full["wall_s"]
        size_mib = full_file.stat().st_size / 2**20
        print(f"incremental build: +{added:,} record events ({added / state.record_events:.2%}, incl. a replay): "
              f"{incremental['wall_s']} s, peak {incremental['peak_rss_mib']} MiB, exit {incremental['exit']}; "
              f"ratio to full {ratio:.1%} (target <= 15%); copying the {size_mib:.0f} MiB warehouse first "
              f"took {copy_s:.2f} s ({with_copy:.1%} with the copy)")

        latency = timeline_latency(incremental_file, args.queries)
        print(f"entity timeline: median {latency['median_ms']} ms, p90 {latency['p90_ms']} ms over "
              f"{latency['runs']} runs, {latency['rows_returned']} of {latency['timeline_rows']:,} rows "
              f"({TIMELINE_SQL}; target <= 50 ms)")
        print(json.dumps({"events": state.record_events, "full": full, "added_events": added,
                          "incremental": incremental, "incremental_ratio": round(ratio, 3), "copy_s": round(copy_s, 2),
                          "timeline": latency}))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
