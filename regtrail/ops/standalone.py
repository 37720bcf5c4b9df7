"""`regtrail airflow standalone`: `airflow standalone` (scheduler, DAG processor, API server, triggerer) for the
regtrail DAGs, set up the way a newcomer needs it, and stopped with every process it started.

Sets the API port and `AIRFLOW__API__BASE_URL` (Airflow's own links and its task runners need the base URL
when the port is not 8080), `AIRFLOW__CORE__PARALLELISM=4`, crawls the bundled mirror unless
`REGTRAIL_MIRROR` names one or `--live` is given, says where the admin password is written, runs Airflow in a
process group of its own and ends that whole group on exit (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

import psutil

from regtrail.ops import airflow_env, demo

GRACE_SECONDS = 20.0


def password_file(airflow_home: Path) -> Path:
    """Where Airflow's simple auth manager writes the generated admin password (JSON: {"admin": "..."})."""
    configured = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
    return Path(configured) if configured else airflow_home / "simple_auth_manager_passwords.json.generated"


def standalone_env(port: int) -> dict[str, str]:
    """The variables set for `airflow standalone` on `port` (besides airflow_env's)."""
    base = f"http://localhost:{port}"
    return {"AIRFLOW__API__PORT": str(port), "AIRFLOW__API__BASE_URL": base,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__CORE__PARALLELISM": "4"}


def stop_group(proc: subprocess.Popen, grace: float = GRACE_SECONDS) -> list[int]:
    """SIGTERM to the process group of `proc` (and to any descendant that left it), SIGKILL to what is left
    after `grace` seconds; returns the ids still alive before the SIGKILL (empty when TERM sufficed)."""
    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    group = proc.pid
    _signal_group(group, signal.SIGTERM)
    for member in family:
        _signal(member, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and (proc.poll() is None or _alive(family, group)):
        time.sleep(0.2)
    left = [p.pid for p in _alive(family, group)]
    if proc.poll() is None:
        left.append(proc.pid)
    _signal_group(group, signal.SIGKILL)
    for member in family:
        _signal(member, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10  # a killed process is gone once the kernel has torn it down
    while _alive(family, group) and time.monotonic() < deadline:
        time.sleep(0.1)
    return sorted(set(left))


def group_members(group: int) -> list[psutil.Process]:
    """The live processes whose process group is `group`."""
    found = []
    for candidate in psutil.process_iter():
        try:
            if os.getpgid(candidate.pid) == group and candidate.status() != psutil.STATUS_ZOMBIE:
                found.append(candidate)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


def _alive(family: list[psutil.Process], group: int) -> list[psutil.Process]:
    alive = {p.pid: p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE}
    alive.update({p.pid: p for p in group_members(group)})
    return list(alive.values())


def _signal_group(group: int, sig: signal.Signals) -> None:
    try:
        os.killpg(group, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _signal(process: psutil.Process, sig: signal.Signals) -> None:
    try:
        process.send_signal(sig)
    except psutil.Error:
        pass


def main(port: int = 8080, live: bool = False) -> int:
    """Run `airflow standalone` until it ends or this process gets SIGINT/SIGTERM; Airflow's exit code (0 when
    stopped by a signal)."""
    env = airflow_env.apply()
    os.environ.update(standalone_env(port))
    # `airflow standalone` starts its components as `airflow ...` from PATH: this environment's, first.
    os.environ["PATH"] = os.pathsep.join([str(demo.BIN), os.environ.get("PATH", "")])
    airflow_home = Path(env["AIRFLOW_HOME"])
    Path(env["REGTRAIL_HOME"]).mkdir(parents=True, exist_ok=True)

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with ExitStack() as stack:
            if live:
                os.environ.pop("REGTRAIL_MIRROR", None)
                print("crawling the live site (--live)", file=sys.stderr, flush=True)
            else:
                origin = stack.enter_context(demo.mirror_running())
                print(f"crawling the mirror at {origin} (REGTRAIL_MIRROR)", file=sys.stderr, flush=True)
            demo.prepare_airflow()
            print(f"REGTRAIL_HOME={env['REGTRAIL_HOME']}\nAirflow UI and REST API: "
                  f"{os.environ['AIRFLOW__API__BASE_URL']}\nadmin password (written at start-up): "
                  f"{password_file(airflow_home)}", file=sys.stderr, flush=True)
            proc = subprocess.Popen([str(demo.BIN / "airflow"), "standalone"], start_new_session=True)
            try:
                return proc.wait()
            finally:
                for sig in previous:  # a second Ctrl-C does not cut the clean-up short
                    signal.signal(sig, signal.SIG_IGN)
                print(f"stopping airflow standalone (process group {proc.pid})", file=sys.stderr, flush=True)
                left = stop_group(proc)
                if left:
                    print(f"needed SIGKILL: {left}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
