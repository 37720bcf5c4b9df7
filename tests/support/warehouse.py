"""Real `dbt build` runs for the tests, and the session's one build of the sample event log."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
from filelock import FileLock

from regtrail import settings
from regtrail.build import dbt_run, warehouse
from regtrail.ops import publish as publishing
from tests.support.events import AR_ROWS, DS_ROWS, write_sample_log

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT = REPO_ROOT / "dbt_project"
_SESSION: list[Path] = []  # the session's shared folder, once `use_session` is called


COUNTS = "select (select count(*) from fct_list_batches), (select count(*) from fct_filings)"
# The sample log's two lists (numbers shared between them count once).
FULL = (2, len({row[6] for row in AR_ROWS + DS_ROWS}))
BOOKKEEPING = {"loaded_at", "segments"}
INCREMENTAL = ("stg_regtrail__record_events", "stg_cac__filings", "int_filing_observations")


def run_dbt_build(home: Path, work: Path, *args: str) -> subprocess.CompletedProcess:
    """`dbt build` of dbt_project/ over the event log in `home`, into `work/build.duckdb`."""
    return run_dbt("build", home, work, work / "build.duckdb", *args)


def run_dbt(command: str, home: Path, work: Path, build_db: Path, *args: str, project: Path = PROJECT,
            unit_tests: bool = False) -> subprocess.CompletedProcess:
    """One dbt command of `project` over the event log in `home` on the file `build_db`; target and logs in `work`.

    The product's invocation (`regtrail.build.dbt_run.command`: run in `work`, the build file named relative to
    it, dbt's unit tests left out unless `unit_tests`); the project's first command in `work` starts from the
    session's saved parse (`session_parse`)."""
    work.mkdir(parents=True, exist_ok=True)
    if project == PROJECT and _SESSION:
        dbt_run.reuse_parse(session_parse(_SESSION[0]), work)
    return _dbt(command, home, work, build_db, *args, project=project, unit_tests=unit_tests)


def _dbt(command: str, home: Path, work: Path, build_db: Path, *args: str, project: Path,
         unit_tests: bool = False) -> subprocess.CompletedProcess:
    argv, env, cwd = dbt_run.command([command, *args], home, work, build_db, project=project)
    if unit_tests:
        env = {key: value for key, value in env.items() if key not in dbt_run.NO_UNIT_TESTS}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def session_root(base: Path) -> Path:
    """The folder shared by the session's xdist workers (`base`: a worker's `tmp_path_factory.getbasetemp()`)."""
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def use_session(base: Path) -> None:
    """Let `run_dbt` start from the session's saved parse (tests/conftest.py calls it once per worker)."""
    _SESSION[:] = [session_root(base)]


def session_parse(root: Path) -> Path:
    """dbt's work folder of one `dbt parse` of the project per session, made by the first worker to need it.

    A test's dbt command copies its saved parse (`partial_parse.msgpack`) into a new target folder: dbt checks
    that the project, the profile (the build file `build.duckdb` in the work folder) and dbt are unchanged, so
    the copy saves a full parse (about 2 s of CPU) in each new folder and cannot change what dbt does."""
    work = root / "dbt-parse"
    return _parsed_once(work, lambda: _dbt("parse", root / "dbt-parse-home", work, work / "build.duckdb",
                                           project=PROJECT))


def with_saved_parse(home: Path) -> Path:
    """`home` with its dbt folder started from the session's saved parse in the product's layout (`regtrail
    build`, the warehouse DAG: `dbt_run.command` in `$REGTRAIL_HOME/dbt`), so its first build parses nothing.

    Not for a test of that first parse itself (tests/test_cli.py, tests/test_standalone.py)."""
    if _SESSION:
        parse = dbt_run.command(["parse", "--quiet"], _SESSION[0] / "home-parse",
                                settings.dbt_work_dir(_SESSION[0] / "home-parse"))
        done = _parsed_once(parse.cwd, lambda: subprocess.run(parse.argv, cwd=parse.cwd, env=parse.env,
                                                              capture_output=True, text=True, timeout=600))
        dbt_run.reuse_parse(done, settings.dbt_work_dir(home))
    return home


def _parsed_once(work: Path, parse: Callable[[], subprocess.CompletedProcess]) -> Path:
    """`work`, a dbt work folder holding a saved parse, which `parse()` makes once per session under a lock."""
    work.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(work.with_name(work.name + ".lock")):
        if not (work / "target" / dbt_run.PARTIAL_PARSE).exists():
            work.mkdir(parents=True, exist_ok=True)
            done = parse()
            assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return work


