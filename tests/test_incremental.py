"""Incremental warehouse builds: an incremental build over an appended log equals a full refresh.

Real `dbt build` runs (marked `dbt`): a full build of a log (the fixture log plus a synthetic one), then
new events are appended (new crawl runs, a replay with a newer parser version whose records carry the
old observed_at, a crash/retry copy of events already loaded), the build continues from a copy of the
first build file (as a publish would leave it), and every mart is compared with a `--full-refresh`
run of the same log. Every dbt command of the module works on one build file and target folder (`Dbt`), so all
but the first parse the project partially; only the first and the incremental build run the data tests.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from regtrail.log import events, records
from regtrail.log.digest import sha256
from regtrail.mirror import synthetic_events
from tests.support.events import write_sample_log
from tests.support.warehouse import INCREMENTAL, run_dbt
from tests.support.warehouse import snapshot as read_snapshot

pytestmark = pytest.mark.dbt

NO_TESTS = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")


@functools.cache
def snapshot(build_file: Path) -> dict[str, list[tuple]]:
    """`tests.support.warehouse.snapshot`, read once per file: the module's build files are not written again."""
    return read_snapshot(build_file)


@dataclasses.dataclass
class Dbt:
    """dbt commands over the log in `home`, each on the one file `work/build.duckdb` with one target folder.

    dbt parses the whole project again when the profile changes (its file path is part of it); with one path
    and one target folder each command after the first reads its saved parse and parses only what changed.
    """

    home: Path
    work: Path

    @property
    def file(self) -> Path:
        return self.work / "build.duckdb"

    def __call__(self, command: str, *args: str, start: Path | None = None) -> subprocess.CompletedProcess:
        """`dbt COMMAND ARGS` on a copy of `start` (None: an empty file); the compiled SQL of this command only."""
        self.file.unlink(missing_ok=True)
        if start is not None:
            shutil.copy2(start, self.file)
        shutil.rmtree(self.work / "target" / "run", ignore_errors=True)
        return run_dbt(command, self.home, self.work, self.file, *args)

    def keep(self, command: str, into: Path, *args: str, start: Path | None = None) -> subprocess.CompletedProcess:
        """A command that must succeed; its build file and compiled SQL (`compiled_test`) are kept in `into`."""
        result = self(command, *args, start=start)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        into.mkdir(parents=True)
        os.replace(self.file, into / "build.duckdb")
        shutil.copytree(self.work / "target" / "run", into / "run")
        return result


def compiled_test(build_file: Path, name: str) -> str:
    """The SQL dbt ran for data test `name` (a file name glob) in the command that made `build_file`."""
    (path,) = (build_file.parent / "run").rglob(f"{name}.sql")
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
    synthetic_events.write_log(home, 6000)  # one crawl run: the least the generator writes
    dbt = Dbt(home, root / "dbt")
    dbt.keep("build", root / "first")
    first = root / "first" / "build.duckdb"

    before = {name: len(rows) for name, rows in snapshot(first).items()}
    state = synthetic_events.append(home, 1000)  # the next crawl run plus a replay of an old list
    assert state.replays, "the appended batch must contain a replay"
    retried = retry_copy(home)
    fixed = parser_fix_and_notice(home, state)

    dbt.keep("build", root / "incremental", start=first)  # what the build starts from: the published warehouse
    incremental = root / "incremental" / "build.duckdb"
    # Nothing new since: a no-op. Models only (`run`): the data tests change no table.
    dbt.keep("run", root / "again", start=incremental)
    # The same log from scratch, seeds and models; data tests ran in `first` (a full build of part of this log).
    dbt.keep("build", root / "full", "--full-refresh", *NO_TESTS)
    full = root / "full" / "build.duckdb"
    assert snapshot(full)["stg_regtrail__record_events"] != [] and before["fct_filings"] > 0
    return {"home": home, "dbt": dbt, "first": first, "incremental": incremental,
            "again": root / "again" / "build.duckdb", "full": full, "retried": retried, "fixed": fixed}


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


def test_data_tests_on_incremental_models_read_the_latest_load(builds) -> None:
    """A full build tests whole tables; after an incremental one, a generic test on an incremental model
    reads the latest load (unique: every row sharing a key with it), so a bad new row fails the build,
    an old row (tested by the build that wrote it) is not read again unless `test_scope: all` asks."""
    related = "relationships_int_filing_observations_list_id__list_id__ref_int_list_publications_"
    related_file = "relationships_int_filing_obser_*"  # dbt shortens a long test name's file name
    assert "loaded_at" not in compiled_test(builds["first"], related_file)
    assert "tested.loaded_at = cast(" in compiled_test(builds["incremental"], related_file)
    assert "exists (select 1" in compiled_test(builds["incremental"], "unique_int_filing_observations_observation_id")
    dbt: Dbt = builds["dbt"]

    def tests_after(*changes: str, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
        changed = dbt.work / "changed.duckdb"
        shutil.copy2(builds["incremental"], changed)
        with duckdb.connect(str(changed)) as con:
            for change in changes:
                assert con.execute(change.format(
                    latest="(select max(loaded_at) from intermediate.int_filing_observations)")).fetchall()[0][0] == 1
        return dbt("test", "--select", "int_filing_observations", *args, start=changed)

    old_row = ("update intermediate.int_filing_observations set list_id = 'deep_synthesis:nowhere' "
               "where observation_id = "
               "(select min(observation_id) from intermediate.int_filing_observations where loaded_at < {latest})")
    assert tests_after(old_row).returncode == 0
    # One row of the latest load: its list is unknown (relationships) and it takes an old row's id (unique).
    new_row = old_row.replace("loaded_at < {latest}", "loaded_at = {latest}")
    collision = ("update intermediate.int_filing_observations set observation_id = (select min(observation_id) "
                 "from intermediate.int_filing_observations where loaded_at < {latest}) where observation_id = (select "
                 "min(observation_id) from intermediate.int_filing_observations where loaded_at = {latest})")
    scoped = tests_after(new_row, collision)
    assert scoped.returncode == 1 and f"FAIL 1 {related}" in scoped.stdout
    assert "FAIL 1 unique_int_filing_observations_observation_id" in scoped.stdout
    whole = tests_after(old_row, args=("--vars", "{test_scope: all}"))  # last: other vars parse the project again
    assert whole.returncode == 1 and f"FAIL 1 {related}" in whole.stdout


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
