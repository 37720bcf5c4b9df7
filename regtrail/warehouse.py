"""Build-side and publish-side of the warehouse file.

dbt builds into `$REGTRAIL_HOME/build/warehouse.duckdb`, which starts as a copy of the published
warehouse (dbt's incremental models then load only what is new in the log) or, when that copy cannot
be trusted or a full refresh is asked for, empty. Publishing records the build's fingerprint in it,
checkpoints it and renames it over `$REGTRAIL_HOME/warehouse.duckdb` in one atomic step, so readers
never see a half-built warehouse and a reader holding the old file keeps reading it.

Publishing also produces, from the same build, everything served next to the warehouse:
`exports/` (one Parquet file per mart), `docs/` (`dbt docs generate`) and `report/index.html`.
Each is staged in full first and swapped in by replacing a symlink (`exports -> .published/...`),
so a reader sees either the previous set of files or the new one, never a mix. Nothing is swapped
unless everything was staged: a failure before the rename leaves the previous publication intact.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import duckdb

from regtrail import settings
from regtrail.log import events

log = logging.getLogger(__name__)

PUBLISHED_DIRS = ("exports", "docs", "report", "feeds")
BUILD_INFO = "_regtrail_build"  # one row: fingerprint of the dbt project + engine that built the file
DOCS_FILES = ("index.html", "static_index.html", "manifest.json", "catalog.json")


def build_path(root: Path | None = None) -> Path:
    """The file dbt builds into."""
    return (root or settings.home()) / "build" / "warehouse.duckdb"


def prepare_build(root: Path | None = None, *, full_refresh: bool | None = None) -> Path:
    """Start the build file: a copy of the published warehouse, or nothing (a full build).

    dbt's incremental models then load only the event segments the copy has not loaded yet. The copy
    is used only when it was built by the same dbt project and engine versions (`build_fingerprint`)
    from segments that all still exist; otherwise, or with `full_refresh` (default
    `REGTRAIL_FULL_REFRESH`), the build starts empty and dbt rebuilds everything from the log.
    """
    root = root or settings.home()
    for moved in events.quarantine_unreadable(settings.log_root()):  # dbt reads the segment folders as they are
        log.warning("the build goes on without %s (unreadable; replay restores record events)", moved)
    path = build_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, _wal(path)):
        leftover.unlink(missing_ok=True)
    full_refresh = settings.full_refresh() if full_refresh is None else full_refresh
    published = root / "warehouse.duckdb"
    if full_refresh:
        reason = "REGTRAIL_FULL_REFRESH is set"
    elif not published.exists():
        reason = f"no published warehouse at {published}"
    else:
        # Inspect the copy, never the published file: a DuckDB connection opened here with another
        # configuration than a reader's in the same process (a BI client, say) would break that reader.
        partial = path.with_name(path.name + ".copying")
        shutil.copyfile(published, partial)
        reason = incremental_blocker(partial)
        if reason:
            partial.unlink()
        else:
            os.replace(partial, path)
    if reason:
        log.info("full build into %s: %s", path, reason)
        return path
    log.info("incremental build into %s, starting from a copy of %s", path, published)
    return path


def dbt_build(root: Path | None = None, *, full_refresh: bool | None = None) -> int:
    """`prepare_build`, then `dbt build` (models and data tests) into the build file; dbt's exit code.

    What the DAG's dbt tasks do, in one process with dbt's own progress output (`regtrail build`).
    """
    root = root or settings.home()
    path = prepare_build(root, full_refresh=full_refresh)
    dbt_dir = settings.REPO_ROOT / "dbt_project"
    env = dict(os.environ, REGTRAIL_HOME=str(root), REGTRAIL_BUILD_DB=str(path),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false", **settings.log_env())
    command = [settings.dbt_executable(), "build", "--project-dir", str(dbt_dir), "--profiles-dir", str(dbt_dir)]
    return subprocess.run(command, cwd=settings.REPO_ROOT, env=env).returncode


def incremental_blocker(warehouse_file: Path) -> str | None:
    """Why a build cannot continue from `warehouse_file`, a published warehouse or a copy (None: it can)."""
    if not warehouse_file.exists():
        return f"no published warehouse at {warehouse_file}"
    try:
        with duckdb.connect(str(warehouse_file), read_only=True) as con:
            found = con.execute(f"select fingerprint from {BUILD_INFO}").fetchone()
            segments = [row[0] for row in con.execute(
                "select distinct unnest(segments) from stg_regtrail__record_events").fetchall()]
    except duckdb.Error as exc:
        return f"cannot read the build record of {warehouse_file}: {exc}"
    if found is None or found[0] != build_fingerprint():
        return "the dbt project or the engine changed since the published build"
    missing = [segment for segment in segments if not _exists(segment)]
    if missing:
        return f"{len(missing)} event segments loaded by the published build are gone (e.g. {missing[0]})"
    return None


def build_fingerprint() -> str:
    """A digest of what decides the warehouse besides the log: the dbt project's files and versions."""
    project = settings.REPO_ROOT / "dbt_project"
    digest = hashlib.sha256()
    files = [project / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        files += sorted(path for path in (project / folder).rglob("*") if path.is_file())
    for path in files:
        digest.update(str(path.relative_to(project)).encode() + b"\0" + path.read_bytes() + b"\0")
    for package in ("duckdb", "dbt-duckdb", "dbt-core", "pypinyin"):  # pypinyin: int_entity_romanised_names
        digest.update(f"{package}=={metadata.version(package)}\0".encode())
    return "sha256:" + digest.hexdigest()


def publish(root: Path | None = None, *, docs: bool = True, exports: bool = True, report: bool = True,
            feeds: bool = True) -> Path:
    """Stage docs, Parquet exports, the report and the Atom feeds from the build file, then swap everything in.

    What this publication adds to the previous ones goes into the build first (`analyst.changes`). The
    warehouse rename is the commit point; the publication is then recorded in the log, the directory
    swaps follow, and the watchlist alert is sent (`analyst.alerts`, never failing the publish).
    Returns the published path.
    """
    from regtrail.analyst import alerts, changes

    root = (root or settings.home()).resolve()
    source = build_path(root)
    if not source.exists():
        raise FileNotFoundError(f"nothing to publish: {source} does not exist (did dbt run?)")
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    stage = source.parent / f"publish-{stamp}"
    stage.mkdir(parents=True)
    try:
        staged: dict[str, Path] = {}
        with duckdb.connect(str(source)) as con:
            fingerprint = build_fingerprint()
            con.execute(f"create or replace table {BUILD_INFO} as select ? as fingerprint, ? as published",
                        [fingerprint, stamp])
            publication = changes.compute(con, root, stamp, now, fingerprint)
            con.execute("CHECKPOINT")
            if exports:
                staged["exports"] = export_marts(con, stage / "exports", stamp)
            if report:
                from regtrail.analyst import report as report_module

                staged["report"] = report_module.write_report(con, stage / "report" / "index.html").parent
            if feeds:
                from regtrail.analyst import feeds as feeds_module

                staged["feeds"] = feeds_module.write_feeds(con, stage / "feeds")
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
        changes.record(publication)
        for name, folder in staged.items():
            swap_dir(folder, root / name, stamp)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    log.info("publication %s: %s", stamp, changes.summary_line(publication.counts))
    alerts.after_publish(publication, str(root / "report" / "index.html") if report else None)
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
    from regtrail import dbt_run

    dbt_dir = settings.REPO_ROOT / "dbt_project"
    work = folder.parent / "dbt-docs-work"
    env = dict(os.environ, REGTRAIL_HOME=str(root), REGTRAIL_BUILD_DB=str(build_file),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false", **settings.log_env())
    command = [settings.dbt_executable(), "docs", "generate", "--static", "--quiet", "--project-dir", str(dbt_dir),
               "--profiles-dir", str(dbt_run.profiles_dir(root)), "--target-path", str(work / "target"),
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


def _exists(location: str) -> bool:
    filesystem, path = events.filesystem(location)  # with REGTRAIL_STORAGE_OPTIONS for an object store
    return filesystem.exists(path)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")
