"""DAG file parse time: dags/regtrail_cac.py imported in a fresh process, with the dbt manifest present.

    .venv/bin/python bench/dag_parse_bench.py [--runs N]

Each run is a new interpreter. It first imports what Airflow's DAG processor has loaded before it
parses a file (airflow.sdk, cosmos, DagBag), then times `DagBag(dag_folder=<the file>)`: the file's
import and DAG collection, what Airflow reports as the file's parse time; and the whole cold process.
Medians of N runs. Prints figures and
writes them to docs/figures/dag_parse_bench.json (--no-record: print only); asserts nothing.
Without dbt_project/target/manifest.json Cosmos would run `dbt ls` at parse time:
the script creates the manifest with `dbt parse` first when it is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DAG_FILE = REPO / "dags" / "regtrail_cac.py"
MANIFEST = REPO / "dbt_project" / "target" / "manifest.json"
sys.path.insert(0, str(REPO))

from bench import figures  # noqa: E402

CHILD = """
import json, sys, time
started = time.perf_counter()
import airflow.sdk, cosmos  # what the DAG processor has imported before it parses a file
from airflow.dag_processing.dagbag import DagBag
loaded = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
parsed = time.perf_counter()
assert not bag.import_errors, bag.import_errors
print(json.dumps({"preload_s": loaded - started, "parse_s": parsed - loaded,
                  "tasks": sum(len(d.tasks) for d in bag.dags.values())}))
"""

def ensure_manifest(home: Path) -> None:
    if MANIFEST.exists():
        return
    env = dict(os.environ, REGTRAIL_HOME=str(home), REGTRAIL_BUILD_DB=str(home / "build.duckdb"))
    subprocess.run([str(Path(sys.executable).with_name("dbt")), "parse", "--project-dir", "dbt_project",
                    "--profiles-dir", "dbt_project"], cwd=REPO, env=env, check=True, capture_output=True, timeout=300)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    figures.add_option(parser)
    args = parser.parse_args()
    recording = figures.start("dag_parse_bench", args)
    with tempfile.TemporaryDirectory(prefix="regtrail-dagbench-") as tmp:
        home = Path(tmp)
        ensure_manifest(home)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "REGTRAIL"))}
        env["REGTRAIL_HOME"] = str(home)
        results, walls = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", CHILD, str(DAG_FILE)], cwd=REPO, env=env,
                                  capture_output=True, text=True, timeout=300)
            walls.append(time.perf_counter() - started)
            if done.returncode != 0:
                sys.exit(done.stderr[-3000:])
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    parse = statistics.median(r["parse_s"] for r in results)
    preload = statistics.median(r["preload_s"] for r in results)
    wall = statistics.median(walls)
    print(f"DAG file parse (DagBag of {DAG_FILE.relative_to(REPO)}, airflow + cosmos already loaded): median "
          f"{parse * 1000:.0f} ms of {args.runs} fresh processes (target <= 1 s); {results[0]['tasks']} tasks")
    print(f"cold process: importing airflow.sdk + cosmos {preload:.2f} s, whole process {wall:.2f} s (medians)")
    measured = {"parse_median_s": round(parse, 3), "preload_median_s": round(preload, 3),
                "process_median_s": round(wall, 3), "runs": args.runs, "tasks": results[0]["tasks"]}
    print(json.dumps(measured))
    recording.record(measured)


if __name__ == "__main__":
    main()
