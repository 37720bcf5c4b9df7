"""Real servers for the scale-out test, each started on 127.0.0.1 and stopped by its context manager:
Redis (Debian `redis-server`), a private PostgreSQL cluster (Debian `postgresql`; run as the `postgres`
user when we are root, since PostgreSQL refuses to run as root) and moto's S3 server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")


def stop(proc: subprocess.Popen, timeout: float = 30, sig: int = signal.SIGTERM) -> None:
    """Terminate a process started in its own session, and whatever it started."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass


def postgres_bin() -> Path | None:
    """The folder of Debian's PostgreSQL server programs (initdb, postgres), if installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def missing_services() -> list[str]:
    """Which of the Debian programs this test needs are not installed (`.ci/run` installs them)."""
    missing = [] if shutil.which("redis-server") else ["redis-server"]
    return missing + ([] if postgres_bin() else ["postgresql"])


@contextmanager
def redis_server() -> Iterator[str]:
    """A throw-away Redis without persistence; yields its URL."""
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(port, proc, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A private PostgreSQL cluster (initdb, trust auth on loopback) with a database `airflow`; yields
    its SQLAlchemy URL. The cluster's folder is removed afterwards."""
    bin_dir = postgres_bin()
    assert bin_dir, "PostgreSQL is not installed (apt-get install postgresql)"
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="regtrail-pg-"))
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, port = folder / "data", free_port()

    def run(*command: str) -> None:
        done = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    proc = subprocess.Popen([*as_user, str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
                             "-k", str(folder), "-c", "fsync=off", "-c", "max_connections=200"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(port, proc, "postgres")
        for _ in range(50):  # accepting TCP connections before it accepts queries
            try:
                run(str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c",
                    "create database airflow")
                break
            except AssertionError as error:
                if "starting up" not in str(error):
                    raise
                time.sleep(0.2)
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/airflow"
    finally:
        stop(proc, sig=signal.SIGINT)  # PostgreSQL's fast shutdown (SIGTERM waits for every client)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def s3_server() -> Iterator[dict[str, str]]:
    """moto's S3 server in its own process; yields the AWS_* variables that point at it."""
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(port, proc, "moto_server")
        yield {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    finally:
        stop(proc)
