"""One warehouse build at a time per REGTRAIL_HOME: a lease held from `prepare_build` to `publish`.

prepare → dbt → publish may run in one process (`airflow dags test`, `make demo`, a script) or as
separate Airflow tasks in separate processes, so an OS lock held by one process is not enough. The
lease is a small JSON file, `build/lease.json`, naming the holder (run, pid, host, since); every
read-modify-write of it happens under a `filelock.FileLock` on `build/lease.json.lock`, held for
milliseconds. A lease ends when `publish` succeeds, when its holder releases it (`release`), or when
it is stale:
- a lease bound to a process (`held()`, the whole build in one step) is stale once that process is
  gone (same host: its pid no longer runs the process that took it, checked with its start time);
- a lease taken by `prepare_build` for tasks in other processes is stale after
  `REGTRAIL_BUILD_LOCK_TTL` seconds (default 2 hours), or at once for a retry of the same run.
A second build waits up to `REGTRAIL_BUILD_LOCK_WAIT` seconds (default 0: fail fast) and then fails
with `BuildLocked`, whose message names the lock file and the holder.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil
from filelock import FileLock

from regtrail import settings

POLL_SECONDS = 0.5


class BuildLocked(RuntimeError):
    """Another build holds the warehouse lease of this REGTRAIL_HOME."""


@dataclass(frozen=True)
class Lease:
    run: str
    pid: int
    host: str
    since: str  # ISO timestamp, UTC
    process_bound: bool  # ends with the process that took it (else: with publish, release or the TTL)
    pid_started: float = 0.0  # the holder process's start time, so a reused pid is not mistaken for it

    def describe(self) -> str:
        return f"run {self.run!r} (pid {self.pid} on {self.host}, since {self.since})"

    def age(self) -> float:
        return (datetime.now(UTC) - datetime.fromisoformat(self.since)).total_seconds()


def lease_path(root: Path) -> Path:
    return root / "build" / "lease.json"


def _mutex(root: Path) -> FileLock:
    path = lease_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path) + ".lock", timeout=60)


def ttl() -> float:
    return settings.ENV.build_lock_ttl


def default_wait() -> float:
    return settings.ENV.build_lock_wait


def run_id() -> str:
    """This build's run: `REGTRAIL_BUILD_RUN`, else the Airflow DAG run executing this task, else this process."""
    if settings.ENV.build_run:
        return settings.ENV.build_run
    if airflow := settings.airflow_run():
        return airflow
    return f"{socket.gethostname()}/pid{os.getpid()}"


def holder(root: Path) -> Lease | None:
    """The lease as it is on disk (stale or not), or None."""
    try:
        return Lease(**json.loads(lease_path(root).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):  # a torn or foreign file: treated as no lease, it is rewritten
        return None


def stale_reason(lease: Lease) -> str | None:
    """Why `lease` no longer holds (None: it still does)."""
    if lease.process_bound and lease.host == socket.gethostname():
        try:
            process = psutil.Process(lease.pid)
            alive = (abs(process.create_time() - lease.pid_started) < 1.0
                     and process.status() != psutil.STATUS_ZOMBIE)  # exited, not yet reaped by its parent
        except psutil.NoSuchProcess:
            alive = False
        if not alive:
            return f"its process {lease.pid} is gone"
        return None
    if lease.age() > ttl():
        return f"it is older than REGTRAIL_BUILD_LOCK_TTL={ttl():.0f} s"
    return None


def acquire(root: Path, run: str, *, process_bound: bool, wait: float | None = None) -> Lease:
    """Take the lease for `run` (re-entrant for the same run), waiting up to `wait` seconds.

    Raises BuildLocked naming the holder when another live build keeps it past the wait.
    """
    return _acquire(root, run, process_bound=process_bound, wait=wait)[0]


def _acquire(root: Path, run: str, *, process_bound: bool, wait: float | None) -> tuple[Lease, bool]:
    wait = default_wait() if wait is None else wait
    deadline = time.monotonic() + wait
    while True:
        with _mutex(root):
            current = holder(root)
            if current is not None and current.run == run:
                return current, False
            if current is None or stale_reason(current) is not None:
                lease = Lease(run=run, pid=os.getpid(), host=socket.gethostname(),
                              since=datetime.now(UTC).isoformat(timespec="seconds"), process_bound=process_bound,
                              pid_started=psutil.Process().create_time())
                _write(root, lease)
                return lease, True
        if time.monotonic() >= deadline:
            raise BuildLocked(
                f"another warehouse build holds {lease_path(root)}: {current.describe()}; this run ({run}) "
                f"{'waited ' + format(wait, '.0f') + ' s and ' if wait else ''}gives up (REGTRAIL_BUILD_LOCK_WAIT "
                "sets how long to wait; the lease ends when that build publishes or fails, "
                "`python -m regtrail.build.buildlock release` ends it by hand)")
        time.sleep(POLL_SECONDS)


def release(root: Path, run: str | None = None) -> bool:
    """End the lease if `run` holds it (any run when None). Returns whether a lease was removed."""
    with _mutex(root):
        current = holder(root)
        if current is None or (run is not None and current.run != run):
            return False
        lease_path(root).unlink(missing_ok=True)
        return True


@contextmanager
def held(root: Path, run: str | None = None, *, wait: float | None = None) -> Iterator[Lease]:
    """Hold the lease for the whole block in this process (prepare, dbt and publish inside it)."""
    lease, mine = _acquire(root, run or run_id(), process_bound=True, wait=wait)
    try:
        yield lease
    finally:
        if mine:
            release(root, lease.run)


def _write(root: Path, lease: Lease) -> None:
    path = lease_path(root)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(lease)) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    """`python -m regtrail.build.buildlock [status|release]`: show or end the lease of REGTRAIL_HOME."""
    import sys

    command = (argv if argv is not None else sys.argv[1:]) or ["status"]
    root = settings.home()
    lease = holder(root)
    if command[0] == "release":
        print(f"released {lease.describe()}" if lease and release(root) else "no lease to release")
        return 0
    if lease is None:
        print(f"no build holds {lease_path(root)}")
    else:
        reason = stale_reason(lease)
        print(f"{lease_path(root)}: {lease.describe()}" + (f"; stale: {reason}" if reason else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
