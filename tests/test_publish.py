"""Atomic publish: readers keep working across a full rebuild, exports/docs/report swap in whole.

The rebuild scenario (module fixture) publishes the session's build of the sample event log, starts a
separate process that holds a read-only DuckDB connection and queries it in a loop, and a SQLAlchemy
(duckdb-engine) client that opens read-only connections in a loop; then a later crawl adds a list, and
it runs `dbt build` of the whole log and publishes. Expectations come from the sample log
(tests/support/events.py) and the added list, not from the pipeline's output.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from regtrail import settings
from regtrail.build import warehouse
from regtrail.ops import publish as publishing
from tests.support import airflow
from tests.support.events import DS, DS_ROWS, _digest_of, _document, _list_records, _Log, write_sample_log
from tests.support.warehouse import (
    COUNTS,
    FULL,
    REPO_ROOT,
    adopt_sample_build,
    counts,
    dbt_build,
    published_sample,
    with_saved_parse,
)

pytestmark = pytest.mark.dbt

DBT_MARTS = {"fct_filings", "fct_timeline_events", "dim_entities", "fct_list_batches", "fct_fetch_failures"}
MARTS = DBT_MARTS | {"fct_publications", "fct_publication_changes"}  # the last two written by publish (changes.py)

# A later crawl: the 2025年3月 deep-synthesis list, three rows of the 2023年8月 one filed again under new numbers
# (the year digits of 备案编号 changed from 23 to 25).
LATER_ROWS = [row[:6] + (row[6][:19] + "25" + row[6][21:],) + row[7:] for row in DS_ROWS[:3]]
LATER = (FULL[0] + 1, FULL[1] + len({row[6] for row in LATER_ROWS}))  # list batches and filings after it


def write_later_list(home: Path) -> None:
    """Append the later crawl's list (LATER_ROWS) to the log in `home`."""
    log = _Log(home)
    url = "https://www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=edit/2025-03/12/later.docx"
    fetch = log.fetch_event(DS, "cli-20250603T010000Z", url, purpose="attachment", status=200, ok=True,
                            started_at=datetime(2025, 6, 3, 1, tzinfo=UTC), content_type="application/octet-stream",
                            payload_digest=_digest_of("ds 2025-03 docx"), payload_size=20480,
                            archive_path="archive/cac_deep_synthesis/ee/ds-2025-03.warc.gz")
    _list_records(log, DS, "cli-20250603T010000Z", _document(fetch, date(2025, 3, 12), "day", "cac_list_docx"),
                  LATER_ROWS, "deep_synthesis", "2025年3月", "附件", "https://www.cac.gov.cn/2025-03/12/later.htm",
                  "国家互联网信息办公室关于发布深度合成服务算法备案信息的公告",
                  "境内深度合成服务算法备案清单（2025年3月）.docx", len(LATER_ROWS))
    log.write()


READER = r"""
import duckdb, json, sys, threading, time
con = duckdb.connect(sys.argv[1], read_only=True)
seen, errors, stop = [], [], threading.Event()
def loop():
    cursor = con.cursor()
    while not stop.is_set():
        try:
            seen.append(list(cursor.execute(sys.argv[2]).fetchone()))
        except Exception as error:
            errors.append(repr(error))
        time.sleep(0.05)
worker = threading.Thread(target=loop)
worker.start()
print("ready", flush=True)
sys.stdin.readline()
stop.set()
worker.join()
print(json.dumps({"seen": seen, "errors": errors, "final": list(con.execute(sys.argv[2]).fetchone())}), flush=True)
"""


@dataclass
class Rebuild:
    home: Path
    build: subprocess.CompletedProcess
    reader: dict
    sqlalchemy: list[tuple[tuple | None, str | None]]
    published_inode_before: int
    published_inode_after: int
    exports_before: Path
    rebuild_seconds: float


