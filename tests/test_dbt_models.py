"""Warehouse tests: real `dbt build` runs over a small event log (tests/support/events.py).

Marked `dbt`: each build takes a few seconds (two builds in this module). Select or skip them with
`pytest -m dbt` / `pytest -m "not dbt"`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from regtrail.build import dbt_run
from tests.support.events import (
    AR_LIST_ID,
    AR_NOTICE_URL,
    CANCELLED_NUMBER,
    CHANGED_NUMBER,
    CROSS_LIST_NUMBER,
    DS_LIST_ID,
    DS_NOTICE_URL,
    DS_TOTALS_FOOTER,
    DUPLICATED_NUMBER,
    REPARSED_NUMBER,
    REPUBLISHED_NUMBER,
    REPUBLISHED_REMARK,
    VARIANT_NUMBER,
    write_republished_list,
    write_sample_log,
)
from tests.support.warehouse import SampleBuild, lineage, node_statuses, run_dbt_build, sample_build

pytestmark = pytest.mark.dbt

@pytest.fixture(scope="module")
def build(tmp_path_factory) -> SampleBuild:
    """The session's build of the sample log (tests/support/warehouse.py), shared with other modules."""
    return sample_build(tmp_path_factory.getbasetemp())


@pytest.fixture()
def db(build):
    connection = duckdb.connect(str(build.path), read_only=True)
    yield connection
    connection.close()


def rows(db, sql: str, *params) -> list[tuple]:
    return db.execute(sql, list(params)).fetchall()


def one(db, sql: str, *params):
    result = rows(db, sql, *params)
    assert len(result) == 1, result
    return result[0]


def test_build_passes_and_warns_only_on_filing_number_format(build):
    statuses = node_statuses(build.work)
    assert statuses["filing_number_format_fct_filings_filing_number"] == "warn"
    others = {
        name: status for name, status in statuses.items() if not name.startswith("filing_number_format")
    }
    assert set(others.values()) <= {"success", "pass"}, others
    assert "reconcile_parsed_rows_with_row_count" in statuses
    assert "reconcile_parsed_rows_with_expected_count" in statuses


def test_malformed_filing_number_is_stored_as_warning(db):
    stored = rows(
        db, "select filing_number from dbt_test__audit.filing_number_format_fct_filings_filing_number"
    )
    assert stored == [(VARIANT_NUMBER,)]


def test_duplicate_events_in_the_log_are_ignored(build, db):
    home = build.home
    raw_ids = []
    for segment in (home / "events" / "records").rglob("*.parquet"):
        raw_ids += pq.read_table(segment, columns=["event_id"]).column("event_id").to_pylist()
    assert len(raw_ids) > len(set(raw_ids))  # the sample log contains a retry duplicate
    assert one(db, "select count(*) from staging.stg_regtrail__record_events")[0] == len(set(raw_ids))


def test_marts_counts(db):
    assert one(db, "select count(*) from fct_filings")[0] == 8
    assert one(db, "select count(*) from intermediate.int_filing_observations")[0] == 9
    counts = dict(rows(db, "select event_type, count(*) from fct_timeline_events group by all"))
    assert counts == {"filing_listed": 9, "filing_changed": 3, "filing_cancelled": 1}
    assert one(db, "select count(*) from dim_entities")[0] == 7
    assert one(db, "select count(*) from fct_list_batches")[0] == 2


def test_filing_in_two_lists(db):
    filing = one(
        db,
        "select first_listed_date, first_list_id, first_batch_label, last_listed_date, lists_count,"
        " list_type, role from fct_filings where filing_number = ?",
        CROSS_LIST_NUMBER,
    )
    assert filing == (
        date(2022, 8, 12),
        AR_LIST_ID,
        "2022年8月",
        date(2023, 9, 1),
        2,
        "deep_synthesis",
        "服务提供者",
    )
    listed = rows(
        db,
        "select event_date, list_id, source_url from fct_timeline_events"
        " where filing_number = ? and event_type = 'filing_listed' order by event_date",
        CROSS_LIST_NUMBER,
    )
    assert listed == [
        (date(2022, 8, 12), AR_LIST_ID, AR_NOTICE_URL),
        (date(2023, 9, 1), DS_LIST_ID, DS_NOTICE_URL),
    ]
    changed = one(
        db,
        "select event_date, list_id, description from fct_timeline_events"
        " where filing_number = ? and event_type = 'filing_changed'",
        CROSS_LIST_NUMBER,
    )
    assert changed[:2] == (date(2023, 9, 1), DS_LIST_ID)
    assert "purpose" in changed[2]


