"""Incremental warehouse builds: an incremental build over an appended log equals a full refresh.

Real `dbt build` runs (marked `dbt`): a full build of a log (the fixture log plus a synthetic one), then
new events are appended (new crawl runs, a replay with a newer parser version whose records carry the
old observed_at, a crash/retry copy of events already loaded), the build continues from a copy of the
first build file (as a publish would leave it), and every mart is compared with a `--full-refresh`
build of the same log.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from regtrail.log import events, records
from regtrail.log.digest import sha256
from regtrail.mirror import synthetic_events
from tests.support.events import write_sample_log
from tests.support.warehouse import INCREMENTAL, snapshot

pytestmark = pytest.mark.dbt

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT = Path(sys.executable).with_name("dbt")


def dbt(command: str, home: Path, build_file: Path, *args: str) -> subprocess.CompletedProcess:
    """One dbt command over the log in `home` and the warehouse file `build_file`."""
    work = build_file.parent
    env = dict(os.environ, REGTRAIL_HOME=str(home), REGTRAIL_BUILD_DB=str(build_file),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    argv = [str(DBT), command, "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
            "--target-path", str(work / "target"), "--log-path", str(work / "logs"), *args]
    return subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)


def dbt_build(home: Path, build_file: Path, *args: str) -> subprocess.CompletedProcess:
    """`dbt build` over the log in `home` into `build_file` (kept between calls: incremental)."""
    result = dbt("build", home, build_file, *args)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result


def compiled_test(build_file: Path, name: str) -> str:
    """The SQL dbt ran for data test `name` (a file name glob) in the last command on `build_file`."""
    (path,) = (build_file.parent / "target" / "run").rglob(f"{name}.sql")
    return path.read_text(encoding="utf-8")


def retry_copy(home: Path, rows: int = 40) -> int:
    """A crash/retry copy: the first rows of an already-loaded segment written again as a new segment."""
    first = events.segment_files(home, "records", synthetic_events.SOURCES["deep_synthesis"])[0]
    table = pq.read_table(first).slice(0, rows)
    events.append_segment(home, "records", synthetic_events.SOURCES["deep_synthesis"], table)
    return table.num_rows


def parser_fix_and_notice(home: Path, state: synthetic_events.State) -> dict[str, str]:
    """Parser version 3 of the replayed list drops two rows (a filing listed only there and one listed
    in other lists too: as if they were a stray header and a duplicate); a new cancellation notice names
    a filing of the same list. Returns the filing numbers concerned."""
    plan = synthetic_events.plan_list(state.seed, state.replays[-1])
    lists_per_number: dict[str, set[str]] = {}
    for row in events.read_events(home, "records").to_pylist():
        if row["record_type"] == "filing":
            lists_per_number.setdefault(row["record_key"], set()).add(json.loads(row["payload"])["list_id"])
    numbers = [filing.number for filing, _ in plan.rows[1:]]
    only_here = next(n for n in numbers if lists_per_number[n] == {plan.list_id})
    elsewhere_too = next(n for n in numbers if len(lists_per_number[n]) > 1)
    cancelled = next(n for n in reversed(numbers) if n not in (only_here, elsewhere_too))
    fixed = dataclasses.replace(plan, rows=[r for r in plan.rows if r[0].number not in (only_here, elsewhere_too)])
    crawl_time = synthetic_events.crawl_time(plan)
    document = synthetic_events.emit_list(synthetic_events.Writer(home), plan, "replay:unused", crawl_time)
    writer = synthetic_events.Writer(home)
    synthetic_events.emit_list(writer, fixed, "replay:v3", crawl_time, version="3", document=document)
    notice_at = crawl_time + timedelta(days=400)
    pdf = writer.fetch_event("cac_cancellations", "cancellations:1", "https://example.invalid/notice.pdf",
                             "attachment", notice_at, digest=sha256(b"notice.pdf"))
    title = "算法备案编号注销公告"
    notice = records.CancellationNotice(notice_id="N1", title=title, document_title=title, row_count=1,
                                        stated_count=1, from_text=False, expected_count=None)
    writer.record("cac_cancellations", "cancellations:1", notice, "N1", pdf, notice_at.date(),
                  "cac_cancellation_pdf", "1", notice_at)
    row = records.FilingCancellation(filing_number=cancelled, row_index=1, seq="1", algorithm_name=None, role=None,
                                     entity_name=None, products=None, cancelled_text="2025年3月",
                                     notice_id=notice.notice_id, notice_title=notice.title)
    writer.record("cac_cancellations", "cancellations:1", row, cancelled, pdf, notice_at.date(),
                  "cac_cancellation_pdf", "1", notice_at)
    writer.flush()
    return {"only_here": only_here, "elsewhere_too": elsewhere_too, "cancelled": cancelled,
            "list_id": plan.list_id}


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("incremental")
    home = write_sample_log(root / "home")
    synthetic_events.write_log(home, 6000)
    first = root / "first" / "build.duckdb"
    first.parent.mkdir()
    dbt_build(home, first)

    before = {name: len(rows) for name, rows in snapshot(first).items()}
    state = synthetic_events.append(home, 1000)  # the next crawl run plus a replay of an old list
    assert state.replays, "the appended batch must contain a replay"
    retried = retry_copy(home)
    fixed = parser_fix_and_notice(home, state)

    incremental = root / "incremental" / "build.duckdb"
    incremental.parent.mkdir()
    shutil.copy2(first, incremental)  # what the build starts from: the published warehouse
    dbt_build(home, incremental)
    again = root / "again" / "build.duckdb"
    again.parent.mkdir()
    shutil.copy2(incremental, again)
    dbt_build(home, again)  # nothing new since: a no-op

    full = root / "full" / "build.duckdb"
    full.parent.mkdir()
    dbt_build(home, full, "--full-refresh")
    assert snapshot(full)["stg_regtrail__record_events"] != [] and before["fct_filings"] > 0
    return {"home": home, "first": first, "incremental": incremental, "again": again, "full": full,
            "retried": retried, "fixed": fixed}


def test_incremental_build_equals_full_refresh(builds) -> None:
    expected, actual = snapshot(builds["full"]), snapshot(builds["incremental"])
    assert set(actual) == set(expected) and {"fct_filings", "fct_timeline_events", *INCREMENTAL} <= set(actual)
    for name in expected:
        assert actual[name] == expected[name], f"{name} differs after the incremental build"


def test_the_build_was_incremental(builds) -> None:
    """Rows loaded by the first build keep their load time; only the new batch (and retried events) moved."""
    with duckdb.connect(str(builds["incremental"]), read_only=True) as con:
        loads = con.execute("select loaded_at, count(*) from staging.stg_regtrail__record_events group by 1 order by 1")
        (first_load, kept), (_, added) = loads.fetchall()
        copies = con.execute(
            "select count(*) from staging.stg_regtrail__record_events where len(segments) > 1").fetchone()
    with duckdb.connect(str(builds["first"]), read_only=True) as con:
        total_before = con.execute("select count(*) from staging.stg_regtrail__record_events").fetchone()[0]
        copies_before = con.execute("select count(*) from staging.stg_regtrail__record_events where len(segments) > 1")
        copies_before = copies_before.fetchone()[0]  # the fixture log's own retry duplicate
    assert kept == total_before - builds["retried"] and added > builds["retried"]
    # a retry copy is recorded against both its segments, not loaded twice
    assert copies_before > 0 and copies[0] == copies_before + builds["retried"]


def test_rows_a_newer_parser_drops_and_a_new_notice_reach_the_marts(builds) -> None:
    fixed = builds["fixed"]
    sql = {
        "filing": "select status, cancellation_basis, lists_count from fct_filings where filing_number = ?",
        "listed": "select count(*) from fct_timeline_events where filing_number = ? and list_id = ? "
                  "and event_type = 'filing_listed'",
    }
    found = {}
    for build in ("first", "incremental"):
        with duckdb.connect(str(builds[build]), read_only=True) as con:
            found[build] = {
                name: (con.execute(sql["filing"], [fixed[name]]).fetchall(),
                       con.execute(sql["listed"], [fixed[name], fixed["list_id"]]).fetchone()[0])
                for name in ("only_here", "elsewhere_too", "cancelled")
            }
    first, now = found["first"], found["incremental"]
    assert first["only_here"][1] == 1 and now["only_here"] == ([], 0), "a filing no parser version lists any more"
    (_, _, lists_before), = first["elsewhere_too"][0]
    assert now["elsewhere_too"][1] == 0 and now["elsewhere_too"][0][0][2] == lists_before - 1
    assert first["cancelled"][0][0][:2] == ("active", None) and now["cancelled"][0][0][:2] == ("cancelled", "notice")


def test_a_build_with_nothing_new_changes_nothing(builds) -> None:
    assert snapshot(builds["again"]) == snapshot(builds["incremental"])
    with duckdb.connect(str(builds["again"]), read_only=True) as con:
        loads = con.execute("select count(distinct loaded_at) from staging.stg_regtrail__record_events").fetchone()[0]
    assert loads == 2


def test_replayed_list_uses_the_newer_parser(builds) -> None:
    with duckdb.connect(str(builds["incremental"]), read_only=True) as con:
        versions = con.execute(
            "select distinct parser_version from intermediate.int_filing_observations where list_id in ("
            "select list_id from staging.stg_cac__filings where parser_version = '2' and run_key like 'replay:%')"
        ).fetchall()
    assert versions == [("3",)], "replayed by version 2, then by version 3 (parser_fix_and_notice): the newest wins"


def test_synthetic_log_has_the_shapes_of_the_real_one(tmp_path: Path) -> None:
    home = tmp_path / "home"
    state = synthetic_events.write_log(home, 45_000)
    state = synthetic_events.append(home, 100)
    table = events.read_events(home, "records").to_pylist()
    assert len(table) == state.record_events and all(synthetic_events.event_id_check(r) for r in table[:2000])
    by_type: dict[str, list[dict]] = {}
    for row in table:
        by_type.setdefault(row["record_type"], []).append(row)
    assert {"notice", "list_publication", "filing", "parse_failure"} <= set(by_type)
    rows_per_document: dict[str, int] = {}
    for row in by_type["filing"]:
        rows_per_document[row["document_digest"] + row["parser_version"]] = (
            rows_per_document.get(row["document_digest"] + row["parser_version"], 0) + 1)
    for publication in by_type["list_publication"]:  # row_count is the number of filing rows of that document
        payload = json.loads(publication["payload"])
        assert payload["row_count"] == rows_per_document[publication["document_digest"] + publication["parser_version"]]
    lists_per_number: dict[str, set[str]] = {}
    remarks = []
    for row in by_type["filing"]:
        payload = json.loads(row["payload"])
        lists_per_number.setdefault(row["record_key"], set()).add(payload["list_id"])
        remarks.append(payload["remark"])
    assert sum(len(lists) > 1 for lists in lists_per_number.values()) > 1000  # numbers recurring across lists
    assert any(r.startswith("变更内容：") for r in remarks) and "已注销" in remarks
    replayed = [r for r in by_type["filing"] if r["parser_version"] == "2"]
    first_seen = {(r["document_digest"], r["record_key"]): r["observed_at"] for r in by_type["filing"]
                  if r["parser_version"] == "1"}
    assert replayed and all(r["observed_at"] == first_seen[(r["document_digest"], r["record_key"])] for r in replayed)
    fetch = events.read_events(home, "fetch").to_pylist()
    assert any(not f["ok"] for f in fetch) and sum(f["purpose"] == "attachment" and f["ok"] for f in fetch) > 30


def test_data_tests_on_incremental_models_read_the_latest_load(builds, tmp_path: Path) -> None:
    """A full build tests whole tables; after an incremental one, a generic test on an incremental model
    reads the latest load (unique: every row sharing a key with it), so a bad new row fails the build,
    an old row (tested by the build that wrote it) is not read again unless `test_scope: all` asks."""
    related = "relationships_int_filing_observations_list_id__list_id__ref_int_list_publications_"
    related_file = "relationships_int_filing_obser_*"  # dbt shortens a long test name's file name
    assert "loaded_at" not in compiled_test(builds["full"], related_file)
    assert "tested.loaded_at = cast(" in compiled_test(builds["incremental"], related_file)
    assert "exists (select 1" in compiled_test(builds["incremental"], "unique_int_filing_observations_observation_id")

    def tests_after(change: str, *args: str) -> subprocess.CompletedProcess:
        work = tmp_path / str(len(list(tmp_path.iterdir())))
        work.mkdir()
        shutil.copy2(builds["incremental"], work / "build.duckdb")
        with duckdb.connect(str(work / "build.duckdb")) as con:
            assert con.execute(change.format(
                latest="(select max(loaded_at) from intermediate.int_filing_observations)")).fetchall()[0][0] == 1
        return dbt("test", builds["home"], work / "build.duckdb", "--select", "int_filing_observations", *args)

    old_row = ("update intermediate.int_filing_observations set list_id = 'deep_synthesis:nowhere' "
               "where observation_id = "
               "(select min(observation_id) from intermediate.int_filing_observations where loaded_at < {latest})")
    assert tests_after(old_row).returncode == 0
    whole = tests_after(old_row, "--vars", "{test_scope: all}")
    assert whole.returncode == 1 and f"FAIL 1 {related}" in whole.stdout
    new_row = old_row.replace("loaded_at < {latest}", "loaded_at = {latest}")
    scoped = tests_after(new_row)
    assert scoped.returncode == 1 and f"FAIL 1 {related}" in scoped.stdout
    collision = ("update intermediate.int_filing_observations set observation_id = (select min(observation_id) "
                 "from intermediate.int_filing_observations where loaded_at < {latest}) where observation_id = (select "
                 "min(observation_id) from intermediate.int_filing_observations where loaded_at = {latest})")
    scoped = tests_after(collision)
    assert scoped.returncode == 1 and "FAIL 1 unique_int_filing_observations_observation_id" in scoped.stdout


def test_constraints_hold_after_an_incremental_build(builds, tmp_path: Path) -> None:
    """An incremental build inserts into the table the full build created, constraints included."""
    copy = tmp_path / "build.duckdb"
    shutil.copy2(builds["incremental"], copy)
    with duckdb.connect(str(copy)) as con:
        latest = "(select max(loaded_at) from intermediate.int_filing_observations)"
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            con.execute(f"update intermediate.int_filing_observations set filing_number = null "
                        f"where loaded_at = {latest}")
        with pytest.raises(duckdb.ConstraintException, match="CHECK"):
            con.execute("update staging.stg_regtrail__record_events set published_precision = 'year'")