@pytest.fixture(scope="module")
def rebuild(tmp_path_factory: pytest.TempPathFactory) -> Rebuild:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    base = tmp_path_factory.getbasetemp()
    home = tmp_path_factory.mktemp("rebuild") / "home"
    published = published_sample(base, home, docs=False)  # the session's build of the sample log
    assert counts(published) == FULL
    exports_before = (home / "exports").resolve()

    reader = subprocess.Popen([sys.executable, "-c", READER, str(published), COUNTS], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "ready"
    engine = create_engine(f"duckdb:///{published}", connect_args={"read_only": True}, poolclass=NullPool)
    observed: list[tuple[tuple | None, str | None]] = []
    done = threading.Event()

    def bi_client() -> None:
        while True:
            finished = done.is_set()
            try:
                with engine.connect() as con:
                    observed.append((tuple(con.execute(text(COUNTS)).one()), None))
            except Exception as error:  # recorded, the test asserts there are none
                observed.append((None, repr(error)))
            if finished:
                return
            time.sleep(0.05)

    client = threading.Thread(target=bi_client)
    client.start()
    try:
        inode_before = published.stat().st_ino
        write_later_list(home)
        started = time.monotonic()
        second = dbt_build(home, home.parent / "work")
        if second.returncode == 0:
            publishing.publish(home, docs=False)  # docs: test_dbt_docs_are_published_next_to_the_warehouse
        seconds = time.monotonic() - started
        time.sleep(0.3)
    finally:
        done.set()
        client.join(timeout=60)
        out, _ = reader.communicate("stop\n", timeout=60)
    return Rebuild(home, second, json.loads(out.strip().splitlines()[-1]), observed, inode_before,
                   published.stat().st_ino, exports_before, seconds)


def test_rebuild_succeeds_while_a_reader_holds_the_published_file(rebuild: Rebuild) -> None:
    assert rebuild.build.returncode == 0, rebuild.build.stdout[-4000:]
    assert rebuild.published_inode_after != rebuild.published_inode_before
    assert counts(rebuild.home / "warehouse.duckdb") == LATER
    assert not (rebuild.home / "warehouse.duckdb.wal").exists()
    assert not warehouse.build_path(rebuild.home).exists()
    assert not list(warehouse.build_path(rebuild.home).parent.glob("publish-*")), "staging left behind"


def test_the_old_reader_keeps_answering_from_the_old_file(rebuild: Rebuild) -> None:
    reader = rebuild.reader
    assert reader["errors"] == []
    # it queried all through the rebuild (every 50 ms), and only ever saw the first warehouse
    assert len(reader["seen"]) >= rebuild.rebuild_seconds * 5
    assert {tuple(s) for s in reader["seen"]} == {FULL}
    assert tuple(reader["final"]) == FULL  # asked after the publish


def test_a_new_reader_sees_the_new_warehouse(rebuild: Rebuild) -> None:
    out = subprocess.run([sys.executable, "-m", "regtrail", "batches", "--format", "json",
                          "--warehouse", str(rebuild.home / "warehouse.duckdb")],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)) == LATER[0]


def test_sqlalchemy_client_never_fails_and_switches_once(rebuild: Rebuild) -> None:
    results = rebuild.sqlalchemy
    assert [error for _, error in results if error] == []
    values = [value for value, _ in results]
    assert set(values) == {FULL, LATER}
    switch = values.index(LATER)
    # Kept querying the old file all through the rebuild (a count, not a rate: the machine's load varies).
    assert switch >= 20, f"only {switch} queries during a {rebuild.rebuild_seconds:.0f} s rebuild"
    assert values[:switch] == [FULL] * switch and values[switch:] == [LATER] * (len(values) - switch)


def test_marts_are_exported_as_parquet_in_one_swap(rebuild: Rebuild) -> None:
    exports = rebuild.home / "exports"
    assert exports.is_symlink() and exports.resolve() != rebuild.exports_before
    assert rebuild.exports_before.is_dir(), "the previous export set is kept for readers that just resolved it"
    info = json.loads((exports / "_publish.json").read_text())
    with duckdb.connect(str(rebuild.home / "warehouse.duckdb"), read_only=True) as con:
        tables = {name for (name,) in con.execute("select table_name from information_schema.tables "
                                                  "where table_name like 'fct%' or table_name like 'dim%'").fetchall()}
        assert MARTS <= tables and {p.stem for p in exports.glob("*.parquet")} == tables  # every mart
        for mart in MARTS:
            table = pq.read_table(exports / f"{mart}.parquet")
            assert table.num_rows == info["rows"][mart] == con.execute(f"select count(*) from {mart}").fetchone()[0]
            assert table.column_names == [d[0] for d in con.execute(f"select * from {mart} limit 0").description]
    assert pq.read_table(exports / "fct_list_batches.parquet").num_rows == LATER[0]
    assert pq.read_table(rebuild.exports_before / "fct_list_batches.parquet").num_rows == FULL[0]


