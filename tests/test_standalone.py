"""`regtrail airflow standalone` as docs/operating.md runs it: a scheduler on a non-default port reaches a published
warehouse from the bundled mirror through the REST API, then stops with no process of it left."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest
import requests

from regtrail import settings
from regtrail.ops import orchestration, standalone

REGTRAIL = Path(sys.executable).with_name("regtrail")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def token(base: str, passwords: Path, proc: subprocess.Popen, timeout: float = 600) -> str:
    """A JWT from POST /auth/token with the generated admin password, once the API answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "regtrail airflow standalone exited during start-up"
        try:
            if passwords.exists():
                password = json.loads(passwords.read_text())["admin"]
                answer = requests.post(f"{base}/auth/token", json={"username": "admin", "password": password},
                                       timeout=5)
                if answer.status_code in (200, 201):
                    return answer.json()["access_token"]
        except (requests.ConnectionError, requests.Timeout, ValueError, KeyError):
            pass
        time.sleep(1)
    raise TimeoutError(f"no token from {base} within {timeout} s")


@pytest.mark.slow
def test_standalone_publishes_from_the_mirror_and_leaves_no_process(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    assert port != 8080
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "REGTRAIL_"))}
    env.update(REGTRAIL_HOME=str(home), PYTHONPATH=str(settings.REPO_ROOT), REGTRAIL_SHARED=str(settings.shared_dir()))
    log = open(tmp_path / "standalone.log", "w")  # noqa: SIM115 (for the life of the process)
    proc = subprocess.Popen([str(REGTRAIL), "airflow", "standalone", "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT, cwd=tmp_path)
    seen: dict[int, psutil.Process] = {}

    def watch() -> None:  # every process the command started, recorded while it runs
        try:
            for child in psutil.Process(proc.pid).children(recursive=True):
                seen.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass

    try:
        base = f"http://127.0.0.1:{port}"
        session = requests.Session()
        session.headers["Authorization"] = "Bearer " + token(base, standalone.password_file(home / "airflow"), proc)
        watch()
        dags = [orchestration.WAREHOUSE_DAG, *orchestration.crawl_dags()]  # the warehouse first
        deadline = time.monotonic() + 300
        while not set(dags) <= {d["dag_id"] for d in session.get(f"{base}/api/v2/dags", timeout=30).json()["dags"]}:
            assert time.monotonic() < deadline, "the DAGs were not parsed"
            time.sleep(2)
        for dag_id in dags:
            session.patch(f"{base}/api/v2/dags/{dag_id}", json={"is_paused": False}, timeout=30).raise_for_status()
        deadline = time.monotonic() + 1500
        while True:
            watch()
            runs = session.get(f"{base}/api/v2/dags/{orchestration.WAREHOUSE_DAG}/dagRuns", timeout=30).json()
            states = [r["state"] for r in runs["dag_runs"]]
            assert "failed" not in states, (tmp_path / "standalone.log").read_text()[-4000:]
            if "success" in states:
                break
            assert time.monotonic() < deadline, f"no published warehouse; warehouse runs {states}"
            time.sleep(3)
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
            assert con.execute("select count(*) from fct_filings").fetchone()[0] > 0
        # dbt parsed the project once, for the DAG's manifest; the build and the docs reused that parse
        dbt_log = (home / "dbt" / "logs" / "dbt.log").read_text(encoding="utf-8")
        assert dbt_log.count("Starting full parse") == 1, dbt_log[-3000:]
        assert dbt_log.count("no changes found, skipping parsing") >= 2, dbt_log[-3000:]
        text = (tmp_path / "standalone.log").read_text()
        assert f"http://localhost:{port}" in text and "simple_auth_manager_passwords.json.generated" in text
        assert "crawling the mirror at http://127.0.0.1:" in text
    finally:
        watch()
        groups = {g for g in map(_pgid, seen.values()) if g is not None and g != os.getpgid(0)}
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=120)
        log.close()
    assert code == 0, (tmp_path / "standalone.log").read_text()[-3000:]
    assert len(seen) >= 4, f"expected a scheduler, a DAG processor, an API server and more: {sorted(seen)}"
    left = [p for p in seen.values() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left == [], [(p.pid, p.cmdline()) for p in left]
    assert groups and not [p for g in groups for p in standalone.group_members(g)]


def _pgid(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except ProcessLookupError:
        return None


def test_stopping_ends_the_whole_group_also_what_ignores_sigterm() -> None:
    """A parent, a child that exits on SIGTERM and a grandchild that ignores it (as Airflow's workers may)."""
    script = "sleep 300 & (trap '' TERM; sleep 300; sleep 300) & wait"
    proc = subprocess.Popen(["sh", "-c", script], start_new_session=True)
    deadline = time.monotonic() + 10
    while len(psutil.Process(proc.pid).children(recursive=True)) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    family = psutil.Process(proc.pid).children(recursive=True)
    started = time.monotonic()
    left = standalone.stop_group(proc, grace=1.0)
    assert left, "the process ignoring SIGTERM needed SIGKILL"
    assert time.monotonic() - started < 10
    assert not [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert standalone.group_members(proc.pid) == []
