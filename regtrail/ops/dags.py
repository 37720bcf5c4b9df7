"""regtrail: crawl the CAC sources, build the warehouse with dbt, publish it: two kinds of DAG joined by an Asset.

`regtrail_crawl_<schedule>` (one per schedule in the sources' `source.yml`): a task per source, which only
appends event segments, then `event_log_updated`, which updates the `regtrail-event-log` Asset only when
the crawls appended record events. `regtrail_warehouse` is scheduled on that Asset: `prepare_build`, dbt
(one `dbt build` task by default; one Cosmos task per model with REGTRAIL_DBT_TASKS=models) into a
separate DuckDB file, `publish` swaps it in atomically. A crawl that appended nothing builds nothing.

The definitions live in the package; the DAG file Airflow reads (`regtrail airflow dag`, the repository's
dags/regtrail_cac.py) only puts `DAGS` into its own namespace. Configured by environment only.
"""

from __future__ import annotations

import gc

from airflow.sdk import Asset, AssetAlias, dag, task
from airflow.task.trigger_rule import TriggerRule

from regtrail import settings
from regtrail.build import dbt_run
from regtrail.ops import airflow_env, orchestration

DBT_DIR = settings.dbt_project_dir()
MANIFEST = settings.dbt_manifest()
# Only REGTRAIL_* (and the unit-test exclusion of dbt_run) is passed: inside an existing Airflow its own
# configuration stays as it is.
DBT_ENV = {k: v for k, v in dbt_run.dbt_env().items()
           if k in ("REGTRAIL_HOME", "REGTRAIL_BUILD_DB", "REGTRAIL_LOG", *dbt_run.NO_UNIT_TESTS)}
EVENT_LOG = Asset("regtrail-event-log", uri=orchestration.log_uri("events"))
# Crawl runs attach an event for EVENT_LOG to this alias only when they appended record events.
EVENT_LOG_UPDATES = AssetAlias("regtrail-event-log-updates")
WAREHOUSE = Asset("regtrail-warehouse", uri=f"file://{settings.warehouse_path()}")


def _crawl(source: str, run_id: str) -> dict:
    from regtrail.crawl import runner

    stats = runner.crawl([source], run_key=f"regtrail_cac:{run_id}")[source]  # an invalid source.yml raises here
    print(f"{source}: {dict(stats)}")
    if stats["crawl_errors"]:
        raise RuntimeError(f"{source}: its crawl raised an error (see the traceback above); what it fetched is kept")
    return dict(stats)


def crawl_dag(dag_id: str, schedule: str, sources: list[str]):
    """One crawl DAG: a task per source, then `event_log_updated`, which updates EVENT_LOG only when
    a crawl appended record events (no asset event otherwise, so the warehouse DAG does not run)."""

    @dag(
        dag_id=dag_id,
        schedule=schedule,
        start_date=orchestration.START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=orchestration.crawl_task_args(),
        tags=["regtrail", "crawl"],
        doc_md=__doc__,
    )
    def crawl():
        crawls = [
            task(task_id=f"crawl_{name}", retries=2)(_crawl)(
                source=name, run_id="{{ (dag_run.logical_date or dag_run.run_after).isoformat() }}")
            for name in sources
        ]

        @task(outlets=[EVENT_LOG_UPDATES], trigger_rule=TriggerRule.ALL_DONE)
        def event_log_updated(*, outlet_events, ti) -> dict:
            """Sum the crawls' new record events; attach one EVENT_LOG event if there are any."""
            stats = {f"crawl_{n}": ti.xcom_pull(task_ids=f"crawl_{n}") for n in sources}
            new = orchestration.new_record_events(stats)
            if new:
                outlet_events[EVENT_LOG_UPDATES].add(EVENT_LOG, extra={"new_record_events": new})
            print(f"{sum(new.values())} new record events ({new or 'none'}): "
                  f"{'EVENT_LOG updated' if new else 'no asset event, no warehouse build'}")
            return new

        @task(trigger_rule=TriggerRule.ONE_FAILED)
        def crawls_failed() -> None:
            """Fails the run when a crawl failed (the events other crawls appended are announced anyway)."""
            raise RuntimeError("a crawl task failed; see its log")

        crawls >> event_log_updated()
        crawls >> crawls_failed()

    return crawl()