def test_the_default_schema_holds_only_marts_and_no_test_audit_is_published(rebuild: Rebuild) -> None:
    """What a BI user browses: `main` has the marts and dims (and two `_regtrail_` bookkeeping tables);
    staging and intermediate models and seeds have their own schemas; dbt's stored test failures stay behind."""
    with duckdb.connect(str(rebuild.home / "warehouse.duckdb"), read_only=True) as con:
        found = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
    by_schema: dict[str, set[str]] = {}
    for schema, name in found:
        by_schema.setdefault(schema, set()).add(name)
    assert set(by_schema) == {"main", "staging", "intermediate", "seeds"}, sorted(by_schema)
    dbt_marts = {path.stem for path in (settings.dbt_project_dir() / "models" / "marts").glob("*.sql")}
    assert {n for n in by_schema["main"] if not n.startswith("_regtrail_")} == dbt_marts | MARTS
    assert all(n.startswith("stg_") for n in by_schema["staging"]) and by_schema["staging"]
    assert all(n.startswith("int_") for n in by_schema["intermediate"]) and by_schema["intermediate"]
    seeds = {p.stem for p in (settings.dbt_project_dir() / "seeds").glob("*.csv")}
    assert by_schema["seeds"] == seeds


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`airflow dags test` runs dbt (in-process) and publish in one process: the build file stays open.
    A home published (with docs) while a connection like dbt's holds its build file; returns the home."""
    base = tmp_path_factory.getbasetemp()
    home = with_saved_parse(write_sample_log(tmp_path_factory.mktemp("held-build")))
    adopt_sample_build(base, home)
    holder = duckdb.connect(str(warehouse.build_path(home)), config=warehouse.dbt_connect_config())  # as dbt keeps it
    try:
        publishing.publish(home)
    finally:
        holder.close()
    return home


def test_dbt_docs_are_published_next_to_the_warehouse(held: Path) -> None:
    docs = held / "docs"
    assert {"index.html", "manifest.json", "catalog.json", "static_index.html"} <= {p.name for p in docs.iterdir()}
    catalog = json.loads((docs / "catalog.json").read_text())
    # the catalog was read from the build file: it knows the marts' columns
    assert {f"model.regtrail.{m}" for m in DBT_MARTS} <= set(catalog["nodes"])
    assert "filing_number" in {c.lower() for c in catalog["nodes"]["model.regtrail.fct_filings"]["columns"]}
    manifest = json.loads((docs / "manifest.json").read_text())
    assert "model.regtrail.fct_timeline_events" in manifest["nodes"]


def test_report_is_published_with_the_warehouse(rebuild: Rebuild) -> None:
    report = rebuild.home / "report" / "index.html"
    assert report.exists() and (rebuild.home / "report").is_symlink()
    assert f"<b>{LATER[1]}</b>filings" in report.read_text(encoding="utf-8")


def test_a_failed_publish_leaves_the_previous_publication(tmp_path_factory, monkeypatch) -> None:
    base = tmp_path_factory.getbasetemp()
    home = tmp_path_factory.mktemp("failed-publish")
    published = published_sample(base, home, docs=False)
    before = (published.stat().st_ino, (home / "exports").resolve(), (home / "report").resolve())
    adopt_sample_build(base, home)

    def broken_docs(*args, **kwargs):
        raise RuntimeError("dbt docs generate failed")

    monkeypatch.setattr(warehouse, "generate_docs", broken_docs)
    with pytest.raises(RuntimeError, match="docs generate failed"):
        publishing.publish(home)
    assert (published.stat().st_ino, (home / "exports").resolve(), (home / "report").resolve()) == before
    assert warehouse.build_path(home).exists(), "the build stays for a retry"
    assert not list(warehouse.build_path(home).parent.glob("publish-*"))
    monkeypatch.undo()
    publishing.publish(home, docs=False)  # the retry publishes
    assert published.stat().st_ino != before[0] and (home / "exports").resolve() != before[1]


def test_publish_while_the_process_that_ran_dbt_still_holds_the_build_file(held: Path) -> None:
    assert counts(held / "warehouse.duckdb") == FULL
    catalog = json.loads((held / "docs" / "catalog.json").read_text())
    assert "model.regtrail.fct_filings" in catalog["nodes"]


def test_publish_without_a_build_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="did dbt run"):
        publishing.publish(tmp_path)


