"""Where things live: REGTRAIL_HOME, the mirror origin, the shared data folder."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
USER_AGENT = "regtrail/0.1 (+https://github.com/regtrail/regtrail; regulatory filings research crawler)"


def home() -> Path:
    """The event log, archive and warehouse root (`REGTRAIL_HOME`, default `./data`)."""
    return Path(os.environ.get("REGTRAIL_HOME", "data")).resolve()


def mirror_origin() -> str | None:
    """The mirror origin (`REGTRAIL_MIRROR`), or None in production mode."""
    value = os.environ.get("REGTRAIL_MIRROR", "").strip()
    return value.rstrip("/") or None


def shared_dir() -> Path:
    """The folder with the real CAC files (`REGTRAIL_SHARED`, default `<repo>/../shared`)."""
    return Path(os.environ.get("REGTRAIL_SHARED", REPO_ROOT.parent / "shared")).resolve()


def warehouse_path() -> Path:
    """The published warehouse file."""
    return home() / "warehouse.duckdb"


def full_refresh() -> bool:
    """Build the warehouse from scratch instead of from the published one (`REGTRAIL_FULL_REFRESH`)."""
    return os.environ.get("REGTRAIL_FULL_REFRESH", "").strip().lower() in {"1", "true", "yes", "on"}
