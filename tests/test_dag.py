"""The DAG file imports cleanly under Airflow 3: crawl DAGs per schedule, joined to the warehouse DAG by an Asset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from regtrail import settings
from regtrail.crawl.sources import get_sources
from regtrail.ops import airflow_env, orchestration

PROBE = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=DAGS)
def shape(dag):
    return {
        "tasks": sorted(dag.task_ids),
        "upstream": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks},
        "trigger_rules": {t.task_id: t.trigger_rule.value for t in dag.tasks},
        "outlets": {t.task_id: [getattr(o, "name", str(o)) for o in t.outlets] for t in dag.tasks if t.outlets},
        "dbt_executables": sorted({str(t.dbt_executable_path) for t in dag.tasks if hasattr(t, "dbt_executable_path")}),
        "catchup": dag.catchup,
        "timeouts": {t.task_id: t.execution_timeout.total_seconds() if t.execution_timeout else None
                     for t in dag.tasks},
        "asset_triggers": [a.name for a in dag.timetable.asset_condition.objects]
        if getattr(dag.timetable, "asset_condition", None) is not None else [],
    }
print(json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dags": {dag_id: shape(dag) for dag_id, dag in bag.dags.items()},
}))
"""


def probe(home: Path, **env: str) -> dict:
    """The DAGs as a fresh DagBag sees them, with these extra environment variables.

    Run outside the checkout, with a PATH that lacks the venv: the DAG file finds the installed package and
    the venv's dbt by itself (no sys.path or PATH edits).
    """
    env = {**os.environ, **airflow_env.airflow_environ(home), "PATH": "/usr/bin:/bin", **env}
    env.pop("PYTHONPATH", None)
    code = f"DAGS = {str(settings.REPO_ROOT / 'dags')!r}\n" + PROBE
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                         cwd=home)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_crawl_and_warehouse_dags_joined_by_the_event_log_asset(tmp_path: Path) -> None:
    report = probe(tmp_path)
    assert report["errors"] == {}
    sources = [s.name for s in get_sources()]
    assert len(sources) >= 4 and "adhoc" not in sources
    assert set(report["dags"]) == {"regtrail_crawl_daily", "regtrail_warehouse"}, "every source is @daily"

    crawl = report["dags"]["regtrail_crawl_daily"]
    crawls = sorted(f"crawl_{name}" for name in sources)
    assert crawl["tasks"] == sorted([*crawls, "event_log_updated", "crawls_failed"])
    assert crawl["upstream"]["event_log_updated"] == crawls == crawl["upstream"]["crawls_failed"]
    assert crawl["trigger_rules"]["event_log_updated"] == "all_done"
    assert crawl["trigger_rules"]["crawls_failed"] == "one_failed"
    # Only the announcing task declares an outlet, and that is an alias: no asset event unless it adds one.
    assert crawl["outlets"] == {"event_log_updated": ["regtrail-event-log-updates"]}
    assert crawl["catchup"] is False and crawl["asset_triggers"] == []
    assert crawl["timeouts"] == dict.fromkeys(crawl["tasks"], settings.crawl_task_timeout_hours() * 3600)

    warehouse = report["dags"]["regtrail_warehouse"]
    assert warehouse["asset_triggers"] == ["regtrail-event-log"]
    assert warehouse["tasks"] == ["build_failed", "dbt_build", "prepare_build", "publish"], "one dbt build task"
    assert warehouse["upstream"]["dbt_build"] == ["prepare_build"]
    assert warehouse["upstream"]["publish"] == ["dbt_build"]
    assert warehouse["upstream"]["build_failed"] == ["dbt_build", "prepare_build", "publish"]
    assert warehouse["trigger_rules"]["build_failed"] == "one_failed"  # ends the lease of a failed build
    assert warehouse["outlets"] == {"publish": ["regtrail-warehouse"]}
    assert warehouse["timeouts"] == dict.fromkeys(warehouse["tasks"], settings.build_task_timeout_hours() * 3600)


def test_one_task_per_model_on_request(tmp_path: Path) -> None:
    report = probe(tmp_path, REGTRAIL_DBT_TASKS="models")
    assert report["errors"] == {}
    warehouse = report["dags"]["regtrail_warehouse"]
    assert "dbt_build" not in warehouse["tasks"]
    assert any(t.startswith("dbt.fct_filings") for t in warehouse["tasks"]), warehouse["tasks"]
    assert any(t.startswith("dbt.") for t in warehouse["upstream"]["publish"])
    assert warehouse["dbt_executables"] == [str(Path(sys.executable).with_name("dbt"))]
    bad = subprocess.run([sys.executable, "-c", "from regtrail import settings; settings.dbt_tasks()"],
                         env={**os.environ, "REGTRAIL_DBT_TASKS": "per-node"}, capture_output=True, text=True,
                         cwd=settings.REPO_ROOT)
    assert bad.returncode == 1 and "REGTRAIL_DBT_TASKS='per-node': must be one of build, models" in bad.stderr


def test_one_crawl_dag_per_schedule(monkeypatch) -> None:
    configs = {"a": "@daily", "b": "0 6 * * *", "c": "@daily", "d": None}
    from regtrail.crawl.sources import Source, SourceConfig

    monkeypatch.setattr(orchestration, "get_sources", lambda: [
        Source(n, SourceConfig(name=n, title=n, module="scrapers.cac_deep_synthesis.crawl", list_type=None, schedule=s))
        for n, s in configs.items()])
    assert orchestration.crawl_dags() == {"regtrail_crawl_0_6_x_x_x": ("0 6 * * *", ["b"]),
                                          "regtrail_crawl_daily": ("@daily", ["a", "c", "d"])}
    assert orchestration.new_record_events({"crawl_a": {"new_record_events": 0, "new_fetch_events": 9},
                                            "crawl_b": None, "crawl_c": {"new_record_events": 3}}) == {"crawl_c": 3}