@pytest.mark.slow
def test_failing_dbt_test_fails_the_dag_run_and_keeps_the_published_warehouse(
    tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Airflow end to end: the warehouse DAG's `dbt build` runs every dbt test before `publish`; one failing
    test fails the run and publishes nothing."""
    base = tmp_path_factory.getbasetemp()
    home = tmp_path_factory.mktemp("airflow-failing-test")
    published = published_sample(base, home, docs=False)
    before = (published.stat().st_ino, counts(published), (home / "exports").resolve(), (home / "report").resolve())
    # A later crawl: the source now claims a row the list does not have.
    write_sample_log(home, ds_expected_count=6, ds_list_observed=datetime(2025, 7, 1, tzinfo=UTC))
    env = airflow.environ(with_saved_parse(home), base)
    dag_test = airflow.run(env, "dags", "test", "regtrail_warehouse", "2026-01-01", check=False)
    assert dag_test.returncode != 0, "a failed DAG run must fail the command that ran it"
    # the per-node table in the task log names the failing reconciliation test
    assert "fail" in dag_test.stdout + dag_test.stderr and "reconcil" in dag_test.stdout + dag_test.stderr

    with sqlite3.connect(home / "airflow" / "airflow.db") as meta:
        runs = meta.execute("select state from dag_run where dag_id = 'regtrail_warehouse'").fetchall()
        states = dict(meta.execute("select task_id, state from task_instance where dag_id = 'regtrail_warehouse'"))
    assert runs == [("failed",)]
    assert states == {"prepare_build": "success", "dbt_build": "failed", "publish": "upstream_failed",
                      "build_failed": "failed"}
    assert not (home / "build" / "lease.json").exists(), "the failed run ended its build lease"
    after = (published.stat().st_ino, counts(published), (home / "exports").resolve(), (home / "report").resolve())
    assert after == before
    with duckdb.connect(str(warehouse.build_path(home)), read_only=True) as con:  # the failed build stays aside
        assert con.execute("select count(*) from fct_list_batches where not reconciled").fetchone()[0] == 1


def test_a_build_continues_from_the_published_warehouse_only_when_it_can(tmp_path_factory, monkeypatch) -> None:
    base = tmp_path_factory.getbasetemp()
    home = tmp_path_factory.mktemp("prepare-build")
    published = published_sample(base, home, docs=False, exports=False, report=False)
    monkeypatch.delenv("REGTRAIL_FULL_REFRESH", raising=False)

    assert warehouse.incremental_blocker(published) is None
    build = warehouse.prepare_build(home)
    assert build.exists() and counts(build) == FULL, "the build starts as a copy of the published warehouse"
    with duckdb.connect(str(build), read_only=True) as con:
        assert con.execute(f"select fingerprint from {warehouse.BUILD_INFO}").fetchone() == (
            warehouse.build_fingerprint(),)

    # a reader in this process with another configuration (as duckdb-engine opens it) is not disturbed
    reader = duckdb.connect(str(published), read_only=True, config={"threads": 1})
    try:
        assert warehouse.prepare_build(home).exists()
        assert reader.execute(COUNTS).fetchone() == FULL
    finally:
        reader.close()

    assert not warehouse.prepare_build(home, full_refresh=True).exists()
    monkeypatch.setenv("REGTRAIL_FULL_REFRESH", "1")
    assert not warehouse.prepare_build(home).exists()
    monkeypatch.delenv("REGTRAIL_FULL_REFRESH")

    monkeypatch.setattr(warehouse, "build_fingerprint", lambda: "sha256:another-project")
    assert "dbt project or the engine changed" in warehouse.incremental_blocker(published)
    assert not warehouse.prepare_build(home).exists()
    monkeypatch.undo()

    with duckdb.connect(str(published), read_only=True) as con:
        segment = Path(con.execute(
            "select unnest(segments) from staging.stg_regtrail__record_events limit 1").fetchone()[0])
    aside = segment.with_name(segment.name + ".aside")
    segment.rename(aside)  # the log lost a segment the warehouse was built from: only a full build is true to it
    try:
        assert "event segments loaded by the published build are gone" in warehouse.incremental_blocker(published)
        assert not warehouse.prepare_build(home).exists()
    finally:
        aside.rename(segment)
    assert "no published warehouse" in warehouse.incremental_blocker(home / "nothing.duckdb")


def test_build_fingerprint_follows_the_dbt_project(tmp_path: Path, monkeypatch) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(REPO_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setattr(warehouse.dbt_run, "DBT_DIR", project)
    before = warehouse.build_fingerprint()
    assert warehouse.build_fingerprint() == before
    model = project / "models" / "marts" / "fct_filings.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    assert warehouse.build_fingerprint() != before