def test_cancelled_filing(db):
    status, cancelled_date = one(
        db, "select status, cancelled_date from fct_filings where filing_number = ?", CANCELLED_NUMBER
    )
    assert status == "cancelled"
    # the list gives no date: on or before its publication (first list showing it: no lower bound),
    # never the day regtrail fetched it (2025-06-02)
    assert cancelled_date == date(2022, 8, 12)
    event = one(
        db,
        "select event_date, date_basis, event_date_earliest, event_date_latest from fct_timeline_events"
        " where filing_number = ? and event_type = 'filing_cancelled'",
        CANCELLED_NUMBER,
    )
    assert event == (date(2022, 8, 12), "published", None, date(2022, 8, 12))
    assert one(db, "select count(*) from fct_filings where status = 'cancelled'")[0] == 1
    entity = one(
        db,
        "select filings_count, active_filings_count from dim_entities where entity_name_zh = ?",
        "杭州优卖网络科技有限公司",
    )
    assert entity == (1, 0)


def test_change_remark_becomes_filing_changed(db):
    description, basis = one(
        db,
        "select description, date_basis from fct_timeline_events"
        " where filing_number = ? and event_type = 'filing_changed'",
        CHANGED_NUMBER,
    )
    assert "变更内容：新增产品360办公助手(其他)" in description
    # an undated change first seen in a list: dated by the list's publication, no lower bound known
    # (the first list showing the filing), never by the crawl day
    assert basis == "published"
    assert one(
        db,
        "select event_date, event_date_earliest, event_date_latest from fct_timeline_events"
        " where filing_number = ? and event_type = 'filing_changed'",
        CHANGED_NUMBER,
    ) == (date(2023, 9, 1), None, date(2023, 9, 1))
    # a 备注 that starts with a month is dated by it, bounded by the month, even when later than the
    # list's publication (the regulator edits attachments in place)
    event = one(
        db,
        "select event_date, published_precision, date_basis, event_date_earliest, event_date_latest"
        " from fct_timeline_events where filing_number = ? and event_type = 'filing_changed'",
        VARIANT_NUMBER,
    )
    assert event == (date(2023, 12, 1), "month", "remark", date(2023, 12, 1), date(2023, 12, 31))
    # a change between two lists: no earlier than the previous list showing the filing
    assert one(
        db,
        "select event_date, date_basis, event_date_earliest, event_date_latest from fct_timeline_events"
        " where filing_number = ? and event_type = 'filing_changed'",
        CROSS_LIST_NUMBER,
    ) == (date(2023, 9, 1), "published", date(2022, 8, 12), date(2023, 9, 1))
    # no change is dated by the crawl day
    assert one(db, "select count(*) from fct_timeline_events"
                   " where event_type = 'filing_changed' and date_basis = 'observed'")[0] == 0


def test_newest_parser_version_wins(db):
    assert one(db, "select count(*) from staging.stg_cac__filings where list_id = ?", AR_LIST_ID)[0] == 10
    assert (
        one(db, "select products from fct_filings where filing_number = ?", REPARSED_NUMBER)[0]
        == "360搜索（网站）"
    )
    assert rows(
        db, "select distinct parser_version from intermediate.int_filing_observations where list_id = ?", AR_LIST_ID
    ) == [("2",)]
    assert one(db, "select parser_version from fct_list_batches where list_id = ?", AR_LIST_ID)[0] == "2"


