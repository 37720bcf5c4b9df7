"""Every announced list has a state in fct_list_batches; fct_fetch_failures has one row per URL and stage;
unknown columns reach the warehouse.

The sample log (tests/support/events.py) plus two faulty crawl runs: a configured deep-synthesis notice
page that fails twice (503), a notice announcing a list whose attachment answers 404, one whose
attachment is a WAF challenge page, a notice announcing the sample's unparseable attachment, and a
list with a column the parser does not know. Expectations come from these events and the YAML files.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from regtrail.crawl import sources
from regtrail.log import records
from tests.support.events import DS, DS_BROKEN_URL, _digest_of, _document, _list_records, _Log, write_sample_log
from tests.support.warehouse import lineage, run_dbt_build

pytestmark = pytest.mark.dbt

CONFIG = {row["list_id"]: row for row in sources.announced_lists()}
FAILING_NOTICE = CONFIG["deep_synthesis:2024年1月"]["notice_url"]
MISSING_NOTICE = CONFIG["deep_synthesis:2024年2月"]["notice_url"]
CHALLENGED_NOTICE = CONFIG["deep_synthesis:2024年4月"]["notice_url"]
BROKEN_NOTICE = CONFIG["deep_synthesis:2023年6月"]["notice_url"]
MISSING_URL = "https://www.cac.gov.cn/cms/2024-02.docx"
CHALLENGED_URL = "https://www.cac.gov.cn/cms/2024-04.docx"
EXTRA_URL = "https://www.cac.gov.cn/cms/2025-03.docx"
EXTRA = {"备案日期": "2025-03-01"}


def test_the_seed_is_what_the_source_configs_announce() -> None:
    assert sources.ANNOUNCED_SEED.read_text(encoding="utf-8") == sources.announced_seed_text(), (
        "dbt_project/seeds/announced_lists.csv is stale: run `python -m regtrail.crawl.sources`")
    configured = len(sources.source_config("cac_deep_synthesis").notices) + len(
        sources.source_config("cac_algo_recommendation").lists)
    assert len(CONFIG) == configured


def faulty_runs(home: Path) -> None:
    """Two crawl runs after the sample's, with the faults described above."""
    for day in (3, 4):
        log = _Log(home)
        run = f"cli-202506{day:02d}T010000Z"
        at = datetime(2025, 6, day, 1, 0, tzinfo=UTC)
        log.fetch_event(DS, run, FAILING_NOTICE, purpose="notice", started_at=at, status=503, ok=False,
                        error_kind="http_status", error=f"HTTP 503 on day {day}")
        for notice_url, attachment, batch in ((MISSING_NOTICE, MISSING_URL, "2024年2月"),
                                              (CHALLENGED_NOTICE, CHALLENGED_URL, "2024年4月"),
                                              (BROKEN_NOTICE, DS_BROKEN_URL, "2023年6月")):
            page = log.fetch_event(DS, run, notice_url, purpose="notice", started_at=at, status=200, ok=True,
                                   payload_digest=_digest_of(notice_url), archive_path=f"archive/x/{batch}.warc.gz")
            log.record_event(DS, run, records.record("notice", {
                "title": f"notice {batch}", "pubtime": None,
                "attachments": [{"label": "附件", "file_name": f"境内深度合成服务算法备案清单（{batch}）.docx",
                                 "url": attachment, "batch_label": batch, "expected_count": 7}],
            }), notice_url, _document(page, date(2024, 1, 1), "day", "cac_notice"))
        log.fetch_event(DS, run, MISSING_URL, purpose="attachment", started_at=at, status=404, ok=False,
                        error_kind="http_status", error="HTTP 404")
        log.fetch_event(DS, run, CHALLENGED_URL, purpose="attachment", started_at=at, status=200, ok=False,
                        error_kind="waf_challenge", error="a WAF challenge page instead of the document")
        if day == 4:  # a list with a column the parser does not know
            fetched = log.fetch_event(DS, run, EXTRA_URL, purpose="attachment", started_at=at, status=200,
                                      ok=True, payload_digest=_digest_of("extra"), archive_path="archive/x/e.warc.gz")
            document = _document(fetched, date(2025, 3, 1), "day", "cac_list_docx")
            row = ("1", "某算法", "服务技术支持者", "某某公司", "某App", "用途", "网信算备110000000000001250011号", "")
            _list_records(log, DS, run, document, [row], "deep_synthesis", "2025年3月", "附件", "https://x/n",
                          "notice", "境内深度合成服务算法备案清单（2025年3月）.docx", 1)
            for event in log.records[(DS, run)]:
                payload = json.loads(event["payload"])
                if event["record_type"] == "filing":
                    payload["extra"] = EXTRA
                elif event["record_type"] == "list_publication":
                    payload["unknown_columns"] = list(EXTRA)
                event["payload"] = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        log.write()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    home = write_sample_log(tmp_path_factory.mktemp("states"))
    faulty_runs(home)
    work = home / "work"
    result = run_dbt_build(home, work, *lineage("fct_list_batches", "fct_filings", "fct_fetch_failures"))
    assert result.returncode == 0, result.stdout[-4000:]
    con = duckdb.connect(str(work / "build.duckdb"), read_only=True)
    yield con
    con.close()


