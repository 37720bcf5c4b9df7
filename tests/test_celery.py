"""Scale-out on a real distributed executor: the DAGs on Airflow's CeleryExecutor.

Started and stopped here, all on 127.0.0.1: Redis (broker), a private PostgreSQL cluster (metadata
database and Celery results), moto's S3 server (the event log and archive: REGTRAIL_LOG=s3://...), the
mirror, Airflow's API server (the execution API the workers report to), scheduler and DAG processor, and
two Celery workers; the second alone serves the `warehouse` queue (REGTRAIL_WAREHOUSE_QUEUE), as a
deployment pins the dbt build to the worker whose disk holds the build file. The DAGs are unpaused as
the README says (warehouse first, then crawl): the scheduler starts exactly one crawl run, its event-log
update starts one warehouse run. The published marts equal those of a local run (tests/test_pipeline.py's
`airflow dags test` of the same DAGs, or the same sources crawled and built in the test's process when that
module is not in the session) except for the clocks of the crawl (`observed_at`, ...).

Slow (about 3 minutes here); `make test-celery` runs it alone.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import s3fs
import sqlalchemy

from regtrail import settings
from regtrail.build import warehouse
from regtrail.crawl import runner
from regtrail.mirror.server import start_mirror
from regtrail.mirror.site import build_site
from regtrail.ops import airflow_env, orchestration
from tests.support import services
from tests.support.local_run import LocalRun, Marts, marts

pytestmark = [pytest.mark.slow, pytest.mark.celery]
BIN = Path(sys.executable).parent
CRAWL_DAG = next(iter(orchestration.crawl_dags()))
WAREHOUSE_DAG = orchestration.WAREHOUSE_DAG
class Cluster:
    """The Airflow components on CeleryExecutor, and queries against its PostgreSQL metadata database."""

    def __init__(self, home: Path, env: dict[str, str], stack: ExitStack) -> None:
        self.home, self.env, self.stack = home, env, stack
        self.db = sqlalchemy.create_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], poolclass=sqlalchemy.NullPool)

    def airflow(self, *args: str) -> str:
        out = subprocess.run([str(BIN / "airflow"), *args], env=self.env, cwd=settings.REPO_ROOT,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, (out.stdout[-3000:], out.stderr[-3000:])
        return out.stdout

    def start(self, name: str, *args: str, port: int | None = None) -> None:
        log = open(self.home / f"{name}.log", "w")  # noqa: SIM115 (closed by the stack)
        self.stack.callback(log.close)
        proc = subprocess.Popen([str(BIN / "airflow"), *args], env=self.env, cwd=settings.REPO_ROOT, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.stack.callback(services.stop, proc)
        if port:
            services.wait_for_port(port, proc, f"airflow {name}", timeout=180)

    def query(self, sql: str, **params: object) -> list[tuple]:
        with self.db.connect() as con:
            return [tuple(row) for row in con.execute(sqlalchemy.text(sql), params)]

    def runs(self, dag_id: str) -> list[tuple[str, str, str]]:
        return self.query("select run_id, run_type, state from dag_run where dag_id = :d order by id", d=dag_id)

    def wait(self, condition, what: str, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(1)
        logs = {p.name: p.read_text(errors="replace")[-2000:] for p in self.home.glob("*.log")}
        raise AssertionError(f"timed out waiting for {what}; runs: {self.runs(CRAWL_DAG)} {self.runs(WAREHOUSE_DAG)}"
                             f"; component logs: {logs}")

    def finished(self, dag_id: str, count: int) -> bool:
        states = [state for _, _, state in self.runs(dag_id)]
        assert "failed" not in states, (dag_id, self.runs(dag_id), self.task_states(dag_id))
        return len(states) >= count and all(state == "success" for state in states)

    def task_states(self, dag_id: str) -> list[tuple]:
        return self.query("select run_id, task_id, state, hostname, queue from task_instance where dag_id = :d",
                          d=dag_id)


def local_marts(base: Path, shared: Path) -> Marts:
    """The reference: the marts of a local run (tests/support/local_run.py): tests/test_pipeline.py's `airflow dags
    test` of the same DAGs, or, when that module is not in the session, the crawl DAG's sources crawled and built
    in this process (local event log, no executor)."""

    def crawl_and_build() -> Path:
        home = base / "local"
        _, sources = orchestration.crawl_dags()[CRAWL_DAG]
        with start_mirror(build_site(shared.parent)) as mirror, pytest.MonkeyPatch.context() as patch:
            patch.setenv("REGTRAIL_MIRROR", mirror.origin)
            patch.setenv("REGTRAIL_HOME", str(home))
            for name in ("REGTRAIL_LOG", "REGTRAIL_BUILD_DB"):
                patch.delenv(name, raising=False)
            runner.crawl(sources, run_key="local", root=home)
            assert warehouse.dbt_build(home, full_refresh=True) == 0
        return warehouse.build_path(home)

    return LocalRun(base).marts(crawl_and_build)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[Cluster]:
    missing = services.missing_services()
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (.ci/run installs them)")
    home = tmp_path_factory.mktemp("celery")
    with ExitStack() as stack:
        broker = stack.enter_context(services.redis_server())
        database = stack.enter_context(services.postgres_server())
        aws = stack.enter_context(services.s3_server())
        mirror = stack.enter_context(start_mirror(build_site(shared.parent)))
        bucket = f"regtrail-{secrets.token_hex(6)}"
        s3fs.S3FileSystem(client_kwargs={"endpoint_url": aws["AWS_ENDPOINT_URL"]}, key="testing",
                          secret="testing").mkdir(bucket)
        api_port = services.free_port()
        base = f"http://127.0.0.1:{api_port}"
        env = {
            **os.environ, **airflow_env.airflow_environ(home), **aws,
            "REGTRAIL_MIRROR": mirror.origin, "REGTRAIL_LOG": f"s3://{bucket}/prod",
            "REGTRAIL_WAREHOUSE_QUEUE": "warehouse",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database,
            "AIRFLOW__CELERY__BROKER_URL": broker,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + database.replace("+psycopg2", ""),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(api_port), "AIRFLOW__API__BASE_URL": base,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),  # shared by the API server and the workers
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        }
        run = Cluster(home, env, stack)
        run.airflow("db", "migrate")
        run.start("api-server", "api-server", "--port", str(api_port), port=api_port)
        run.start("dag-processor", "dag-processor")
        run.start("scheduler", "scheduler")
        for name, queues in (("worker1", "default"), ("worker2", "default,warehouse")):
            run.start(name, "celery", "worker", "--celery-hostname", f"{name}@%h", "--queues", queues,
                      "--concurrency", "2", "--pid", str(home / f"{name}.pid"), "--skip-serve-logs")
        run.wait(lambda: len(run.query("select dag_id from dag where dag_id in (:c, :w)",
                                       c=CRAWL_DAG, w=WAREHOUSE_DAG)) == 2, "the DAG processor")
        yield run


def test_celery_executor_runs_the_dags_like_a_local_run(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory,
                                                        shared: Path) -> None:
    # The README's order: the warehouse DAG first, so it is listening when the crawl updates the event log.
    cluster.airflow("dags", "unpause", WAREHOUSE_DAG)
    cluster.airflow("dags", "unpause", CRAWL_DAG)
    cluster.wait(lambda: cluster.finished(CRAWL_DAG, 1) and cluster.finished(WAREHOUSE_DAG, 1),
                 "the first crawl and the build it triggers")
    crawl_runs, warehouse_runs = cluster.runs(CRAWL_DAG), cluster.runs(WAREHOUSE_DAG)
    assert [t for _, t, _ in crawl_runs] == ["scheduled"], "unpausing starts exactly one (scheduled) crawl run"
    assert [t for _, t, _ in warehouse_runs] == ["asset_triggered"]

    tasks = cluster.task_states(CRAWL_DAG) + cluster.task_states(WAREHOUSE_DAG)
    assert all(state in ("success", "skipped") for _, _, state, _, _ in tasks), tasks
    warehouse_tasks = {"prepare_build", "dbt_build", "publish"}
    assert {queue for _, task, _, _, queue in tasks if task in warehouse_tasks} == {"warehouse"}
    # Each worker logs the workloads it executes: both took crawls, only the second the warehouse tasks.
    executed = {name: re.findall(r"Executing workload in Celery: .*?task_id='(\w+)'",
                                 (cluster.home / f"{name}.log").read_text(errors="replace"))
                for name in ("worker1", "worker2")}
    assert executed["worker1"] and executed["worker2"], executed
    assert warehouse_tasks <= set(executed["worker2"]) and not warehouse_tasks & set(executed["worker1"]), executed

    published = cluster.home / "warehouse.duckdb"
    assert marts(published) == local_marts(tmp_path_factory.getbasetemp(), shared)
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": cluster.env["AWS_ENDPOINT_URL"]}, key="testing",
                           secret="testing")
    root = cluster.env["REGTRAIL_LOG"].removeprefix("s3://")
    assert fs.glob(f"{root}/events/records/**/*.parquet"), "the crawl wrote its segments to S3"
    assert not (cluster.home / "events").exists(), "nothing of the log on local disk"
    # A crawl that finds nothing new emits no asset event, so no scheduler starts a build: tests/test_pipeline.py
    # (the crawl task's outlet, counted in Airflow's asset_event table).
