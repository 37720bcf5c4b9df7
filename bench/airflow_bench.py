"""Scheduled runs under a real scheduler: `airflow standalone` (LocalExecutor, every task its own process),
the bundled mirror, runs triggered through the REST API. Prints figures, asserts nothing.

Sequence: unpause the warehouse DAG, then the crawl DAG (the scheduler starts the first crawl at once:
a full crawl, then an Asset-triggered full build); then `--runs` no-change runs (trigger the crawl DAG;
it appends no record events, so no warehouse run follows) and `--runs` one-new-list runs (the mirror is
restarted on the same port with one more deep-synthesis notice; the crawl appends it and the warehouse
DAG builds and publishes it). Each run's wall time is from the trigger to the end of the last DAG run it
caused. Also printed: the dbt phase (the `dbt_build` task, and dbt's own elapsed time), the gap between
an upstream task ending and the next one starting, each task's time, the load average.

    .venv/bin/python bench/airflow_bench.py [--runs 3] [--home DIR]       (or `make bench-airflow`)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from regtrail import settings  # noqa: E402
from regtrail.mirror.server import MirrorHandle, start_mirror  # noqa: E402
from regtrail.mirror.site import build_site  # noqa: E402
from regtrail.ops import airflow_env, orchestration  # noqa: E402

BIN = Path(sys.executable).parent
CRAWL_DAG = next(iter(orchestration.crawl_dags()))
WAREHOUSE_DAG = orchestration.WAREHOUSE_DAG
FINAL = {"success", "failed"}


def new_notice(n: int) -> dict[str, Any]:
    """The n-th deep-synthesis list the regulator "publishes" during the benchmark (synthetic content)."""
    return {"url": f"https://www.cac.gov.cn/2026-10/{n + 1:02d}/c_17900000000{n:05d}.htm",
            "title": f"国家互联网信息办公室关于发布第{n + 20}批深度合成服务算法备案信息的公告",
            "published": f"2026-10-{n + 1:02d}", "batch_label": f"2027年{n + 1}月", "expected_count": 25 + n}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parse_time(value: str | None) -> float | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None


class Mirror:
    """The bundled mirror (synthetic lists where no real file) on a fixed port, restartable with more lists."""

    def __init__(self) -> None:
        self.port = free_port()
        self.extra: list[dict[str, Any]] = []
        self.handle: MirrorHandle | None = None
        self.restart()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restart(self, extra: dict[str, Any] | None = None) -> None:
        if extra:
            self.extra.append(extra)
        if self.handle:
            self.handle.stop()
        site = build_site(settings.shared_dir(), synthetic="fill", extra_deep_synthesis=self.extra)
        for resource in site.routes.values():  # build every synthetic file now, not while a crawl waits
            if callable(resource):
                resource({"referer": "https://www.cac.gov.cn/"})
        self.handle = start_mirror(site, port=self.port)

    def stop(self) -> None:
        if self.handle:
            self.handle.stop()


@dataclass
class Standalone:
    """`airflow standalone` in its own process group, and a REST client with a JWT."""

    home: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        log = open(self.home / "standalone.log", "w")  # noqa: SIM115 (open for the life of the process)
        env = {**self.env, "AIRFLOW__API__PORT": str(self.port), "AIRFLOW__API__HOST": "127.0.0.1",
               "AIRFLOW__API__BASE_URL": self.base,
               "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base}/execution/"}
        started = time.monotonic()
        self.proc = subprocess.Popen([str(BIN / "airflow"), "standalone"], env=env, cwd=REPO, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        passwords = Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"airflow standalone exited; see {self.home / 'standalone.log'}")
            if time.monotonic() - started > 300:
                raise TimeoutError("the API server did not answer within 300 s")
            try:
                if passwords.exists():
                    password = json.loads(passwords.read_text())["admin"]
                    answer = requests.post(f"{self.base}/auth/token", timeout=5,
                                           json={"username": "admin", "password": password})
                    if answer.status_code in (200, 201):
                        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
                        return time.monotonic() - started
            except (requests.ConnectionError, requests.Timeout, json.JSONDecodeError, KeyError):
                pass
            time.sleep(1)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        if self.proc:
            time.sleep(2)  # standalone's children may outlive it: end what is left of the group
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.session.request(method, f"{self.base}/api/v2{path}", timeout=30, **kwargs)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = {d["dag_id"] for d in self.api("GET", "/dags", params={"limit": 100})["dags"]}
            if set(dag_ids) <= found:
                return
            time.sleep(1)
        raise TimeoutError(f"the DAGs {dag_ids} were not parsed within {timeout} s")

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100, "order_by": "run_after"})["dag_runs"]

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 900) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            if run["state"] in FINAL:
                return run
            time.sleep(0.5)
        raise TimeoutError(f"{dag_id} {run_id} did not finish within {timeout} s")

    def tasks(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    def xcom(self, dag_id: str, run_id: str, task_id: str) -> Any:
        entry = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value")
        return entry.get("value")


@dataclass
class Run:
    """One measured run: the crawl run it triggered and the warehouse run that followed (if any)."""

    kind: str
    wall: float
    crawl: dict[str, Any]
    warehouse: dict[str, Any] | None
    tasks: list[dict[str, Any]]
    dbt_elapsed: float | None
    load: tuple[float, float, float]


def wait_for_warehouse(af: Standalone, known: set[str], timeout: float) -> dict[str, Any] | None:
    """The warehouse run created after `known`, once finished; None if none appears within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = [r for r in af.runs(WAREHOUSE_DAG) if r["dag_run_id"] not in known]
        if new:
            return af.wait_run(WAREHOUSE_DAG, new[0]["dag_run_id"])
        time.sleep(0.5)
    return None