def test_duplicate_within_a_list(db):
    observation = one(
        db,
        "select row_index, rows_in_list from intermediate.int_filing_observations where filing_number = ?",
        DUPLICATED_NUMBER,
    )
    assert observation == (4, 2)
    assert (
        one(
            db,
            "select count(*) from fct_timeline_events"
            " where filing_number = ? and event_type = 'filing_listed'",
            DUPLICATED_NUMBER,
        )[0]
        == 1
    )


def test_list_batches_reconcile(db):
    batches = rows(
        db,
        "select list_id, row_count, expected_count, parsed_rows, distinct_filings, duplicate_rows, reconciled"
        " from fct_list_batches order by list_id",
    )
    assert batches == [
        (AR_LIST_ID, 5, 5, 5, 5, 0, True),
        (DS_LIST_ID, 5, 5, 5, 4, 1, True),
    ]
    # the DS list's totals footer is counted, and is no filing (parsed_rows above stays 5)
    assert rows(db, "select list_id, leftover_row_count from fct_list_batches order by list_id") == [
        (AR_LIST_ID, 0), (DS_LIST_ID, len([DS_TOTALS_FOOTER]))]


def test_fetch_failures(db):
    failures = rows(
        db, "select stage, error_kind, resolved from fct_fetch_failures order by stage, error_kind"
    )
    assert failures == [
        ("fetch", "empty_body", True),
        ("fetch", "timeout", False),
        ("parse", "parse_failure", False),
    ]


def test_timeline_event_ids_are_deterministic(db):
    event_id = one(
        db,
        "select event_id from fct_timeline_events"
        " where filing_number = ? and list_id = ? and event_type = 'filing_listed'",
        CROSS_LIST_NUMBER,
        DS_LIST_ID,
    )[0]
    assert event_id == hashlib.md5(f"filing_listed|{CROSS_LIST_NUMBER}|{DS_LIST_ID}".encode()).hexdigest()


def test_wrong_expected_count_fails_the_build(tmp_path):
    home = write_sample_log(tmp_path / "home", ds_expected_count=6)
    result = run_dbt_build(home, tmp_path, *lineage("fct_list_batches"))  # the lineage of the tests concerned
    assert result.returncode != 0
    statuses = node_statuses(tmp_path)
    assert statuses["reconcile_parsed_rows_with_expected_count"] == "fail"
    assert statuses["reconcile_parsed_rows_with_row_count"] == "pass"


def test_a_saved_parse_holds_for_a_log_anywhere(build, tmp_path):
    """dbt reuses the sample build's saved parse for a log in another home (the models read the log's location only
    when dbt executes; the build file is named relative to dbt's working folder), and reads that home's log."""
    home = write_sample_log(tmp_path / "elsewhere")
    assert dbt_run.reuse_parse(build.work, tmp_path / "work")
    result = run_dbt_build(home, tmp_path / "work", "--select", "stg_regtrail__record_events")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "no changes found, skipping parsing" in (tmp_path / "work" / "logs" / "dbt.log").read_text(encoding="utf-8")
    with duckdb.connect(str(tmp_path / "work" / "build.duckdb"), read_only=True) as con:
        segments = con.execute("select distinct unnest(segments) from staging.stg_regtrail__record_events").fetchall()
    assert segments and all(path.startswith(f"{home}/events/records/") for (path,) in segments), segments


def test_every_table_enforces_a_contract(build, db):
    """Every table and incremental model has an enforced contract (a type for each column), and each
    not_null / check constraint it declares is a constraint of the DuckDB table, so BI tools see it.
    dbt enforces contracts on SQL models only: the one Python model (English names) has data tests."""
    manifest = json.loads((build.work / "target" / "manifest.json").read_text(encoding="utf-8"))
    nodes = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"
             and node["config"]["materialized"] in ("table", "incremental")]
    assert sorted(node["name"] for node in nodes if node["language"] == "python") == ["int_entity_english_names"]
    models = {node["name"]: node for node in nodes if node["language"] == "sql"}
    assert len(models) >= 12
    uncontracted = sorted(name for name, node in models.items() if not node["config"]["contract"]["enforced"])
    assert uncontracted == []
    declared = {(name, column["name"], constraint["type"])
                for name, node in models.items() for column in node["columns"].values()
                for constraint in column["constraints"]}
    assert {kind for _, _, kind in declared} == {"not_null", "check"}
    found = set(rows(db, """
        select table_name, unnest(constraint_column_names),
            case constraint_type when 'NOT NULL' then 'not_null' else lower(constraint_type) end
        from duckdb_constraints() where schema_name in ('main', 'staging', 'intermediate')"""))
    assert declared <= found, declared - found