def batch(db: duckdb.DuckDBPyConnection, list_id: str) -> dict:
    cursor = db.execute("select * from fct_list_batches where list_id = ?", [list_id])
    names = [d[0] for d in cursor.description]
    found = cursor.fetchall()
    assert len(found) == 1, (list_id, found)
    return dict(zip(names, found[0], strict=True))


def test_a_list_whose_notice_page_failed_is_failed_with_the_last_error(db) -> None:
    row = batch(db, "deep_synthesis:2024年1月")
    assert (row["status"], row["failure_kind"]) == ("failed", "http_status")
    assert row["failure"] == "notice page failed: HTTP 503 on day 4"
    assert row["expected_count"] == CONFIG["deep_synthesis:2024年1月"]["expected_count"]
    assert row["notice_url"] == FAILING_NOTICE


def test_a_list_the_regulator_does_not_serve_is_not_available(db) -> None:
    row = batch(db, "deep_synthesis:2024年2月")
    assert (row["status"], row["failure_kind"], row["attachment_url"]) == ("not_available", "http_status", MISSING_URL)


def test_a_challenge_page_and_a_parse_failure_are_failed(db) -> None:
    challenged = batch(db, "deep_synthesis:2024年4月")
    assert (challenged["status"], challenged["failure_kind"]) == ("failed", "waf_challenge")
    broken = batch(db, "deep_synthesis:2023年6月")
    assert (broken["status"], broken["failure_kind"]) == ("failed", "parse_failure")
    assert "HTML challenge page" in broken["failure"]


def test_every_announced_list_has_one_row_and_a_state(db) -> None:
    states = dict(db.execute("select list_id, status from fct_list_batches").fetchall())
    attempted = {row["list_id"] for row in CONFIG.values() if row["notice_url"] in
                 {FAILING_NOTICE, MISSING_NOTICE, CHALLENGED_NOTICE, BROKEN_NOTICE}}
    assert attempted <= set(states)
    assert set(states.values()) == {"parsed", "not_available", "failed"}
    assert db.execute("select count(*) from fct_list_batches where status <> 'parsed' and failure is null"
                      ).fetchone()[0] == 0


def test_fetch_failures_one_row_per_url_and_stage(db) -> None:
    rows = db.execute("select attempts, first_attempt_at, last_attempt_at, error, resolved from fct_fetch_failures "
                      "where stage = 'fetch' and url = ?", [FAILING_NOTICE]).fetchall()
    assert len(rows) == 1
    attempts, first, last, error, resolved = rows[0]
    assert attempts == 2 and first.day == 3 and last.day == 4 and error == "HTTP 503 on day 4" and not resolved
    duplicates = db.execute("select stage, url, count(*) from fct_fetch_failures group by all having count(*) > 1")
    assert duplicates.fetchall() == []
    assert db.execute("select attempts from fct_fetch_failures where stage = 'fetch' and url = ?",
                      [CHALLENGED_URL]).fetchone() == (2,)


def test_unknown_columns_reach_the_warehouse(db) -> None:
    extra = db.execute("select extra_columns from fct_filings where filing_number = '网信算备110000000000001250011号'")
    assert json.loads(extra.fetchone()[0]) == EXTRA
    assert db.execute("select count(*) from fct_filings where extra_columns is not null").fetchone()[0] == 1
    row = batch(db, "deep_synthesis:2025年3月")
    assert row["unknown_column_count"] == 1 and json.loads(row["unknown_columns"]) == list(EXTRA)
    assert batch(db, "deep_synthesis:2023年8月")["unknown_column_count"] == 0
