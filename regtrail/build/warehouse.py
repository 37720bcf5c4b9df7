"""Build-side and publish-side of the warehouse file.

dbt builds into `$REGTRAIL_HOME/build/warehouse.duckdb`, which starts as a copy of the published
warehouse (dbt's incremental models then load only what is new in the log) or, when that copy cannot
be trusted or a full refresh is asked for, empty. One build at a time per REGTRAIL_HOME: `prepare_build`
takes the build lease (`buildlock`) and records the build (`build/build.json`: run, fingerprint);
`publish` ends it. `publish` refuses a build file that `prepare_build` did not start for this project
version or whose last dbt test run did not pass every test (dbt records each invocation in the file).

Publishing stages, from the same build, everything served next to the warehouse: `exports/` (one
Parquet file per mart), `docs/` (`dbt docs generate`) and `report/index.html`, then switches the
warehouse and all those folders in with one symlink rename (`publication`): readers see the
previous set or the new one, never a mix, and a reader holding the old file keeps reading it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Protocol

import duckdb

from regtrail import settings
from regtrail.build import buildlock, dbt_run, publication
from regtrail.log import diskfull, events, quarantine

log = logging.getLogger(__name__)

PUBLISHED_DIRS = publication.PUBLISHED
BUILD_INFO = "_regtrail_build"  # one row: fingerprint of the dbt project + engine that built the file, run, stamp
DBT_RUNS = "_regtrail_dbt_runs"  # one row per dbt invocation on the build file (the project's on-run-end hook)
AUDIT_SCHEMA = "dbt_test__audit"  # where dbt stores a warning test's failing rows; kept out of the publication
DOCS_FILES = ("index.html", "static_index.html", "manifest.json", "catalog.json")


def dbt_connect_config() -> dict[str, str]:
    """The DuckDB options dbt opens the build file with (`config_options` in dbt_project/profiles.yml).

    A process that ran dbt in-process (`airflow dags test`) may still hold the file, and DuckDB refuses
    a second connection to it with other options, so publish connects with the same ones.
    """
    import yaml

    profiles = yaml.safe_load((dbt_run.DBT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    return dict(profiles["regtrail"]["outputs"]["dev"].get("config_options") or {})


def build_path(root: Path | None = None) -> Path:
    """The file dbt builds into."""
    return (root or settings.home()) / "build" / "warehouse.duckdb"


def prepare_build(root: Path | None = None, *, full_refresh: bool | None = None, run: str | None = None) -> Path:
    """Start the build file: a copy of the published warehouse, or nothing (a full build).

    dbt's incremental models then load only the event segments the copy has not loaded yet. The copy
    is used only when it was built by the same dbt project and engine versions (`build_fingerprint`)
    from segments that all still exist; otherwise, or with `full_refresh` (default
    `REGTRAIL_FULL_REFRESH`), the build starts empty and dbt rebuilds everything from the log.
    Takes the build lease for `run` (default `buildlock.run_id()`): raises `buildlock.BuildLocked`,
    naming the holder, when another build holds it past `REGTRAIL_BUILD_LOCK_WAIT`.
    """
    root = (root or settings.home()).resolve()
    path = build_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Bound to this process unless the build runs as Airflow tasks, which may be separate processes.
    lease = buildlock.acquire(root, run or buildlock.run_id(),
                              process_bound=not settings.in_airflow_task())
    # dbt reads the segment folders as they are: move unreadable segments aside first
    for moved in quarantine.quarantine_unreadable(settings.log_root(), run_key=f"build:{lease.run}"):
        log.warning("the build goes on without %s (unreadable; replay restores record events)", moved)
    _record_path(root).unlink(missing_ok=True)
    for leftover in (path, _wal(path)):
        leftover.unlink(missing_ok=True)
    full_refresh = settings.full_refresh() if full_refresh is None else full_refresh
    published = root / "warehouse.duckdb"
    fingerprint = build_fingerprint()  # reads every project file: once per build
    if full_refresh:
        reason = "REGTRAIL_FULL_REFRESH is set"
    elif not published.exists():
        reason = f"no published warehouse at {published}"
    else:
        # Inspect the copy, never the published file: a DuckDB connection opened here with another
        # configuration than a reader's in the same process (a BI client, say) would break that reader.
        partial = path.with_name(path.name + ".copying")
        with diskfull.writing(partial, partial=partial):
            shutil.copyfile(published, partial)
        reason = incremental_blocker(partial, fingerprint)
        if reason:
            partial.unlink()
        else:
            with duckdb.connect(str(partial)) as con:  # the tests of this build, not the published one's
                con.execute(f"drop table if exists {DBT_RUNS}")
                con.execute("CHECKPOINT")
            os.replace(partial, path)
    record = {"run": lease.run, "fingerprint": fingerprint, "full_build": bool(reason),
              "prepared_at": datetime.now(UTC).isoformat(timespec="seconds")}
    _record_path(root).write_text(json.dumps(record) + "\n", encoding="utf-8")
    if reason:
        log.info("full build into %s: %s", path, reason)
        return path
    log.info("incremental build into %s, starting from a copy of %s", path, published)
    return path


def dbt_build(root: Path | None = None, *, full_refresh: bool | None = None) -> int:
    """`prepare_build`, then `dbt build` (models and data tests) into the build file; dbt's exit code.

    What the DAG's dbt task does (`dbt_run.command`: same profile, target and log folders under
    `$REGTRAIL_HOME/dbt/`), in one process with dbt's own progress output (`regtrail build`).
    """
    root = root or settings.home()
    path = prepare_build(root, full_refresh=full_refresh)
    argv, env, cwd = dbt_run.command(["build"], root, settings.dbt_work_dir(root), path)
    return subprocess.run(argv, cwd=cwd, env=env).returncode


def incremental_blocker(warehouse_file: Path, fingerprint: str | None = None) -> str | None:
    """Why a build cannot continue from `warehouse_file`, a published warehouse or a copy (None: it can).

    `fingerprint`: this project's `build_fingerprint()`, when the caller has it already."""
    if not warehouse_file.exists():
        return f"no published warehouse at {warehouse_file}"
    try:
        with duckdb.connect(str(warehouse_file), read_only=True) as con:
            found = con.execute(f"select fingerprint from {BUILD_INFO}").fetchone()
            segments = [row[0] for row in con.execute(
                "select distinct unnest(segments) from staging.stg_regtrail__record_events").fetchall()]
    except duckdb.Error as exc:
        return f"cannot read the build record of {warehouse_file}: {exc}"
    if found is None or found[0] != (fingerprint or build_fingerprint()):
        return "the dbt project or the engine changed since the published build"
    missing = [segment for segment in segments if not _exists(segment)]
    if missing:
        return f"{len(missing)} event segments loaded by the published build are gone (e.g. {missing[0]})"
    return None


