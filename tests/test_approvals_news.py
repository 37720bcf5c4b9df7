"""Generative-AI lists, cancellation notices and news: parsers against the mirror's fixtures, then the
whole chain (mirror -> crawl/ingest -> dbt build) down to the timeline of one company group.

Expected values come from the fixture generators and the source configs, never from parser output.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pdfplumber
import pytest
import yaml

from regtrail import runner, settings
from regtrail.mirror import genai_fixtures, news_fixtures
from regtrail.mirror.server import start_mirror
from regtrail.mirror.site import build_site
from regtrail.parsers import cancellation_notice, genai_list, news_article
from regtrail.sources import config_path
from tests.test_dbt_models import run_dbt_build

GENAI_CONFIG = yaml.safe_load((config_path("cac_genai")).read_text(encoding="utf-8"))
WIRE_URL = "https://japannews.yomiuri.co.jp/business/tech/20230901-133512/"


def _rows(parsed: genai_list.GenaiList, kind: str) -> list[list[str | None]]:
    return [[r.seq, r.region, r.model_name, r.entity_name, r.number, r.filed_text] for r in parsed.rows
            if r.kind == kind]


@pytest.fixture(scope="module")
def genai_rows() -> dict[str, dict[str, list[list[str]]]]:
    return genai_fixtures.generate_rows(GENAI_CONFIG)


@pytest.mark.parametrize("period", ["2024年11月", "2025年1月"])
def test_genai_docx_both_tables(genai_rows, period: str) -> None:
    expected = genai_rows[period]
    body = genai_fixtures.build_attachment(period, "附件3", expected, pdf=False)
    parsed = genai_list.parse_genai_document(body)
    assert parsed.file_type == "docx" and parsed.period_label == period and parsed.attachment_label == "附件3"
    assert _rows(parsed, "filing") == expected["filing"]
    assert _rows(parsed, "registration") == expected["registration"]
    entry = next(a for n in GENAI_CONFIG["notices"] for a in n["attachments"] if a["period"] == period)
    assert (parsed.count("filing"), parsed.count("registration")) == (
        entry["expected_filings"], entry["expected_registrations"])
    assert all("S" in r.number[-5:] for r in parsed.rows if r.kind == "registration")


def test_genai_first_list_has_the_reported_first_models(genai_rows) -> None:
    parsed = genai_list.parse_genai_document(
        genai_fixtures.build_attachment("2024年4月", "附件1", genai_rows["2024年4月"], pdf=False))
    assert [r.model_name for r in parsed.rows[:3]] == ["文心一言", "智谱清言", "云雀大模型"]
    assert [r.filed_date for r in parsed.rows[:9]] == ["2023-08-31"] * 8 + [parsed.rows[8].filed_date]
    assert parsed.rows[8].filed_date > "2023-08-31"
    first = {r.model_name: r.filed_date for r in parsed.rows}
    assert first["盘古大模型"] == "2023-09-19" and first["通义千问"] == "2023-09-12"
    assert parsed.count("registration") == 0


@pytest.mark.parametrize("period", ["2024年8月", "2025年3月"])
def test_genai_pdf_tables_broken_across_pages(genai_rows, period: str) -> None:
    expected = genai_rows[period]
    body = genai_fixtures.build_attachment(period, "附件2", expected, pdf=True)
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        page_tables = [t for page in pdf.pages for t in page.extract_tables()]
    assert len(page_tables) > 4, "the tables span several pages"
    assert any(not t[0][0] and not t[0][4] for t in page_tables), "a row continues at the top of a page"
    parsed = genai_list.parse_genai_document(body)
    assert parsed.file_type == "pdf" and parsed.period_label == period
    assert _rows(parsed, "filing") == expected["filing"]
    registrations = expected["registration"]
    if period in genai_fixtures.NO_REGISTRATION_DATE:  # this 登记 table has no 登记时间 column
        registrations = [r[:-1] + [None] for r in registrations]
    assert _rows(parsed, "registration") == registrations


def test_cancellation_notice_pdf_lists_numbers_of_served_lists(shared: Path) -> None:
    site = build_site(shared.parent)
    config = yaml.safe_load((config_path("cac_cancellations")).read_text(encoding="utf-8"))
    assert [n.published.isoformat() for n in sorted(site.cancellation_notices, key=lambda n: n.published)] == [
        str(e["published"]) for e in config["cancellations"]]
    served = {c.filing_number: c for c in __import__("regtrail.mirror.site", fromlist=["x"]).served_filings(site)}
    for fixture, entry in zip(sorted(site.cancellation_notices, key=lambda n: n.published),
                              config["cancellations"], strict=True):
        from regtrail.mirror.cancellation_fixtures import notice_pdf

        parsed = cancellation_notice.parse_cancellation_pdf(notice_pdf(fixture))
        assert not parsed.from_text and parsed.title == fixture.title
        assert [r.filing_number for r in parsed.rows] == [c.filing_number for c in fixture.rows]
        assert len(parsed.rows) == entry["expected_count"]
        assert [r.entity_name for r in parsed.rows] == [c.entity_name for c in fixture.rows]
        assert all(served[r.filing_number].listed < fixture.published for r in parsed.rows)


@pytest.mark.parametrize(
    ("article", "source", "local", "utc_day"),
    [
        (news_fixtures.ARTICLES[0], "meta", "2023-09-01T21:05:00+09:00", "2023-09-01"),
        (news_fixtures.ARTICLES[1], "json-ld", "2023-08-31T23:40:00+08:00", "2023-08-31"),
        (news_fixtures.ARTICLES[2], "visible", "2024-08-06T00:30:00+08:00", "2024-08-05"),
    ],
)
def test_news_page_shapes(article: news_fixtures.Article, source: str, local: str, utc_day: str) -> None:
    outlets = yaml.safe_load((config_path("news")).read_text(encoding="utf-8"))["outlets"]
    zone = next(o["timezone"] for o in outlets if o["host"] == article.host)
    parsed = news_article.parse_article(news_fixtures.article_page(article).decode(), article.url + "?ref=feed",
                                        timezone=zone)
    assert parsed.canonical_url == article.url and parsed.headline == article.headline
    assert (parsed.date_source, parsed.published_time) == (source, local)
    assert parsed.published_date == local[:10] and parsed.published_utc.startswith(utc_day)
    assert parsed.byline == article.byline and parsed.outlet == article.outlet
    assert parsed.body.split("\n\n") == list(article.paragraphs)
    assert parsed.dateline == (article.dateline or None)


def test_feeds_list_articles_rss_and_atom() -> None:
    for host, (_, kind) in news_fixtures.FEEDS.items():
        entries = news_article.parse_feed(news_fixtures.feed(host))
        articles = [a for a in news_fixtures.ARTICLES if a.host == host]
        assert {e.url for e in entries} >= {a.url for a in articles}, kind
        for article in articles:
            entry = next(e for e in entries if e.url == article.url)
            assert entry.published_utc == article.published.astimezone(__import__("datetime").UTC).isoformat()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, shared: Path):
    """Crawl every source against the mirror, ingest the wire story with the CLI, build the warehouse."""
    work = tmp_path_factory.mktemp("approvals")
    home = work / "home"
    site = build_site(shared.parent)
    saved = {k: os.environ.get(k) for k in ("REGTRAIL_HOME", "REGTRAIL_MIRROR")}
    with start_mirror(site) as mirror:
        os.environ.update(REGTRAIL_HOME=str(home), REGTRAIL_MIRROR=mirror.origin)
        try:
            stats = runner.crawl(["cac_deep_synthesis", "cac_algo_recommendation", "cac_genai", "cac_cancellations"],
                                 run_key="approvals", root=home)
            out = subprocess.run([sys.executable, "-m", "regtrail", "ingest", WIRE_URL], capture_output=True, text=True,
                                 cwd=settings.REPO_ROOT, env=dict(os.environ), timeout=120)
        finally:
            for key, value in saved.items():
                os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    assert out.returncode == 0, out.stderr
    assert '"records:news_article": 1' in out.stdout
    assert all(stats[s]["fetch_failures"] == 0 for s in ("cac_genai", "cac_cancellations"))
    result = run_dbt_build(home, work)
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(work / "build.duckdb"), read_only=True) as con:
        yield con, site


@pytest.mark.dbt
def test_ingested_wire_story_sits_next_to_the_batch_it_reports(warehouse) -> None:
    con, _ = warehouse
    rows = con.execute(
        "select entity_group, event_type, count(*), min(source_url) from fct_timeline_events"
        " where event_date = date '2023-09-01' and entity_group in ('Huawei', 'Alibaba')"
        "   and event_type in ('news_reported', 'filing_listed') group by all order by all").fetchall()
    groups = {(g, t): (n, url) for g, t, n, url in rows}
    for group in ("Alibaba", "Huawei"):
        assert groups[(group, "news_reported")] == (1, WIRE_URL)
        assert groups[(group, "filing_listed")][0] >= 2
        assert groups[(group, "filing_listed")][1] == "https://www.cac.gov.cn/2023-09/01/c_1695224377544009.htm"
    names = con.execute("select distinct entity_name_en from fct_timeline_events where entity_group_zh = '华为'"
                        " and event_type = 'filing_listed'").fetchall()
    assert {"Huawei Cloud Computing Technologies Co. Ltd.", "Huawei Software Technologies Co. Ltd."} <= {
        n for (n,) in names}


@pytest.mark.dbt
def test_genai_approvals_are_dated_by_filing_time(warehouse) -> None:
    con, _ = warehouse
    pangu = con.execute(
        "select event_date, date_basis, entity_group, list_id from fct_timeline_events"
        " where event_type = 'approval_announced' and algorithm_name = '盘古大模型'").fetchall()
    assert pangu == [(date(2023, 9, 19), "filed", "Huawei", "genai_service:2024年4月")]
    first_day = con.execute("select count(*) from fct_timeline_events where event_type = 'approval_announced'"
                            " and event_date = date '2023-08-31'").fetchone()[0]
    assert first_day == 8
    expected = sum(a["expected_filings"] + a["expected_registrations"]
                   for n in GENAI_CONFIG["notices"] if n["kind"] == "increments" for a in n["attachments"])
    assert con.execute("select count(*) from fct_timeline_events where event_type = 'approval_announced'"
                       ).fetchone()[0] == expected  # the yearly summary adds no event
    undated = con.execute("select distinct event_date, published_precision, date_basis from fct_timeline_events"
                          " where event_type = 'approval_announced' and list_id = 'genai_service:2024年8月'"
                          " and filing_number like '%S____'").fetchall()
    assert undated == [(date(2024, 8, 1), "month", "published")]  # no 登记时间 column: the list's month


@pytest.mark.dbt
@pytest.mark.parametrize("year", ["2024年", "2025年"])
def test_yearly_summary_is_fetched_parsed_and_adds_no_approval(warehouse, genai_rows, year: str) -> None:
    con, _ = warehouse
    ((notice, entry),) = [(n, a) for n in GENAI_CONFIG["notices"] if n["kind"] == "summary"
                          for a in n["attachments"] if a["period"] == year]
    list_id = f"genai_service:{entry['period']}"
    fetched = dict(con.execute("select purpose, max(status) from stg_regtrail__fetch_events"
                               " where url = ? or referer = ? group by all", [notice["url"], notice["url"]]).fetchall())
    assert fetched == {"notice": 200, "attachment": 200}
    parts = [genai_rows[period] for period in entry["summary_of"]]
    expected = {kind: [row for part in parts for row in part[kind]] for kind in ("filing", "registration")}
    listed = con.execute("select period, is_summary, filing_count, registration_count, notice_url, published_at"
                         " from stg_cac__genai_lists where list_id = ?", [list_id]).fetchall()
    assert listed == [(str(entry["period"]), True, len(expected["filing"]), len(expected["registration"]),
                       notice["url"], date.fromisoformat(str(entry["published"])))]
    for kind, rows in expected.items():
        parsed = con.execute("select seq, region, model_name, entity_name, genai_number, filed_text"
                             " from stg_cac__genai_filings where list_id = ? and genai_kind = ? and is_summary"
                             " order by table_index, row_index", [list_id, kind]).fetchall()
        assert [list(r) for r in parsed] == rows, kind  # the union of the year's periods, row by row
    numbers = [row[4] for rows in expected.values() for row in rows]
    first = {row[4]: f"genai_service:{period}" for period, part in zip(entry["summary_of"], parts, strict=True)
             for rows in part.values() for row in rows}
    approvals = con.execute("select genai_number, list_id, lists_count from int_genai_approvals"
                            " where genai_number in (select unnest(?))", [numbers]).fetchall()
    assert {n: (lst, c) for n, lst, c in approvals} == {n: (first[n], 2) for n in numbers}
    assert len(approvals) == len(numbers)  # one approval each: the period that listed it, not the summary
    events = con.execute("select filing_number, count(*), min(list_id) from fct_timeline_events"
                         " where event_type = 'approval_announced' and filing_number in (select unnest(?))"
                         " group by all", [numbers]).fetchall()
    assert {n: (c, lst) for n, c, lst in events} == {n: (1, first[n]) for n in numbers}


@pytest.mark.dbt
def test_cancellation_notices_cancel_filings(warehouse) -> None:
    con, site = warehouse
    by_number = {c.filing_number: n.published for n in site.cancellation_notices for c in n.rows}
    cancelled = dict(con.execute("select filing_number, cancelled_date from fct_filings where status = 'cancelled'"
                                 ).fetchall())
    assert cancelled == by_number
    events = dict(con.execute("select filing_number, event_date from fct_timeline_events"
                              " where event_type = 'filing_cancelled'").fetchall())
    assert events == by_number


@pytest.mark.dbt
def test_changed_filing_names_old_and_new_values(warehouse) -> None:
    con, _ = warehouse
    changed = con.execute(
        "select description from fct_timeline_events where event_type = 'filing_changed'"
        " and description like '%: changed %'").fetchall()
    assert len(changed) >= 10  # the 2023-06 list rewords purposes of 2022 algorithm filings
    for (description,) in changed:
        fields = description.split(": changed ", 1)[1].split(" since ", 1)[0].split(", ")
        assert all(f"{field} “" in description for field in fields if field in {"products", "purpose"}), description
        assert "” → “" in description


@pytest.mark.dbt
def test_analyst_timeline_by_english_group_includes_news_approvals_and_filings(warehouse) -> None:
    from regtrail.analyst import queries

    con, _ = warehouse
    entities, events = queries.timeline(con, "Huawei")
    assert {e["group_name"] for e in entities} == {"Huawei"}
    kinds = {e["event_type"] for e in events}
    assert {"filing_listed", "approval_announced", "news_reported"} <= kinds
    news = [e for e in events if e["event_type"] == "news_reported"]
    assert [(str(e["event_date"]), e["entity_name"], e["source_url"]) for e in news] == [
        ("2023-09-01", "Huawei", WIRE_URL)]
    dates = [e["event_date"] for e in events]
    assert dates == sorted(dates)


def _parse_cli(path: Path) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "regtrail", "parse", str(path)], capture_output=True, text=True,
                         cwd=settings.REPO_ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


@pytest.mark.parametrize("pdf", [False, True])
def test_parse_cli_prints_a_genai_list(genai_rows, tmp_path: Path, pdf: bool) -> None:
    period = "2024年11月"
    expected = genai_rows[period]
    saved = tmp_path / ("list.pdf" if pdf else "list.docx")
    saved.write_bytes(genai_fixtures.build_attachment(period, "附件3", expected, pdf=pdf))
    head, *rows = _parse_cli(saved)
    assert head["record_type"] == "genai_list" and head["period"] == period
    assert head["file_type"] == ("pdf" if pdf else "docx")
    counts = (head["filing_count"], head["registration_count"])
    assert counts == (len(expected["filing"]), len(expected["registration"]))
    kinds = {"genai_filing": "filing", "genai_registration": "registration"}
    for kind in kinds.values():
        assert [[r["seq"], r["region"], r["model_name"], r["entity_name"], r["number"], r["filed_text"]]
                for r in rows if kinds[r["record_type"]] == kind] == expected[kind]


def test_parse_cli_prints_a_cancellation_notice(shared: Path, tmp_path: Path) -> None:
    from regtrail.mirror.cancellation_fixtures import notice_pdf

    fixture = build_site(shared.parent).cancellation_notices[0]
    saved = tmp_path / "notice.pdf"
    saved.write_bytes(notice_pdf(fixture))
    head, *rows = _parse_cli(saved)
    assert head["record_type"] == "cancellation_notice" and head["document_title"] == fixture.title
    assert head["row_count"] == len(fixture.rows) == len(rows)
    assert {r["record_type"] for r in rows} == {"filing_cancellation"}
    assert [(r["filing_number"], r["entity_name"]) for r in rows] == [
        (c.filing_number, c.entity_name) for c in fixture.rows]
