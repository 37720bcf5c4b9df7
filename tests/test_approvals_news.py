"""Generative-AI lists, cancellation notices and news: parsers against the mirror's fixtures, then the
whole chain (mirror -> crawl/ingest -> dbt build) down to the timeline of one company group.

Expected values come from the fixture generators and the source configs, never from parser output.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pdfplumber
import pytest
import yaml

from regtrail import settings
from regtrail.analyst.db import records
from regtrail.crawl import runner
from regtrail.crawl.sources import config_path
from regtrail.fetch import sniff
from regtrail.log.events import RecordEvent, write_segment
from regtrail.mirror import genai_fixtures, news_fixtures
from regtrail.mirror.cancellation_fixtures import notice_pdf
from regtrail.mirror.server import start_mirror
from regtrail.mirror.site import build_site
from regtrail.parsers import cancellation_notice, genai_list, news_article
from tests.support.warehouse import node_statuses, run_dbt_build

GENAI_CONFIG = yaml.safe_load((config_path("cac_genai")).read_text(encoding="utf-8"))
BUILT: dict[str, Path] = {}  # where the module's warehouse fixture wrote its event log
WIRE_URL = "https://japannews.yomiuri.co.jp/business/tech/20230901-133512/"


def _rows(parsed: genai_list.GenaiList, kind: str) -> list[list[str | None]]:
    return [[r.seq, r.region, r.model_name, r.entity_name, r.number, r.filed_text]
            + ([r.scenario] if kind == "ondevice" else []) for r in parsed.rows if r.kind == kind]


def _period(month: str) -> str:
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


@pytest.fixture(scope="module")
def real_csv(shared: Path) -> dict[str, dict[str, list[dict[str, str]]]]:
    """The shared CSV rows by period label and table (`ondevice` from ondevice_2026-07.csv), read here directly."""
    result: dict[str, dict[str, list[dict[str, str]]]] = {}
    with open(shared / "genai" / "genai_rows.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            result.setdefault(_period(row["period"]), {}).setdefault(row["table"], []).append(row)
    with open(shared / "genai" / "ondevice_2026-07.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            result[_period(row["list_period"])].setdefault("ondevice", []).append(row)
    return result


def _printed(row: dict[str, str], kind: str) -> list[str]:
    if kind == "ondevice":
        day = date.fromisoformat(row["date"])
        return [row["seq"], row["province"], row["model_name"], row["entity"], row["number"],
                f"{day.year}/{day.month}/{day.day}", row["scenario_适用场景"]]
    return [row["seq"], row["province"], row["name"], row["entity"], row["number"], row["date_raw"]]


@pytest.fixture(scope="module")
def genai_rows(shared: Path) -> dict[str, genai_fixtures.PeriodRows]:
    rows = genai_fixtures.real_rows(shared.parent)
    assert rows is not None
    return rows


@pytest.fixture(scope="module")
def parsed_lists(genai_rows) -> dict[str, genai_list.GenaiList]:
    """Every period's attachment as the mirror serves it, parsed."""
    return {p.period: genai_list.parse_genai_document(genai_fixtures.build_attachment(
                p.period, p.label, genai_rows[p.period], pdf=p.period in genai_fixtures.PDF_PERIODS))
            for p in genai_fixtures.periods(GENAI_CONFIG)}


def test_genai_lists_carry_every_real_row_as_printed(parsed_lists, real_csv) -> None:
    assert list(parsed_lists) == list(real_csv)  # the 13 periods of the config, in order
    for period, parsed in parsed_lists.items():
        assert parsed.period_label == period
        for kind in ("filing", "registration", "ondevice"):
            assert _rows(parsed, kind) == [_printed(r, kind) for r in real_csv[period].get(kind, [])], (period, kind)
        entry = next(a for n in GENAI_CONFIG["notices"] for a in n["attachments"] if a["period"] == period)
        assert (parsed.count("filing"), parsed.count("registration"), parsed.count("ondevice")) == (
            entry["expected_filings"], entry["expected_registrations"], entry.get("expected_ondevice", 0))
    assert sum(len(p.rows) for p in parsed_lists.values()) == 1842