def build_fingerprint() -> str:
    """A digest of what decides the warehouse besides the log: the dbt project's files and versions."""
    project = dbt_run.DBT_DIR
    digest = hashlib.sha256()
    files = [project / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        files += sorted(path for path in (project / folder).rglob("*") if path.is_file())
    for path in files:
        digest.update(str(path.relative_to(project)).encode() + b"\0" + path.read_bytes() + b"\0")
    names = Path(find_spec("regtrail.names").origin).parent  # int_entity_english_names runs regtrail.names
    for path in sorted(names.glob("*.py")):
        digest.update(f"regtrail/names/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    for package in ("duckdb", "dbt-duckdb", "dbt-core", "pypinyin", "jieba"):
        digest.update(f"{package}=={metadata.version(package)}\0".encode())
    return "sha256:" + digest.hexdigest()


class BuildRefused(RuntimeError):
    """The build file may not be published: it lacks its build record or did not pass its tests."""


def read_build_record(root: Path) -> dict | None:
    """What `prepare_build` recorded about the build file (run, fingerprint), or None."""
    try:
        return json.loads(_record_path(root).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def check_build(con: duckdb.DuckDBPyConnection, record: dict | None, fingerprint: str | None = None) -> None:
    """Raise BuildRefused unless the build file is a prepared build whose last dbt invocation passed every test.

    Evidence of the tests is what dbt recorded in the file itself (`_regtrail_dbt_runs`, one row per
    invocation, written by the project's on-run-end hook): the last invocation that ran tests must have
    run every data test of the project with none failing, and nothing may have been built after it.
    `fingerprint`: this project's `build_fingerprint()`, when the caller has it already.
    """
    if record is None:
        raise BuildRefused("the build file lacks its build record (build/build.json): prepare_build did not "
                           "start it, so it may be another run's unfinished file")
    if record.get("fingerprint") != (fingerprint or build_fingerprint()):
        raise BuildRefused("the build file lacks this project's build fingerprint: it was started by another "
                           "version of the dbt project or engine")
    try:
        runs = con.execute(f"select seq, built, built_failed, tests_passed, tests_failed, project_tests "
                           f"from {DBT_RUNS} order by seq").fetchall()
    except duckdb.CatalogException:
        runs = []
    tested = [run for run in runs if run[3] + run[4] > 0]
    if not tested:
        raise BuildRefused("the build file holds no record of a dbt test run: dbt did not test it")
    seq, _, built_failed, passed, failed, project_tests = tested[-1]
    if failed or built_failed or passed < project_tests:
        raise BuildRefused(f"the build did not pass its tests: {passed} of {project_tests} data tests passed, "
                           f"{failed} failed, {built_failed} models failed in the same dbt invocation")
    if any(run[1] + run[2] > 0 for run in runs if run[0] > seq):
        raise BuildRefused("models were built after the last test run: the build file is untested")


class Outputs(Protocol):
    """What a publication derives from the build besides the warehouse, exports and docs.

    Supplied by the caller (`regtrail.ops.publish` passes the analyst's: changes, report, feeds, alerts), so
    the build never imports the analyst.
    """

    def changes(self, con: duckdb.DuckDBPyConnection, root: Path, stamp: str, now: datetime,
                fingerprint: str) -> Any:
        """What this publication adds to the previous ones (written into the build before the switch)."""

    def record(self, added: Any) -> None:
        """Record `added` in the log, after the switch."""

    def summary(self, added: Any) -> str:
        """One line saying what `added` holds."""

    def report(self, con: duckdb.DuckDBPyConnection, folder: Path) -> None:
        """Write the HTML report into `folder`."""

    def feeds(self, con: duckdb.DuckDBPyConnection, folder: Path) -> None:
        """Write the Atom feeds into `folder`."""

    def after_publish(self, added: Any, report: str | None) -> None:
        """Notify after a committed publication; never raises."""


def publish(root: Path | None = None, *, outputs: Outputs, docs: bool = True, exports: bool = True,
            report: bool = True, feeds: bool = True) -> Path:
    """Check the build, stage the warehouse and every published folder, then switch them in at once.

    What this publication adds to the previous ones goes into the build first (`outputs.changes`) and
    is recorded in the log after the switch; the alert follows (`outputs.after_publish`, never failing
    the publish). Holds the build lease of `root` (see `buildlock`) and ends it on success. Returns the
    warehouse path.
    """
    root = (root or settings.home()).resolve()
    source = build_path(root)
    if not source.exists():
        raise FileNotFoundError(f"nothing to publish: {source} does not exist (did dbt run?)")
    record = read_build_record(root)
    run = record["run"] if record else buildlock.run_id()
    wanted = {"exports": exports, "docs": docs, "report": report, "feeds": feeds}
    with buildlock.held(root, run, wait=0):
        publication.remove_stale_staging(root)
        now = datetime.now(UTC)
        stamp = now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]
        stage = publication.new_staging(root, stamp)
        try:
            with duckdb.connect(str(source), config=dbt_connect_config()) as con:
                fingerprint = build_fingerprint()
                check_build(con, record, fingerprint)
                con.execute(f"create or replace table {BUILD_INFO} as "
                            "select ? as fingerprint, ? as published, ? as run", [fingerprint, stamp, run])
                added = outputs.changes(con, root, stamp, now, fingerprint)  # what this publication adds
                con.execute(f"drop schema if exists {AUDIT_SCHEMA} cascade")  # dbt's stored test failures
                con.execute("CHECKPOINT")
                for name, stager in STAGERS.items():
                    if wanted.get(name, True) and stager.uses_connection:
                        with diskfull.writing(stage / name):
                            stager.stage(outputs, con, source, stage / name, root, stamp)
            if _wal(source).exists() and _wal(source).stat().st_size:
                raise RuntimeError(f"{_wal(source)} still holds changes after CHECKPOINT; not publishing")
            for name, stager in STAGERS.items():
                if wanted.get(name, True) and not stager.uses_connection:
                    with diskfull.writing(stage / name):
                        stager.stage(outputs, None, source, stage / name, root, stamp)
            publication.carry_forward(root, stage, tuple(n for n in publication.PUBLISHED if not (stage / n).exists()))
            os.replace(source, stage / publication.WAREHOUSE)
            _wal(root / publication.WAREHOUSE).unlink(missing_ok=True)  # never replayed onto the new file
            publication.switch(root, stage, stamp)  # the commit point
            outputs.record(added)
        except Exception as exc:
            if diskfull.is_disk_full(exc) and not isinstance(exc, diskfull.DiskFull):
                raise diskfull.DiskFull(source, exc) from exc
            raise
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        _record_path(root).unlink(missing_ok=True)
        buildlock.release(root, run)
    log.info("publication %s: %s", stamp, outputs.summary(added))
    outputs.after_publish(added, str(root / "report" / "index.html") if report else None)
    return root / publication.WAREHOUSE


@dataclass(frozen=True)
class Stager:
    """Writes one published folder from the build: with the open build connection, or from the file."""

    stage: Callable[[Outputs, duckdb.DuckDBPyConnection | None, Path, Path, Path, str], object]
    uses_connection: bool


def _stage_exports(outputs: Outputs, con, source: Path, folder: Path, root: Path, stamp: str) -> None:
    export_marts(con, folder, stamp)


def _stage_report(outputs: Outputs, con, source: Path, folder: Path, root: Path, stamp: str) -> None:
    outputs.report(con, folder)


def _stage_docs(outputs: Outputs, con, source: Path, folder: Path, root: Path, stamp: str) -> None:
    # dbt reads the catalog from a copy: the process that ran dbt may still hold the build file
    # (`airflow dags test` runs every task in one process), and a second process cannot open it.
    # The copy sits where the build file is relative to dbt's work folder (`build/` beside `dbt-docs-work/`,
    # as in a home), so the profile is the build's and dbt reuses the build's saved parse.
    copy = folder.parent / "build" / source.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, copy)
    try:
        generate_docs(root, copy, folder)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)


