"""Build-side and publish-side of the warehouse file.

dbt builds into `$REGTRAIL_HOME/build/warehouse.duckdb`; publishing checkpoints that file and
renames it over `$REGTRAIL_HOME/warehouse.duckdb` in one atomic step, so readers never see a
half-built warehouse and a reader holding the old file keeps reading it.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from . import settings


def build_path(root: Path | None = None) -> Path:
    """The file dbt builds into."""
    return (root or settings.home()) / "build" / "warehouse.duckdb"


def prepare_build(root: Path | None = None) -> Path:
    """Start a fresh build file (the warehouse is a pure function of the event log)."""
    path = build_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    return path


def publish(root: Path | None = None) -> Path:
    """Checkpoint the build file and atomically rename it over the published warehouse."""
    root = root or settings.home()
    source = build_path(root)
    if not source.exists():
        raise FileNotFoundError(f"nothing to publish: {source} does not exist (did dbt run?)")
    with duckdb.connect(str(source)) as con:
        con.execute("CHECKPOINT")
    target = root / "warehouse.duckdb"
    os.replace(source, target)
    return target
