"""regtrail: crawl the CAC algorithm-registry sources, build the warehouse with dbt, publish it.

Crawl tasks (one per source, parallel) only append event segments; dbt (Cosmos, one writer at a
time through a one-slot pool; one task per model, or one `dbt build` task with REGTRAIL_DBT_TASKS=build)
builds a separate DuckDB file; `publish` swaps it in atomically.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Asset, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import InvocationMode, LoadMode, TestBehavior

from regtrail import airflow_env, settings
from regtrail.sources import get_sources

ENV = airflow_env.apply()
DBT_DIR = settings.REPO_ROOT / "dbt_project"
DBT = settings.dbt_executable()  # the project's venv, wherever Airflow's PATH points
MANIFEST = DBT_DIR / "target" / "manifest.json"


def _log_uri(relpath: str) -> str:
    """URI of a path under the log root (REGTRAIL_LOG): `file://...` locally, else the log's own URL."""
    root = settings.log_root()
    return f"{root}/{relpath}" if isinstance(root, str) else f"file://{root / relpath}"


DBT_ENV = {**{k: ENV[k] for k in ("REGTRAIL_HOME", "REGTRAIL_BUILD_DB")}, **settings.log_env()}
EVENT_LOG = Asset("regtrail-event-log", uri=_log_uri("events"))
WAREHOUSE = Asset("regtrail-warehouse", uri=f"file://{ENV['REGTRAIL_HOME']}/warehouse.duckdb")
PROFILE = ProfileConfig(profile_name="regtrail", target_name="dev", profiles_yml_filepath=DBT_DIR / "profiles.yml")


def _dbt_tasks():
    """The warehouse build (`REGTRAIL_DBT_TASKS`): one Airflow task per dbt model with the tests after
    all of them (`models`, Cosmos task group), or one task running one `dbt build` (`build`)."""
    if settings.dbt_tasks() == "build":
        from cosmos.operators.local import DbtBuildLocalOperator

        return DbtBuildLocalOperator(
            task_id="dbt_build", project_dir=str(DBT_DIR), profile_config=PROFILE, env=DBT_ENV,
            invocation_mode=InvocationMode.DBT_RUNNER, install_deps=False, pool=airflow_env.DBT_POOL,
            dbt_executable_path=DBT,
        )
    return DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=DBT_DIR,
            manifest_path=MANIFEST if MANIFEST.exists() else None,
            env_vars=DBT_ENV,
        ),
        profile_config=PROFILE,
        execution_config=ExecutionConfig(invocation_mode=InvocationMode.DBT_RUNNER, dbt_executable_path=DBT),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST if MANIFEST.exists() else LoadMode.DBT_LS,
            # Singular tests span several models: run every test once all models are built.
            test_behavior=TestBehavior.AFTER_ALL,
        ),
        operator_args={"install_deps": False, "pool": airflow_env.DBT_POOL},
    )


def _crawl(source: str, run_id: str) -> dict:
    from regtrail import runner

    stats = runner.crawl([source], run_key=f"regtrail_cac:{run_id}")[source]
    print(f"{source}: {dict(stats)}")
    return dict(stats)


@dag(
    dag_id="regtrail_cac",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["regtrail", "cac"],
    doc_md=__doc__,
)
def regtrail_cac():
    crawls = []
    for name in (s.name for s in get_sources()):
        crawl = task(task_id=f"crawl_{name}", outlets=[EVENT_LOG], retries=2)(_crawl)
        crawls.append(crawl(source=name, run_id="{{ (dag_run.logical_date or dag_run.run_after).isoformat() }}"))

    @task
    def prepare_build() -> str:
        """The build file: a copy of the published warehouse (incremental dbt run) or none (full build)."""
        from regtrail import warehouse

        path = warehouse.prepare_build()
        print(f"{'incremental' if path.exists() else 'full'} build into {path}")
        return str(path)

    dbt = _dbt_tasks()

    @task(outlets=[WAREHOUSE])
    def publish() -> str:
        """Runs only when every dbt test passed: swaps in the warehouse, Parquet exports, dbt docs, report."""
        from regtrail import warehouse

        target = warehouse.publish()
        print(f"published {target}; beside it: " + ", ".join(str(target.parent / d) for d in warehouse.PUBLISHED_DIRS))
        return str(target)

    crawls >> prepare_build() >> dbt >> publish()


regtrail_cac()