def lineage(*models: str) -> tuple[str, ...]:
    """dbt arguments selecting `models` and everything upstream of them, with the data tests whose parents are all
    selected (`cautious`: the default, `eager`, also picks a singular test reading a model left out, which fails)."""
    return "--select", " ".join(f"+{model}" for model in models), "--indirect-selection", "cautious"


def node_statuses(work: Path) -> dict[str, str]:
    """Status of each node in the last build, by node name."""
    results = json.loads((work / "target" / "run_results.json").read_text(encoding="utf-8"))
    # unique_id: <resource_type>.regtrail.<name>[.<hash>]
    return {result["unique_id"].split(".")[2]: result["status"] for result in results["results"]}


def unit_test_statuses(work: Path) -> dict[str, str]:
    """Status of each dbt unit test in the last invocation, by unit test name."""
    results = json.loads((work / "target" / "run_results.json").read_text(encoding="utf-8"))
    # unique_id: unit_test.regtrail.<model>.<unit test>
    return {result["unique_id"].split(".")[-1]: result["status"] for result in results["results"]
            if result["unique_id"].startswith("unit_test.")}


def dbt_build(home: Path, work: Path) -> subprocess.CompletedProcess:
    """`dbt build` of the event log in `home` into its build file (`home/build/warehouse.duckdb`)."""
    work.mkdir(parents=True, exist_ok=True)
    target = warehouse.prepare_build(home)
    result = run_dbt_build(home, work)
    if (work / "build.duckdb").exists():
        os.replace(work / "build.duckdb", target)
    return result


@dataclass(frozen=True)
class SampleBuild:
    """The sample log (tests/support/events.py) built once: its home, dbt's work folder, the built file."""

    home: Path
    work: Path
    path: Path


@functools.cache
def sample_build(base: Path) -> SampleBuild:
    """One dbt build of the whole sample log per test session, shared by every module and every xdist worker.

    `base` is the worker's temp folder (`tmp_path_factory.getbasetemp()`); under xdist the build sits in the
    session's folder above it, made by the first worker to need it under a file lock while the others wait.
    Read it, or copy it (`adopt_sample_build`); never write to it.
    """
    root = session_root(base)
    home, work = root / "sample-home", root / "sample-work"
    with FileLock(root / "sample-build.lock"):
        if not (work / "built").exists():
            shutil.rmtree(home, ignore_errors=True)
            shutil.rmtree(work, ignore_errors=True)
            write_sample_log(home)
            result = dbt_build(home, work)
            assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
            (work / "built").touch()
    return SampleBuild(home, work, warehouse.build_path(home))


def sample_build_file(base: Path) -> Path:
    """The session's one build of the whole sample log (copied by `published_sample`)."""
    return sample_build(base).path


def adopt_sample_build(base: Path, home: Path) -> Path:
    """Prepare a build in `home` (lease and build record) and put the session's sample build in place."""
    target = warehouse.prepare_build(home, full_refresh=True)
    shutil.copy2(sample_build_file(base), target)
    return target


def published_sample(base: Path, home: Path, **publish_options: bool) -> Path:
    """A REGTRAIL_HOME holding the sample log and its published warehouse; returns the warehouse path."""
    write_sample_log(home)
    adopt_sample_build(base, home)
    return publishing.publish(home, **publish_options)


def counts(path: Path) -> tuple[int, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return tuple(con.execute(COUNTS).fetchone())


def snapshot(build_file: Path) -> dict[str, list[tuple]]:
    """Every mart and incremental model, rows sorted, bookkeeping columns left out."""
    with duckdb.connect(str(build_file), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables where (table_schema = 'main' and "
            "(table_name like 'fct\\_%' escape '\\' or table_name like 'dim\\_%' escape '\\')) "
            f"or (table_schema in ('staging', 'intermediate') and table_name in {INCREMENTAL!r})"
        ).fetchall()
        tables = {}
        for schema, name in names:
            columns = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = ? "
                "and table_name = ? order by ordinal_position", [schema, name]).fetchall() if c not in BOOKKEEPING]
            rows = con.execute(f'select {", ".join(columns)} from "{schema}"."{name}"').fetchall()
            tables[name] = sorted(rows, key=repr)
    return tables