def measure(af: Standalone, kind: str, crawl_run_id: str, started: float, expect_build: bool) -> Run:
    """Follow a crawl run and the warehouse run it causes; wall time from `started` (epoch seconds)."""
    known = {r["dag_run_id"] for r in af.runs(WAREHOUSE_DAG)}
    crawl = af.wait_run(CRAWL_DAG, crawl_run_id)
    # No asset event means no warehouse run: wait a while to be sure none is created.
    warehouse = wait_for_warehouse(af, known, timeout=300 if expect_build else 20)
    end = parse_time((warehouse or crawl)["end_date"]) or time.time()
    tasks = af.tasks(CRAWL_DAG, crawl_run_id)
    dbt_elapsed = None
    if warehouse:
        tasks += af.tasks(WAREHOUSE_DAG, warehouse["dag_run_id"])
        if warehouse["state"] == "success":
            dbt_elapsed = (af.xcom(WAREHOUSE_DAG, warehouse["dag_run_id"], "dbt_build") or {}).get("elapsed")
    return Run(kind, end - started, crawl, warehouse, tasks, dbt_elapsed, os.getloadavg())


def trigger(af: Standalone) -> tuple[str, float]:
    started = time.time()
    run = af.api("POST", f"/dags/{CRAWL_DAG}/dagRuns", json={"logical_date": None})
    return run["dag_run_id"], started


def task_figures(run: Run) -> dict[str, Any]:
    """Per task: seconds running, seconds from its last upstream ending (or the run starting) to its start."""
    rows = {}
    for ti in run.tasks:
        if ti["state"] != "success" or not ti["start_date"]:
            continue
        rows[ti["task_id"]] = {"start": parse_time(ti["start_date"]), "end": parse_time(ti["end_date"]),
                               "queued": parse_time(ti.get("queued_when")), "duration": ti["duration"]}
    crawl_end = max((r["end"] for t, r in rows.items() if t.startswith("crawl_")), default=None)
    upstream_end = {
        "event_log_updated": crawl_end,
        "prepare_build": parse_time((run.warehouse or {}).get("start_date")),
        "dbt_build": rows.get("prepare_build", {}).get("end"),
        "publish": rows.get("dbt_build", {}).get("end"),
    }
    for task_id, row in rows.items():
        before = upstream_end.get(task_id) or parse_time(run.crawl["start_date"])
        row["gap"] = row["start"] - before if before else None
    return rows


