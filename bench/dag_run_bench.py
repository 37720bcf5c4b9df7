"""What a scheduled DAG run costs when nothing changed, with each way of running dbt; prints, asserts nothing.

    .venv/bin/python bench/dag_run_bench.py --home HOME [--runs 1]

HOME holds a published warehouse (after `make demo` with REGTRAIL_HOME=HOME). `airflow dags test
regtrail_warehouse` runs again (nothing new in the log) with REGTRAIL_DBT_TASKS=models (one Airflow task per
dbt model) and =build (one `dbt build` task). A scheduled crawl that finds nothing new does not start this
DAG at all (bench/airflow_bench.py times that under a real scheduler). For each: the run's wall time and its dbt
phase (from the end of `prepare_build` to the start of `publish`, read from the task log). For scale, one
plain `dbt build` of the same project on a copy of the published warehouse.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from regtrail.ops import airflow_env  # noqa: E402
from regtrail.ops.orchestration import WAREHOUSE_DAG  # noqa: E402

BIN = Path(sys.executable).parent
STAMP = re.compile(r"^(\S+Z) .*\[DAG TEST\] (starting|end task) task_id=(\S+)", re.M)


def dbt_phase(log: str) -> float:
    """Seconds from the end of prepare_build to the start of publish in an `airflow dags test` log."""
    marks = {(kind, task): datetime.fromisoformat(stamp.replace("Z", "+00:00"))
             for stamp, kind, task in STAMP.findall(log)}
    return (marks[("starting", "publish")] - marks[("end task", "prepare_build")]).total_seconds()


def dag_run(home: Path, mode: str, logical_date: str) -> tuple[float, float]:
    env = {**os.environ, **airflow_env.airflow_environ(home), "REGTRAIL_DBT_TASKS": mode}
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "airflow"), "dags", "test", WAREHOUSE_DAG, logical_date], cwd=REPO, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"airflow dags test failed ({mode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return wall, dbt_phase(done.stdout + done.stderr)


def plain_build(home: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="regtrail-dag-bench-") as work:
        build = Path(work) / "warehouse.duckdb"
        shutil.copy2(home / "warehouse.duckdb", build)
        env = {**os.environ, **airflow_env.airflow_environ(home), "REGTRAIL_BUILD_DB": str(build)}
        dbt_dir = str(REPO / "dbt_project")
        options = ["--quiet", "--project-dir", dbt_dir, "--profiles-dir", dbt_dir,
                   "--target-path", f"{work}/target", "--log-path", f"{work}/logs"]
        subprocess.run([str(BIN / "dbt"), "parse", *options], cwd=REPO, env=env, check=True)  # as the DAG has
        started = time.perf_counter()
        subprocess.run([str(BIN / "dbt"), "build", *options], cwd=REPO, env=env, check=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True, help="a REGTRAIL_HOME with a published warehouse")
    parser.add_argument("--runs", type=int, default=1, help="DAG runs per mode (median reported)")
    args = parser.parse_args()
    home = args.home.resolve()
    if not (home / "warehouse.duckdb").exists():
        sys.exit(f"{home} has no published warehouse: run `REGTRAIL_HOME={home} make demo` first")
    figures: dict[str, list[tuple[float, float]]] = {"models": [], "build": []}
    for run in range(args.runs):
        for mode in figures:
            figures[mode].append(dag_run(home, mode, f"2030-01-{run * 2 + (mode == 'build') + 1:02d}"))
    for mode, runs in figures.items():
        wall, phase = statistics.median(w for w, _ in runs), statistics.median(p for _, p in runs)
        print(f"no-change DAG run, REGTRAIL_DBT_TASKS={mode}: {wall:.1f} s wall, dbt phase {phase:.1f} s "
              f"(airflow dags test {WAREHOUSE_DAG}; median of {len(runs)})")
    ratio = statistics.median(p for _, p in figures["models"]) / statistics.median(p for _, p in figures["build"])
    print(f"dbt phase, one task per model / one dbt build task: {ratio:.1f}x")
    print(f"plain dbt build on a copy of the published warehouse: {plain_build(home):.1f} s "
          "(dbt build --project-dir dbt_project --profiles-dir dbt_project)")


if __name__ == "__main__":
    main()
