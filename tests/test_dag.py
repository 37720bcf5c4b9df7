"""The DAG file imports cleanly under Airflow 3 and has the expected shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from regtrail import airflow_env, settings
from regtrail.sources import get_sources

PROBE = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=DAGS)
dag = bag.dags.get("regtrail_cac")
print(json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dags": sorted(bag.dags),
    "tasks": sorted(dag.task_ids) if dag else [],
    "upstream_of_prepare": sorted(dag.get_task("prepare_build").upstream_task_ids) if dag else [],
    "upstream_of_publish": sorted(dag.get_task("publish").upstream_task_ids) if dag else [],
    "dbt_executables": sorted({str(t.dbt_executable_path) for t in dag.tasks if hasattr(t, "dbt_executable_path")}),
}))
"""


def probe(home: Path, **env: str) -> dict:
    """The DAG as a fresh DagBag sees it, with these extra environment variables.

    Run outside the checkout, with a PATH that lacks the venv: the DAG finds the installed package and
    the venv's dbt by itself (no sys.path or PATH edits).
    """
    env = {**os.environ, **airflow_env.airflow_environ(home), "PATH": "/usr/bin:/bin", **env}
    env.pop("PYTHONPATH", None)
    code = f"DAGS = {str(settings.REPO_ROOT / 'dags')!r}\n" + PROBE
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                         cwd=home)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_dag_imports_without_errors(tmp_path: Path) -> None:
    report = probe(tmp_path)
    assert report["errors"] == {}
    assert report["dags"] == ["regtrail_cac"]
    tasks = report["tasks"]
    assert {"crawl_cac_deep_synthesis", "crawl_cac_algo_recommendation", "prepare_build", "publish"} <= set(tasks)
    assert "crawl_adhoc" not in tasks
    assert any(t.startswith("dbt.fct_filings") for t in tasks), tasks
    crawls = sorted(f"crawl_{s.name}" for s in get_sources())
    assert len(crawls) >= 2 and set(crawls) <= set(tasks)
    assert report["upstream_of_prepare"] == crawls
    assert any(t.startswith("dbt.") for t in report["upstream_of_publish"])
    assert report["dbt_executables"] == [str(Path(sys.executable).with_name("dbt"))]


def test_one_dbt_build_task_on_request(tmp_path: Path) -> None:
    report = probe(tmp_path, REGTRAIL_DBT_TASKS="build")
    assert report["errors"] == {}
    assert not [t for t in report["tasks"] if t.startswith("dbt.")]
    assert report["upstream_of_publish"] == ["dbt_build"]
    assert report["dbt_executables"] == [str(Path(sys.executable).with_name("dbt"))]
    bad = subprocess.run([sys.executable, "-c", "from regtrail import settings; settings.dbt_tasks()"],
                         env={**os.environ, "REGTRAIL_DBT_TASKS": "per-node"}, capture_output=True, text=True,
                         cwd=settings.REPO_ROOT)
    assert bad.returncode == 1 and "REGTRAIL_DBT_TASKS must be 'models' or 'build'" in bad.stderr