def test_genai_list_layouts(parsed_lists) -> None:
    """Header renamed in later lists, the on-device table's 适用场景, a title that names its attachment."""
    assert parsed_lists["2024年4月"].headers == [genai_fixtures.FILING_HEADER]
    assert parsed_lists["2026年8月"].headers == [genai_fixtures.LATER_FILING_HEADER, genai_fixtures.REGISTRATION_HEADER,
                                                 genai_fixtures.ONDEVICE_HEADER]
    assert "适用场景" in genai_fixtures.ONDEVICE_HEADER and "大模型名称" in genai_fixtures.LATER_FILING_HEADER
    assert all(not p.unknown_columns for p in parsed_lists.values())
    august = parsed_lists["2025年8月"]
    assert august.title == "附件7：生成式人工智能服务已备案和已登记信息（2025年8月）"
    assert august.attachment_label is None
    assert {p: parsed_lists[p].file_type for p in genai_fixtures.PDF_PERIODS} == dict.fromkeys(
        genai_fixtures.PDF_PERIODS, "pdf")


def test_genai_quirks_are_flagged_as_in_the_source(parsed_lists, real_csv) -> None:
    """Each quirk the shared rows document is named on exactly those rows (expectations from the CSV flags)."""
    flagged: dict[str, set[str]] = {}
    for parsed in parsed_lists.values():
        for row in parsed.rows:
            for quirk in row.quirks:
                flagged.setdefault(quirk, set()).add(row.number)
    rows = [r for tables in real_csv.values() for kind, rs in tables.items() if kind != "ondevice" for r in rs]
    def numbers(word: str) -> set[str]:
        return {r["number"] for r in rows if word in r["flags"]}
    assert flagged["number_without_suffix"] == numbers("without_4digit_suffix")
    assert flagged["late_registration"] == {r["number"] for r in rows if "（补登）" in r["date_raw"]}
    assert len(flagged["late_registration"]) == 56
    assert flagged["name_entity_swapped"] == numbers("swapped") and len(flagged["name_entity_swapped"]) == 6
    assert flagged["number_truncated"] == numbers("truncated") == {"Jiangsu-SiWeiXiangLiangZhiSuanYun-"}
    assert numbers("prefix") | {n for n in flagged["number_prefix_mismatch"] if n.startswith("ShanXi-")} == flagged[
        "number_prefix_mismatch"]
    swapped = next(r for p in parsed_lists.values() for r in p.rows if r.number in flagged["name_entity_swapped"])
    assert swapped.model_name.endswith("公司")  # kept as printed, not fixed


def test_genai_pdf_tables_broken_across_pages(genai_rows) -> None:
    period = "2024年8月"
    body = genai_fixtures.build_attachment(period, "附件2", genai_rows[period], pdf=True)
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        page_tables = [t for page in pdf.pages for t in page.extract_tables()]
    assert len(page_tables) > 4, "the tables span several pages"
    assert any(not t[0][0] and not t[0][4] for t in page_tables), "a row continues at the top of a page"


def test_synthetic_genai_lists_say_so(tmp_path: Path) -> None:
    """Without the shared rows the mirror invents lists, and the files carry the synthetic mark."""
    rows = genai_fixtures.period_rows(GENAI_CONFIG, tmp_path)
    assert all(r.synthetic for r in rows.values())
    for pdf in (False, True):
        body = genai_fixtures.build_attachment("2024年11月", "附件3", rows["2024年11月"], pdf=pdf)
        assert sniff.is_synthetic(body)
        assert any("示例" in (r.entity_name or "") for r in genai_list.parse_genai_document(body).rows)
    real = genai_fixtures.PeriodRows("t", {"filing": [["1", "北京市", "a", "b", "Beijing-A-20230821", "2023/8/31"]],
                                           "registration": [], "ondevice": []})
    assert not sniff.is_synthetic(genai_fixtures.build_attachment("2024年4月", "附件1", real, pdf=False))
    assert not sniff.is_synthetic(genai_fixtures.build_attachment("2024年4月", "附件1", real, pdf=True))