def _freeze_heap(context: object) -> None:
    """Before each Cosmos task: collect, then exempt what is alive (Airflow, dbt, the manifest) from later
    collections. Cosmos runs `gc.collect()` after every dbt command; over a heap of that size it took about
    0.4 s per task, over what the command made it takes milliseconds (with `--no-write-json`, 30 % less CPU
    for a no-change run of the per-model DAG, `airflow dags test regtrail_warehouse`: 100 s to 71 s)."""
    gc.collect()
    gc.freeze()


def _dbt_tasks():
    """The warehouse build (`REGTRAIL_DBT_TASKS`): one task running one `dbt build` whose per-node results
    are in its log and XCom (`build`, the default), or one Airflow task per dbt model with the tests after
    all of them (`models`, a Cosmos task group, one writer at a time through the one-slot pool)."""
    if settings.dbt_tasks() == "build":

        @task(task_id="dbt_build")
        def dbt_build() -> dict:
            from regtrail.build import dbt_run

            return dbt_run.build()

        return dbt_build()

    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import InvocationMode, LoadMode, TestBehavior

    return DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=DBT_DIR,
            manifest_path=MANIFEST if MANIFEST.exists() else None,
            env_vars=DBT_ENV,
        ),
        profile_config=ProfileConfig(profile_name="regtrail", target_name="dev",
                                     profiles_yml_filepath=DBT_DIR / "profiles.yml"),
        execution_config=ExecutionConfig(invocation_mode=InvocationMode.DBT_RUNNER,
                                         dbt_executable_path=settings.dbt_executable()),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST if MANIFEST.exists() else LoadMode.DBT_LS,
            # Singular tests span several models: run every test once all models are built.
            test_behavior=TestBehavior.AFTER_ALL,
        ),
        operator_args={"install_deps": False, "pool": airflow_env.DBT_POOL, "pre_execute": _freeze_heap,
                       # No per-model assets: a model is built into the build file, which only `publish` makes
                       # the warehouse (the WAREHOUSE asset); so no manifest.json or run_results.json either
                       # (written per command into a folder Cosmos deletes: 0.25 s per task).
                       "emit_datasets": False, "dbt_cmd_global_flags": ["--no-write-json"]},
    )


@dag(
    dag_id=orchestration.WAREHOUSE_DAG,
    schedule=[EVENT_LOG],
    start_date=orchestration.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=orchestration.warehouse_task_args(),
    tags=["regtrail", "warehouse"],
    doc_md=__doc__,
)
def regtrail_warehouse():
    @task
    def prepare_build() -> str:
        """The build file: a copy of the published warehouse (incremental dbt run) or none (full build)."""
        from regtrail.build import warehouse

        path = warehouse.prepare_build()
        print(f"{'incremental' if path.exists() else 'full'} build into {path}")
        return str(path)

    @task(outlets=[WAREHOUSE])
    def publish() -> str:
        """Runs only when every dbt test passed: swaps in the warehouse, Parquet exports, dbt docs, report."""
        from regtrail.build import warehouse
        from regtrail.ops import publish as publishing

        target = publishing.publish()
        print(f"published {target}; beside it: " + ", ".join(str(target.parent / d) for d in warehouse.PUBLISHED_DIRS))
        return str(target)

    @task(trigger_rule=TriggerRule.ONE_FAILED)
    def build_failed() -> None:
        """A failed prepare, dbt or publish task: end this run's build lease (the next run need not wait for
        its time-out), then fail the run."""
        from regtrail import settings
        from regtrail.build import buildlock

        released = buildlock.release(settings.home().resolve(), buildlock.run_id())
        raise RuntimeError(f"the warehouse build failed; {'its lease was released' if released else 'no lease held'}")

    steps = [prepare_build(), _dbt_tasks(), publish()]
    steps[0] >> steps[1] >> steps[2]
    steps >> build_failed()


# Every DAG by id: the DAG file copies these into its namespace, where Airflow's DAG processor finds them.
DAGS = {dag_id: crawl_dag(dag_id, schedule, sources)
        for dag_id, (schedule, sources) in orchestration.crawl_dags().items()}
DAGS[orchestration.WAREHOUSE_DAG] = regtrail_warehouse()
