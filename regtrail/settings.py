"""Where things live: REGTRAIL_HOME, the event log and archive (REGTRAIL_LOG), the mirror, the shared data."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _sources_dir() -> Path:
    """The folder of the source folders: the `scrapers` package, located without importing it."""
    spec = importlib.util.find_spec("scrapers")
    if spec is None or not spec.submodule_search_locations:
        return REPO_ROOT / "scrapers"
    return Path(next(iter(spec.submodule_search_locations))).resolve()


SOURCES_DIR = _sources_dir()
USER_AGENT = "regtrail/0.1 (+https://github.com/regtrail/regtrail; regulatory filings research crawler)"


def home() -> Path:
    """The local root: warehouse, build file, Airflow metadata; the log too unless REGTRAIL_LOG moves it."""
    return Path(os.environ.get("REGTRAIL_HOME", "data")).resolve()


def log_root() -> Path | str:
    """The event log and archive root (`REGTRAIL_LOG`, default REGTRAIL_HOME).

    An fsspec URL (`s3://bucket/prefix`) is kept as a string; a local path (or `file://` URL) is a Path.
    """
    value = os.environ.get("REGTRAIL_LOG", "").strip()
    if not value:
        return home()
    if value.startswith("file://"):
        return Path(value.removeprefix("file://")).resolve()
    if "://" in value:
        return value.rstrip("/")
    return Path(value).resolve()


def log_env() -> dict[str, str]:
    """`REGTRAIL_LOG` for a dbt process, made absolute (dbt reads it verbatim); empty when unset.

    Unset, dbt reads the log under REGTRAIL_HOME.
    """
    return {"REGTRAIL_LOG": str(log_root())} if os.environ.get("REGTRAIL_LOG", "").strip() else {}


def mirror_origin() -> str | None:
    """The mirror origin (`REGTRAIL_MIRROR`), or None in production mode."""
    value = os.environ.get("REGTRAIL_MIRROR", "").strip()
    return value.rstrip("/") or None


def shared_dir() -> Path:
    """The folder with the real CAC files (`REGTRAIL_SHARED`, default `<repo>/../shared`)."""
    return Path(os.environ.get("REGTRAIL_SHARED", REPO_ROOT.parent / "shared")).resolve()


def dbt_executable() -> str:
    """The dbt installed beside this interpreter (the project's venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def warehouse_path() -> Path:
    """The published warehouse file."""
    return home() / "warehouse.duckdb"


def dbt_tasks() -> str:
    """How the warehouse DAG runs dbt (`REGTRAIL_DBT_TASKS`): `build` (one task, the default) or `models`
    (one task per model)."""
    value = os.environ.get("REGTRAIL_DBT_TASKS", "").strip().lower() or "build"
    if value not in {"models", "build"}:
        raise ValueError(f"REGTRAIL_DBT_TASKS must be 'models' or 'build', not {value!r}")
    return value


def full_refresh() -> bool:
    """Build the warehouse from scratch instead of from the published one (`REGTRAIL_FULL_REFRESH`)."""
    return os.environ.get("REGTRAIL_FULL_REFRESH", "").strip().lower() in {"1", "true", "yes", "on"}