def report(runs: list[Run]) -> None:
    for kind in dict.fromkeys(r.kind for r in runs):
        group = [r for r in runs if r.kind == kind]
        walls = [r.wall for r in group]
        print(f"\n{kind}: wall time {statistics.median(walls):.1f} s median of {len(walls)} "
              f"({', '.join(f'{w:.1f}' for w in walls)}); warehouse runs: "
              f"{[r.warehouse['state'] if r.warehouse else 'none' for r in group]}; "
              f"load average after each: {[round(r.load[0], 2) for r in group]}")
        figures = [task_figures(r) for r in group]
        dbt = [f["dbt_build"]["duration"] for f in figures if "dbt_build" in f]
        if dbt:
            own = [r.dbt_elapsed for r in group if r.dbt_elapsed is not None]
            print(f"  dbt phase (dbt_build task): {statistics.median(dbt):.1f} s median; dbt's own elapsed "
                  f"{statistics.median(own):.1f} s" if own else "")
        tasks = sorted({t for f in figures for t in f})
        print(f"  {'task':<34} {'running s':>10} {'gap s':>7}   (medians; gap: upstream end -> task start)")
        for task_id in tasks:
            durations = [f[task_id]["duration"] for f in figures if task_id in f]
            gaps = [f[task_id]["gap"] for f in figures if task_id in f and f[task_id]["gap"] is not None]
            gap = f"{statistics.median(gaps):>7.1f}" if gaps else f"{'':>7}"
            print(f"  {task_id:<34} {statistics.median(durations):>10.1f} {gap}")
        gaps = [row["gap"] for f in figures for row in f.values() if row["gap"] is not None]
        if gaps:
            print(f"  per-task overhead (gap, all tasks): median {statistics.median(gaps):.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (default 3)")
    parser.add_argument("--home", type=Path, help="REGTRAIL_HOME to use (default: a new temporary folder)")
    args = parser.parse_args()
    home = (args.home or Path(tempfile.mkdtemp(prefix="regtrail-airflow-bench-"))).resolve()
    home.mkdir(parents=True, exist_ok=True)
    mirror = Mirror()
    env = {**os.environ, **airflow_env.airflow_environ(home), "REGTRAIL_MIRROR": mirror.origin,
           "AIRFLOW__CORE__PARALLELISM": "4", "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("REGTRAIL_DBT_TASKS", None)
    af = Standalone(home, env)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop standalone's process group on the way out
    print(f"REGTRAIL_HOME={home}; mirror {mirror.origin}; load average at start {os.getloadavg()}", flush=True)
    try:
        print(f"airflow standalone: API answered after {af.start():.1f} s", flush=True)
        af.wait_for_dags([CRAWL_DAG, WAREHOUSE_DAG])
        af.api("PATCH", f"/dags/{WAREHOUSE_DAG}", json={"is_paused": False})
        unpaused = time.time()
        af.api("PATCH", f"/dags/{CRAWL_DAG}", json={"is_paused": False})
        deadline = time.monotonic() + 120
        while not af.runs(CRAWL_DAG) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(5)
        created = af.runs(CRAWL_DAG)
        print(f"unpausing {CRAWL_DAG} created {len(created)} run(s) at once: "
              f"{[(r['run_type'], r['dag_run_id']) for r in created]}", flush=True)
        first = measure(af, "first run (unpause: full crawl, full build)", created[0]["dag_run_id"], unpaused, True)
        runs = [first]
        state = first.warehouse and first.warehouse["state"]
        print(f"first run: {first.wall:.1f} s, warehouse run {state}", flush=True)
        for i in range(args.runs):
            run_id, started = trigger(af)
            runs.append(measure(af, "no-change run", run_id, started, expect_build=False))
            print(f"no-change run {i + 1}: {runs[-1].wall:.1f} s", flush=True)
        for i in range(args.runs):
            mirror.restart(new_notice(i))
            run_id, started = trigger(af)
            runs.append(measure(af, "one-new-list run", run_id, started, expect_build=True))
            print(f"one-new-list run {i + 1}: {runs[-1].wall:.1f} s", flush=True)
        report(runs)
        print(f"\nload average at the end {os.getloadavg()}; {os.cpu_count()} CPUs; "
              f"AIRFLOW__CORE__PARALLELISM={env['AIRFLOW__CORE__PARALLELISM']}")
    finally:
        af.stop()
        mirror.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
