"""Build-side and publish-side of the warehouse file.

dbt builds into `$REGTRAIL_HOME/build/warehouse.duckdb`; publishing checkpoints that file and
renames it over `$REGTRAIL_HOME/warehouse.duckdb` in one atomic step, so readers never see a
half-built warehouse and a reader holding the old file keeps reading it.

Publishing also produces, from the same build, everything served next to the warehouse:
`exports/` (one Parquet file per mart), `docs/` (`dbt docs generate`) and `report/index.html`.
Each is staged in full first and swapped in by replacing a symlink (`exports -> .published/...`),
so a reader sees either the previous set of files or the new one, never a mix. Nothing is swapped
unless everything was staged: a failure before the rename leaves the previous publication intact.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from . import settings

PUBLISHED_DIRS = ("exports", "docs", "report")
DOCS_FILES = ("index.html", "static_index.html", "manifest.json", "catalog.json")


def build_path(root: Path | None = None) -> Path:
    """The file dbt builds into."""
    return (root or settings.home()) / "build" / "warehouse.duckdb"


def prepare_build(root: Path | None = None) -> Path:
    """Start a fresh build file (the warehouse is a pure function of the event log)."""
    path = build_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, _wal(path)):
        leftover.unlink(missing_ok=True)
    return path


def publish(root: Path | None = None, *, docs: bool = True, exports: bool = True, report: bool = True) -> Path:
    """Stage docs, Parquet exports and the report from the build file, then swap everything in.

    The warehouse rename is the commit point; the directory swaps follow it. Returns the published path.
    """
    root = (root or settings.home()).resolve()
    source = build_path(root)
    if not source.exists():
        raise FileNotFoundError(f"nothing to publish: {source} does not exist (did dbt run?)")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    stage = source.parent / f"publish-{stamp}"
    stage.mkdir(parents=True)
    try:
        staged: dict[str, Path] = {}
        with duckdb.connect(str(source)) as con:
            con.execute("CHECKPOINT")
            if exports:
                staged["exports"] = export_marts(con, stage / "exports", stamp)
            if report:
                from .analyst import report as report_module

                staged["report"] = report_module.write_report(con, stage / "report" / "index.html").parent
        if _wal(source).exists() and _wal(source).stat().st_size:
            raise RuntimeError(f"{_wal(source)} still holds changes after CHECKPOINT; not publishing")
        if docs:
            # dbt reads the catalog from a copy: the process that ran dbt may still hold the build file
            # (`airflow dags test` runs every task in one process), and a second process cannot open it.
            copy = stage / "docs-db" / source.name
            copy.parent.mkdir()
            shutil.copyfile(source, copy)
            staged["docs"] = generate_docs(root, copy, stage / "docs")
        target = root / "warehouse.duckdb"
        _wal(target).unlink(missing_ok=True)  # a stale WAL must never be replayed onto the new file
        os.replace(source, target)
        for name, folder in staged.items():
            swap_dir(folder, root / name, stamp)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return target


def export_marts(con: duckdb.DuckDBPyConnection, folder: Path, stamp: str = "") -> Path:
    """Write every mart (`fct_*`, `dim_*` tables) as `<mart>.parquet` into `folder`, plus `_publish.json`."""
    folder.mkdir(parents=True, exist_ok=True)
    marts = [name for (name,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main' "
        "and table_type = 'BASE TABLE' and (table_name like 'fct\\_%' escape '\\' "
        "or table_name like 'dim\\_%' escape '\\') order by table_name"
    ).fetchall()]
    counts = {}
    for mart in marts:
        path = folder / f"{mart}.parquet"
        con.execute(f"copy (select * from \"{mart}\") to '{_sql_str(path)}' (format parquet, compression zstd)")
        counts[mart] = con.execute(f'select count(*) from "{mart}"').fetchone()[0]
    info = {"published": stamp, "rows": counts}
    (folder / "_publish.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return folder


def generate_docs(root: Path, build_file: Path, folder: Path) -> Path:
    """`dbt docs generate --static` against the build file; copies the site files into `folder`."""
    dbt_dir = settings.REPO_ROOT / "dbt_project"
    work = folder.parent / "dbt-docs-work"
    env = dict(os.environ, REGTRAIL_HOME=str(root), REGTRAIL_BUILD_DB=str(build_file),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    command = [_dbt(), "docs", "generate", "--static", "--quiet", "--project-dir", str(dbt_dir),
               "--profiles-dir", str(dbt_dir), "--target-path", str(work / "target"),
               "--log-path", str(work / "logs")]
    done = subprocess.run(command, cwd=settings.REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"dbt docs generate failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    folder.mkdir(parents=True, exist_ok=True)
    for name in DOCS_FILES:
        shutil.copy2(work / "target" / name, folder / name)
    shutil.rmtree(work, ignore_errors=True)
    return folder


def swap_dir(staged: Path, link: Path, stamp: str, keep: int = 2) -> Path:
    """Move `staged` under `.published/` and point the symlink `link` at it with one atomic rename.

    Keeps the newest `keep` versions, so a reader that resolved the previous link a moment ago still
    finds its files. A plain directory at `link` (written by hand or by an older version) is moved aside.
    """
    versions = link.parent / ".published"
    versions.mkdir(parents=True, exist_ok=True)
    final = versions / f"{link.name}-{stamp}"
    os.replace(staged, final)
    if link.is_dir() and not link.is_symlink():
        os.replace(link, versions / f"{link.name}-{stamp}-replaced")
    temporary = link.parent / f".{link.name}.{stamp}.link"
    temporary.symlink_to(os.path.relpath(final, link.parent))
    os.replace(temporary, link)
    older = sorted(p for p in versions.glob(f"{link.name}-*") if p != final)
    for old in older[: max(0, len(older) - (keep - 1))]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def _dbt() -> str:
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")