@pytest.fixture(scope="module")
def real_cancellations(shared: Path) -> list[dict[str, str]]:
    with open(shared / "genai" / "cancellations.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_cancellation_notices_are_the_real_ones(shared: Path, real_cancellations) -> None:
    site = build_site(shared.parent)
    notices = {}
    for row in real_cancellations:
        notices.setdefault(row["notice_url"].split("noticeId=")[1], []).append(row)
    assert {n.notice_id for n in site.cancellation_notices} == set(notices)
    assert sum(len(n.rows) for n in site.cancellation_notices) == len(real_cancellations) == 57
    for fixture in site.cancellation_notices:
        rows = sorted(notices[fixture.notice_id], key=lambda r: int(r["notice_seq"]))
        assert (fixture.title, fixture.published.isoformat()) == (
            rows[0]["notice_title_or_url"], rows[0]["notice_date"])
        parsed = cancellation_notice.parse_cancellation_pdf(notice_pdf(fixture))
        assert not parsed.from_text and parsed.title == fixture.title
        assert not sniff.is_synthetic(notice_pdf(fixture))
        assert [(r.filing_number, r.algorithm_name, r.role, r.entity_name, r.products, r.cancelled_text)
                for r in parsed.rows] == [(r["filing_number"], r["algorithm_name"], r["role_or_category"], r["entity"],
                                           r["product"], r["cancel_month"]) for r in rows]
    listing = json.loads(site.respond("beian.cac.gov.cn", "/api/notice/list?pageNum=1&pageSize=20", {}).body)
    assert {(i["noticeId"], i["publishTime"][:10]) for i in listing["data"]["list"]} == {
        (k, v[0]["notice_date"]) for k, v in notices.items()}


def test_synthetic_cancellation_notices_say_so(tmp_path: Path) -> None:
    site = build_site(tmp_path)  # no shared data: lists and notices are invented
    assert site.cancellation_notices and all(n.synthetic for n in site.cancellation_notices)
    assert sniff.is_synthetic(notice_pdf(site.cancellation_notices[0]))


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
    BUILT["home"] = home
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
    assert {"Huawei Cloud Computing Technologies Co., Ltd.", "Huawei Software Technologies Co., Ltd."} <= {
        n for (n,) in names}


@pytest.mark.dbt
def test_genai_approvals_are_the_real_rows(warehouse, real_csv) -> None:
    con, _ = warehouse
    rows = {r["number"]: (kind, r) for t in real_csv.values() for kind, rs in t.items() for r in rs}
    events = con.execute("select filing_number, event_date, date_basis, entity_name from fct_timeline_events"
                         " where event_type = 'approval_announced'").fetchall()
    assert {n for n, *_ in events} == set(rows) and len(events) == len(rows) == 1842
    assert "Jiangsu-SiWeiXiangLiangZhiSuanYun-" in {n for n, *_ in events}  # the truncated number, as printed
    assert not [e for e in events if "示例" in (e[3] or "")]
    assert con.execute("select count(*) from fct_timeline_events where entity_name like '%示例%'").fetchone() == (0,)
    dated = {n: (d, b) for n, d, b, _ in events}
    assert all(dated[n] == (date.fromisoformat(r["date"]), "filed") for n, (_, r) in rows.items())
    kinds = dict(con.execute("select approval_kind, count(*) from fct_genai_approvals group by all").fetchall())
    assert kinds == {kind: sum(1 for k, _ in rows.values() if k == kind)
                     for kind in ("filing", "registration", "ondevice")}
    ondevice = con.execute("select scenario, genai_number, approved_date from fct_genai_approvals"
                           " where approval_kind = 'ondevice' order by seq").fetchall()
    assert ondevice == [(r["scenario_适用场景"], r["number"], date.fromisoformat(r["date"]))
                        for r in real_csv["2026年8月"]["ondevice"]]
    late = con.execute("select genai_number, filed_text, approved_date, quirks from fct_genai_approvals"
                       " where is_late_registration").fetchall()
    assert {n for n, *_ in late} == {n for n, (_, r) in rows.items() if "补登" in r.get("date_raw", "")}
    assert all(text == rows[n][1]["date_raw"] and day == date.fromisoformat(rows[n][1]["date"])
               and "late_registration" in quirks for n, text, day, quirks in late)
    # printed with model and organisation swapped: shown corrected, the printed cells kept, the quirk flagged
    swapped = con.execute("select model_name_raw, entity_name_raw, model_name, entity_name, is_corrected"
                          " from fct_genai_approvals where list_contains(quirks, 'name_entity_swapped') order by seq"
                          ).fetchall()
    printed = [(r["name"], r["entity"]) for r in real_csv["2025年3月"]["filing"] if "swapped" in r["flags"]]
    assert swapped == [(name, entity, entity, name, True) for name, entity in printed] and len(printed) == 6
    assert con.execute("select count(*) from fct_genai_approvals where is_corrected").fetchone() == (len(printed),)
    organisations = {n for (n,) in con.execute("select entity_name_zh from dim_entities").fetchall()}
    assert not organisations & {entity for _, entity in printed}, "a model name became an organisation"
    assert {name for name, _ in printed} <= organisations, "the companies of the swapped rows are organisations"
    # the approval (备案时间) and its announcement (the first list showing it), never before it
    announced = con.execute("select e.filing_number, e.event_date, e.announced_date, a.announced_date, l.published_at"
                            " from fct_timeline_events e join fct_genai_approvals a on a.genai_number = e.filing_number"
                            " join intermediate.int_genai_lists l on l.list_id = a.list_id"
                            " where e.event_type = 'approval_announced'").fetchall()
    assert len(announced) == len(rows)
    assert all(day <= told == again == listed for _, day, told, again, listed in announced)
    for mart in ("fct_genai_approvals", "fct_timeline_events", "fct_filings"):  # real data: nothing invented
        assert con.execute(f"select count(*) from {mart} where is_synthetic").fetchone() == (0,), mart


@pytest.mark.dbt
@pytest.mark.parametrize("year", ["2024年", "2025年"])
def test_yearly_summary_is_fetched_parsed_and_adds_no_approval(warehouse, real_csv, year: str) -> None:
    con, _ = warehouse
    ((notice, entry),) = [(n, a) for n in GENAI_CONFIG["notices"] if n["kind"] == "summary"
                          for a in n["attachments"] if a["period"] == year]
    list_id = f"genai_service:{entry['period']}"
    fetched = dict(con.execute("select purpose, max(status) from staging.stg_regtrail__fetch_events"
                               " where url = ? or referer = ? group by all", [notice["url"], notice["url"]]).fetchall())
    assert fetched == {"notice": 200, "attachment": 200}
    parts = [real_csv[period] for period in entry["summary_of"]]
    expected = {kind: [_printed(r, kind) for part in parts for r in part.get(kind, [])]
                for kind in ("filing", "registration")}
    listed = con.execute("select period, is_summary, filing_count, registration_count, notice_url, published_at"
                         " from staging.stg_cac__genai_lists where list_id = ?", [list_id]).fetchall()
    assert listed == [(str(entry["period"]), True, len(expected["filing"]), len(expected["registration"]),
                       notice["url"], date.fromisoformat(str(entry["published"])))]
    for kind, rows in expected.items():
        parsed = con.execute("select seq, region, model_name, entity_name, genai_number, filed_text"
                             " from staging.stg_cac__genai_filings where list_id = ? and genai_kind = ? and is_summary"
                             " order by table_index, row_index", [list_id, kind]).fetchall()
        assert [list(r) for r in parsed] == rows, kind  # the union of the year's periods, row by row
    numbers = [row[4] for rows in expected.values() for row in rows]
    first = {r["number"]: f"genai_service:{period}" for period, part in zip(entry["summary_of"], parts, strict=True)
             for rows in part.values() for r in rows}
    approvals = con.execute("select genai_number, list_id, lists_count from fct_genai_approvals"
                            " where genai_number in (select unnest(?))", [numbers]).fetchall()
    assert {n: (lst, c) for n, lst, c in approvals} == {n: (first[n], 2) for n in numbers}
    assert len(approvals) == len(numbers)  # one approval each: the period that listed it, not the summary
    events = con.execute("select filing_number, count(*), min(list_id) from fct_timeline_events"
                         " where event_type = 'approval_announced' and filing_number in (select unnest(?))"
                         " group by all", [numbers]).fetchall()
    assert {n: (c, lst) for n, c, lst in events} == {n: (1, first[n]) for n in numbers}


@pytest.mark.dbt
def test_cancellation_notices_cancel_exactly_the_real_filings(warehouse, shared: Path, real_cancellations) -> None:
    con, _ = warehouse
    by_number = {r["filing_number"]: date.fromisoformat(r["notice_date"]) for r in real_cancellations}
    events = con.execute("select filing_number, event_date, date_basis from fct_timeline_events"
                         " where event_type = 'filing_cancelled'").fetchall()
    assert {n: d for n, d, _ in events} == by_number and len(events) == 57
    assert {b for *_, b in events} == {"published"}
    cancelled = dict(con.execute("select filing_number, cancelled_date from fct_filings"
                                 " where cancellation_basis = 'notice'").fetchall())
    assert cancelled == by_number
    listed: set[str] = set()
    for path in (shared / "csv").glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as handle:
            listed |= {r["备案编号"] for r in csv.DictReader(handle)}
    only_notice = {r["filing_number"]: r for r in real_cancellations if r["filing_number"] not in listed}
    known = con.execute("select filing_number, algorithm_name, coalesce(role, algorithm_category), entity_name,"
                        " products, lists_count, first_list_id, status from fct_filings"
                        " where known_from = 'cancellation_notice'").fetchall()
    assert {k[0]: k[1:] for k in known} == {
        n: (r["algorithm_name"], r["role_or_category"], r["entity"], r["product"], 0, None, "cancelled")
        for n, r in only_notice.items()}
    in_lists = sorted(set(by_number) - set(only_notice))  # all 57 once ../shared holds every list
    assert con.execute("select count(*) from fct_filings where known_from = 'list' and filing_number in"
                       " (select unnest(?))", [in_lists]).fetchone() == (len(in_lists),)


@pytest.mark.dbt
def test_genai_lists_reconcile_with_the_official_totals(warehouse, real_csv) -> None:
    con, _ = warehouse
    rows = {r["period"]: r for r in records(con, "select * from fct_genai_reconciliation order by published_at")}
    assert list(rows) == list(real_csv)  # every list, oldest first
    for period, tables in real_csv.items():
        assert rows[period]["rows_reconciled"], period
        assert (rows[period]["filing_rows"], rows[period]["registration_rows"], rows[period]["ondevice_rows"]) == (
            len(tables.get("filing", [])), len(tables.get("registration", [])), len(tables.get("ondevice", [])))
    totals = {t["period"]: t for t in GENAI_CONFIG["official_totals"]}
    assert {p for p, r in rows.items() if r["status"] != "rows_only"} == set(totals)
    december = rows["2025年12月"]
    assert (december["cumulative_filed"], december["cumulative_registered"]) == (748, 434)
    assert (december["official_filed"], december["official_registered"]) == (748, 435)
    assert (december["registered_difference"], december["accepted_registered_difference"]) == (-1, -1)
    assert december["status"] == "accepted_difference" and "263" in december["accepted_explanation"]
    assert {p: r["status"] for p, r in rows.items() if p in totals} == {
        "2025年1月": "reconciled", "2025年3月": "reconciled", "2025年8月": "accepted_difference",
        "2025年12月": "accepted_difference", "2026年4月": "accepted_difference", "2026年8月": "accepted_difference"}
    assert {p: r["registration_seq_skipped"] for p, r in rows.items() if r["registration_seq_skipped"]} == {
        "2025年10月": 1}
    august = rows["2026年8月"]  # 1,112 filed = 1,105 models + 7 on-device services; 731 registered = 730 + 序号 263
    ondevice = len(real_csv["2026年8月"]["ondevice"])
    assert (august["cumulative_filed"], august["cumulative_ondevice"], august["cumulative_registered"]) == (
        sum(len(t.get("filing", [])) for t in real_csv.values()), ondevice,
        sum(len(t.get("registration", [])) for t in real_csv.values()))
    assert (august["official_filed"], august["official_registered"]) == (
        totals["2026年8月"]["filed"], totals["2026年8月"]["registered"])
    assert (august["filed_difference"], august["registered_difference"]) == (0, -1)
    assert f"{ondevice} on-device" in august["explanation"] and "263" in august["explanation"]


@pytest.mark.dbt
def test_an_unexplained_difference_fails_the_build(warehouse, tmp_path: Path) -> None:
    """The 2025年12月 list restated with an official total its rows do not reach: the build fails."""
    con, _ = warehouse
    home = tmp_path / "home"
    shutil.copytree(BUILT["home"] / "events", home / "events")
    (row,) = records(con, "select * from staging.stg_regtrail__record_events where record_type = 'genai_list'"
                          " and record_key = 'genai_service:2025年12月'")
    payload = json.loads(row["payload"])
    payload["official_total"]["registered"] = 436
    restated = RecordEvent(source=row["source"], record_type="genai_list", record_key=row["record_key"],
                           payload=payload, document_url=row["document_url"], document_digest=row["document_digest"],
                           observed_at=row["observed_at"] + timedelta(days=1), parser=row["parser"],
                           parser_version=row["parser_version"], published_at=row["published_at"],
                           published_precision=row["published_precision"], run_key="restated")
    write_segment(home, "records", row["source"], [restated.row()])
    # The reconciliation test, the models it reads and their tests: the build of them fails on it alone.
    result = run_dbt_build(home, tmp_path, "--select", "+assert_genai_lists_reconcile")
    assert result.returncode != 0
    assert node_statuses(tmp_path)["assert_genai_lists_reconcile"] == "fail"


@pytest.mark.dbt
def test_a_replay_with_a_newer_parser_counts_each_genai_row_once(warehouse, tmp_path: Path) -> None:
    """The 2025年12月 list's records again under parser version 99, observed when the document was fetched (what
    a replay after a parser change appends): the reconciliation counts the current version's rows only, so
    every figure stays as it was."""
    con, _ = warehouse
    before = records(con, "select * from fct_genai_reconciliation where period = '2025年12月'")
    home = tmp_path / "home"
    shutil.copytree(BUILT["home"] / "events", home / "events")
    (document,) = con.execute("select document_digest from staging.stg_cac__genai_lists"
                              " where list_id = 'genai_service:2025年12月'").fetchone()
    replayed = [RecordEvent(source=r["source"], record_type=r["record_type"], record_key=r["record_key"],
                            payload=json.loads(r["payload"]), document_url=r["document_url"],
                            document_digest=r["document_digest"], observed_at=r["observed_at"],
                            parser=r["parser"], parser_version="99", published_at=r["published_at"],
                            published_precision=r["published_precision"], run_key="replay").row()
                for r in records(con, "select * from staging.stg_regtrail__record_events where document_digest = ?",
                                 [document])]
    (row,) = before
    assert len(replayed) == 1 + row["filing_rows"] + row["registration_rows"] + row["ondevice_rows"]  # list + rows
    write_segment(home, "records", replayed[0]["source"], replayed)
    # The reconciliation and the models it reads, without data tests (the replay changes what they count).
    result = run_dbt_build(home, tmp_path, "--select", "+fct_genai_reconciliation",
                           "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True) as rebuilt:
        after = records(rebuilt, "select * from fct_genai_reconciliation where period = '2025年12月'")
    assert after == before


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
    assert "Huawei" in {e["group_name"] for e in entities}
    for entity in entities:  # the group's companies, and companies outside the seed named 华为… (translated Huawei …)
        assert entity["group_name"] == "Huawei" or (
            "华为" in entity["entity_name_zh"] and entity["name_en_source"] == "translated"), entity
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
def test_parse_cli_prints_a_genai_list(genai_rows, real_csv, tmp_path: Path, pdf: bool) -> None:
    period = "2025年1月"  # a list whose rows the mirror's PDF font carries exactly (see PDF_PERIODS)
    saved = tmp_path / ("list.pdf" if pdf else "list.docx")
    saved.write_bytes(genai_fixtures.build_attachment(period, "附件3", genai_rows[period], pdf=pdf))
    head, *rows = _parse_cli(saved)
    assert head["record_type"] == "genai_list" and head["period"] == period
    assert head["file_type"] == ("pdf" if pdf else "docx")
    expected = {kind: [_printed(r, kind) for r in real_csv[period][kind]] for kind in ("filing", "registration")}
    assert (head["filing_count"], head["registration_count"]) == (
        len(expected["filing"]), len(expected["registration"]))
    kinds = {"genai_filing": "filing", "genai_registration": "registration"}
    for kind in kinds.values():
        assert [[r["seq"], r["region"], r["model_name"], r["entity_name"], r["number"], r["filed_text"]]
                for r in rows if kinds[r["record_type"]] == kind] == expected[kind]


def test_parse_cli_prints_a_cancellation_notice(shared: Path, tmp_path: Path) -> None:
    fixture = build_site(shared.parent).cancellation_notices[0]
    saved = tmp_path / "notice.pdf"
    saved.write_bytes(notice_pdf(fixture))
    head, *rows = _parse_cli(saved)
    assert head["record_type"] == "cancellation_notice" and head["document_title"] == fixture.title
    assert head["row_count"] == len(fixture.rows) == len(rows)
    assert {r["record_type"] for r in rows} == {"filing_cancellation"}
    assert [(r["filing_number"], r["entity_name"]) for r in rows] == [
        (c.filing_number, c.entity_name) for c in fixture.rows]


@pytest.mark.dbt
def test_the_wire_story_links_to_the_list_it_reports(warehouse) -> None:
    """"a second list of deep synthesis algorithms … 110 services" on 2023-09-01: the second deep-synthesis
    list (2023-09-01, 110 filings), for each group it names; the list's row counts the article."""
    con, _ = warehouse
    news = con.execute("select entity_group, list_id, list_type from fct_timeline_events"
                       " where event_type = 'news_reported' and source_url = ? order by 1", [WIRE_URL]).fetchall()
    assert {"Alibaba", "Huawei"} <= {group for group, _, _ in news}  # and Baidu, Tencent: it names them too
    assert {(list_id, list_type) for _, list_id, list_type in news} == {("deep_synthesis:2023年8月", "deep_synthesis")}
    assert con.execute("select published_at, expected_count from fct_list_batches where list_id = ?",
                       ["deep_synthesis:2023年8月"]).fetchone() == (date(2023, 9, 1), 110)
    link = con.execute("select evidence from intermediate.int_news_list_links where article_url = ?",
                       [WIRE_URL]).fetchall()
    assert link == [("ordinal and count",)]
    from regtrail.analyst import queries

    coverage = {b["list_id"]: b["news"] for b in queries.batches(con)}
    assert coverage["deep_synthesis:2023年8月"] == 1
    assert sum(coverage.values()) == 1  # only the ingested article is in this log


@pytest.mark.dbt
@pytest.mark.parametrize("query", ["Huawei", "华为", "Alibaba", "阿里巴巴"])
def test_report_search_and_cli_agree(warehouse, query: str) -> None:
    """The report's search (its rows, filtered as the page's script does) finds the events the CLI's
    timeline finds, news included; one count of entities in the header and the search line."""
    import json as json_module

    from bs4 import BeautifulSoup

    from regtrail.analyst import queries, report

    con, _ = warehouse
    page = BeautifulSoup(report.render(con), "html.parser")
    rows = json_module.loads(page.find(id="timeline-data").string)
    groups = dict(con.execute("select lower(group_name), group_name_zh from dim_entities where group_name is not null "
                              "union select group_name_zh, group_name_zh from dim_entities "
                              "where group_name_zh is not null").fetchall())
    group = groups.get(query.lower())  # the page's script: a group name finds the group, else a substring
    hits = [r for r in rows if r[8] == group or group in (r[2] or "")] if group else [
        r for r in rows if query.lower() in r[-1]]
    _, events = queries.timeline(con, query)
    assert any(e["event_type"] == "news_reported" for e in events)
    key = lambda r: (r[0], r[1], r[3], r[5])  # noqa: E731 - date, type, filing number, list
    assert sorted(key(r) for r in hits) == sorted(
        (str(e["event_date"]), e["event_type"], e["filing_number"] or "", e["list_id"] or "") for e in events)
    header = int(page.find(string="entities").parent.find("b").text)
    assert header == len({r[2] for r in rows if r[2]}) == con.execute("select count(*) from dim_entities").fetchone()[0]


def test_official_totals_are_those_of_the_shared_readme(shared: Path) -> None:
    """Every official total of the source config is stated in ../shared/cac_data/genai/README.md (its table's
    last column, e.g. `2026-08-31: 1,112 filed, 731 registered`), and every one stated there is configured."""
    import re

    stated: dict[str, dict[str, int]] = {}
    for line in (shared / "genai" / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        month = re.match(r"(\d{4}-\d{2})\b", cells[0]) if len(cells) >= 6 else None
        for count, kind in re.findall(r"([\d,]+) (filed|registered)", cells[5] if month else ""):
            stated.setdefault(_period(month[1]), {})[kind] = int(count.replace(",", ""))
    configured = {t["period"]: {k: t[k] for k in ("filed", "registered") if k in t}
                  for t in GENAI_CONFIG["official_totals"]}
    assert stated and configured == stated