def _stage_feeds(outputs: Outputs, con, source: Path, folder: Path, root: Path, stamp: str) -> None:
    outputs.feeds(con, folder)


# One entry per folder in publication.PUBLISHED, in the order they are staged.
STAGERS: dict[str, Stager] = {
    "exports": Stager(_stage_exports, uses_connection=True),
    "report": Stager(_stage_report, uses_connection=True),
    "feeds": Stager(_stage_feeds, uses_connection=True),
    "docs": Stager(_stage_docs, uses_connection=False),
}


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
    work, builds = folder.parent / "dbt-docs-work", settings.dbt_work_dir(root)
    dbt_run.reuse_parse(builds, work)  # the build's saved parse
    # dbt's log goes beside the build's (`$REGTRAIL_HOME/dbt/logs/dbt.log`): the work folder is removed
    argv, env, cwd = dbt_run.command(["docs", "generate", "--static", "--quiet"], root, work, build_file,
                                     logs=builds / "logs")
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"dbt docs generate failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    folder.mkdir(parents=True, exist_ok=True)
    for name in DOCS_FILES:
        shutil.copy2(work / "target" / name, folder / name)
    shutil.rmtree(work, ignore_errors=True)
    return folder




def _exists(location: str) -> bool:
    filesystem, path = events.filesystem(location)  # with REGTRAIL_STORAGE_OPTIONS for an object store
    return filesystem.exists(path)


def _record_path(root: Path) -> Path:
    return root / "build" / "build.json"


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")