def test_constraints_reject_bad_rows(build, tmp_path):
    """A NULL key or a value outside an enumerated domain cannot enter a mart, whoever writes it."""
    copy = tmp_path / "build.duckdb"
    copy.write_bytes(build.path.read_bytes())
    with duckdb.connect(str(copy)) as con:
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            con.execute("update fct_timeline_events set event_id = null where event_type = 'filing_listed'")
        with pytest.raises(duckdb.ConstraintException, match="CHECK"):
            con.execute("update fct_filings set status = 'withdrawn'")
        con.execute("update fct_filings set status = 'cancelled'")  # an accepted value passes


def test_filings_and_entities_carry_the_region_of_the_number(db):
    # 网信算备110108… = 北京市海淀区, 330108… = 浙江省杭州市滨江区 in the code table (seed admin_codes)
    regions = dict((n, r) for n, *r in rows(
        db, "select filing_number, province_code, province, city, district, region_resolution from fct_filings"))
    assert regions[CROSS_LIST_NUMBER] == ["110000", "北京市", "北京市", "海淀区", "district"]
    assert regions[CANCELLED_NUMBER] == ["330000", "浙江省", "杭州市", "滨江区", "district"]
    # one digit too many further on: the code after 网信算备 still places it
    assert regions[VARIANT_NUMBER][:2] == ["110000", "北京市"]
    assert all(r[1] is not None for r in regions.values())
    assert rows(db, "select province, district from fct_timeline_events where filing_number = ? "
                    "and event_type = 'filing_listed'", CROSS_LIST_NUMBER) == [("北京市", "海淀区")] * 2
    assert one(db, "select province, city, district, provinces_count from dim_entities where entity_name_zh = ?",
               "北京快手科技有限公司") == ("北京市", "北京市", "海淀区", 1)
    # nothing unresolved in the sample; the listing model is there and empty
    assert rows(db, "select * from fct_unresolved_regions where resolution = 'unresolved'") == []


def test_a_change_seen_only_in_a_republished_attachment_is_dated_when_observed(tmp_path: Path) -> None:
    """The one case no list dates: an attachment already in the log re-published in place with a
    different row. The change is dated by the day regtrail first saw it ('observed'), no earlier than
    the day it saw the old content; the rows the re-publication left alone keep their dates."""
    home = write_republished_list(write_sample_log(tmp_path / "home"))
    result = run_dbt_build(home, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    with duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True) as con:
        changed = one(con, "select event_date, date_basis, event_date_earliest, event_date_latest, description "
                           "from fct_timeline_events where filing_number = ? and event_type = 'filing_changed'",
                      REPUBLISHED_NUMBER)
        assert changed[:4] == (date(2025, 7, 1), "observed", date(2025, 6, 2), date(2025, 7, 1))
        assert REPUBLISHED_REMARK in changed[4]
        assert one(con, "select products from fct_filings where filing_number = ?", REPUBLISHED_NUMBER) == (
            "网易新闻（APP）、网易新闻（网站）",)
        # untouched rows of the same list: listed and cancelled as before, by the list's publication
        assert rows(con, "select event_type, event_date, date_basis from fct_timeline_events "
                         "where filing_number = ? order by event_type", CANCELLED_NUMBER) == [
            ("filing_cancelled", date(2022, 8, 12), "published"), ("filing_listed", date(2022, 8, 12), "published")]
        assert one(con, "select count(*) from fct_timeline_events where date_basis = 'observed'") == (1,)
