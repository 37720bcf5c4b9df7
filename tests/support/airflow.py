"""Airflow on a test's home: its SQLite metadata database, made once per session and copied."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from filelock import FileLock

from regtrail import settings
from regtrail.ops import airflow_env
from tests.support.warehouse import session_root

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def environ(home: Path, base: Path) -> dict[str, str]:
    """The environment of Airflow commands on `home` (`airflow_env.airflow_environ`), its metadata database ready:
    migrated, with the one-slot dbt pool, as `regtrail demo` leaves it. A copy of the session's one such database
    (`base`: a worker's `tmp_path_factory.getbasetemp()`): `airflow db migrate` costs about 3 s of CPU a home."""
    env = {**os.environ, **airflow_env.airflow_environ(home)}
    database = home / "airflow" / "airflow.db"
    database.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_migrated(session_root(base)), database)
    return env


def run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`airflow ARGS` in the repository; must succeed unless `check` is false."""
    out = subprocess.run([AIRFLOW, *args], env=env, cwd=settings.REPO_ROOT, capture_output=True, text=True,
                         timeout=1200)
    assert not check or out.returncode == 0, (out.stdout[-4000:], out.stderr[-4000:])
    return out


def _migrated(root: Path) -> Path:
    template = root / "airflow-template"
    database = template / "airflow" / "airflow.db"
    with FileLock(root / "airflow-template.lock"):
        if not (template / "migrated").exists():
            env = {**os.environ, **airflow_env.airflow_environ(template)}
            run(env, "db", "migrate")
            run(env, "pools", "set", airflow_env.DBT_POOL, "1", "one dbt writer at a time")
            (template / "migrated").touch()
    return database
