"""Hostile text, page size and provenance (issue 24, cases 1, 3 and 6): what a parser emits passes the text boundary
of the record contract, page parsing is linear, and a page never decides its own provenance.

Expectations come from the real lists in ../shared at run time (a real filing number, real rows); the hostile
variants are made from them here. Pages are served by a loopback server standing in for the mirror.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import sys
import threading
import time
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from regtrail.crawl import dryrun, runner
from regtrail.log import records, text
from regtrail.mirror import hostile_pages
from regtrail.mirror.synthetic_docx import build_list_docx
from regtrail.parsers import cac_pages, news_article
from tests.support.events import write_sample_log
from tests.support.warehouse import run_dbt_build

# Every character the boundary must remove: C0 but tab and newline, DEL, C1, and what XML 1.0 refuses.
FORBIDDEN = {chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0xFFFE, 0xFFFF]}
HOSTILE = {
    "vertical tab": "a\x0bb",
    "unit separator": "a\x1fb",
    "DEL": "a\x7fb",
    "CSI colour": "a\x1b[31;1mb\x1b[0m",
    "OSC title (BEL)": "a\x1b]0;owned\x07b",
    "OSC 8 hyperlink (ST)": "a\x1b]8;;https://evil.example/\x1b\\b\x1b]8;;\x1b\\",
    "clear screen": "a\x1b[2J\x1b[Hb",
    "C1 CSI": "a\x9b31mb",
    "C1 NEL and OSC": "a\x85\x9d0;x\x9cb",
    "lone surrogate": "a\ud800b",
    "NUL and backspace": "a\x00\x08b",
}


def _real_rows(shared: Path, count: int = 6) -> list[dict[str, str]]:
    """The first rows of the first real deep-synthesis list, as the reference CSV gives them."""
    path = sorted((shared / "csv").glob("deep_synthesis_*.csv"))[0]
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))[:count]


def _strings(value: object) -> list[str]:
    """Every string in a payload: values and keys, at any depth."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _filing(**overrides: object) -> records.Filing:
    fields = dict(row_index=1, seq="1", seq_auto=False, algorithm_name="算法", entity_name="某公司",
                  products="产品", purpose="用途", filing_number="网信算备110000000000000240001号", remark="",
                  list_type="deep_synthesis", batch_label="2024年1月", list_id="deep_synthesis:2024年1月")
    return records.Filing(**{**fields, **overrides})


def _variants(number: str) -> dict[str, str]:
    """A filing number as drifting Word exports type it."""
    digits = str.maketrans("0123456789", "０１２３４５６７８９")
    middle = len(number) // 2
    return {
        "full-width digits": number.translate(digits),
        "NBSP": number[:middle] + "\u00a0" + number[middle:],
        "zero-width space": number[:middle] + "\u200b" + number[middle:],
        "ideographic space and BOM": "\ufeff" + number[:4] + "\u3000" + number[4:],
        "soft hyphen and joiner": number[:6] + "\u00ad" + number[6:9] + "\u200d" + number[9:],
        "trailing tab and newline": number + "\t\n",
    }


# ---------------------------------------------------------------------------------------------- the boundary


@pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
def test_control_characters_and_escape_sequences_never_reach_a_record(value: str) -> None:
    filing = _filing(algorithm_name=value, remark=value, extra={value: value})
    stored = "".join(_strings(filing.payload()))
    assert not FORBIDDEN & set(stored) and not any(0xD800 <= ord(c) <= 0xDFFF for c in stored)
    assert filing.algorithm_name.startswith("a") and filing.algorithm_name.endswith("b")
    assert "owned" not in filing.algorithm_name and "evil.example" not in filing.algorithm_name  # whole sequences go
    assert filing.extra == {filing.algorithm_name: filing.algorithm_name}


def test_an_unterminated_escape_string_loses_its_introducer_not_the_text_after_it() -> None:
    assert _filing(remark="变更\x1b]0;内容：新增产品").remark == "变更0;内容：新增产品"


def test_tab_and_newline_stay_line_ends_are_one_newline_and_text_is_nfc() -> None:
    filing = _filing(remark="变更\t内容\r\n第二行\r第三行", entity_name="Cafe\u0301 Ltd")
    assert filing.remark == "变更\t内容\n第二行\n第三行"
    assert filing.entity_name == "Café Ltd" and len(filing.entity_name) == 8


def test_filing_numbers_typed_differently_are_one_identity_and_keep_their_printed_form(shared: Path) -> None:
    number = _real_rows(shared)[0]["备案编号"]
    for name, typed in _variants(number).items():
        filing = _filing(filing_number=typed)
        assert filing.filing_number == number, name
        assert filing.filing_number_raw == text.clean(typed), name
        again = records.record("filing", filing.payload())
        assert again.payload() == filing.payload(), name  # a stored payload reads back unchanged
        cancellation = records.FilingCancellation(row_index=1, seq=None, algorithm_name=None, role=None,
                                                  entity_name=None, products=None, filing_number=typed,
                                                  cancelled_text=None, notice_id="1", notice_title="公告")
        assert cancellation.filing_number == number, name
        assert cancellation.filing_number_raw == text.clean(typed), name
    assert "filing_number_raw" not in _filing(filing_number=number).payload()


def test_every_format_and_space_character_leaves_an_identifier() -> None:
    """The identity form drops every character Unicode (this Python's unicodedata) calls a format character or
    a space, whatever NFKC makes of it."""
    dropped = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in {"Cf", "Zs", "Zl", "Zp"}]
    assert len(dropped) > 150
    assert [ch for ch in dropped if text.identifier(f"网信算备1{ch}2号") != "网信算备12号"] == []


def test_genai_numbers_are_identifiers_too() -> None:
    number = "Beijing-WenXinYiYan-20230821"
    typed = "Ｂｅｉｊｉｎｇ-WenXinYiYan-\u200b2023\u00a00821"
    row = records.GenaiRegistration(kind="registration", table_index=1, row_index=1, seq="1", region="北京",
                                    model_name="文心一言", entity_name="北京百度网讯科技有限公司", number=typed,
                                    filed_text=None, filed_date=None, list_id="genai_service:2023年", list_type="genai",
                                    period="2023年", is_summary=False, notice_url="https://www.cac.gov.cn/x.htm")
    assert row.number == number and row.number_raw == text.clean(typed)


def test_a_million_character_cell_is_capped_and_the_record_says_so() -> None:
    filing = _filing(purpose="长" * 1_000_000, remark="ok")
    assert len(filing.purpose) == text.DEFAULT_CAP and filing.truncated_fields == ["purpose"]
    assert filing.remark == "ok"
    copied = dataclasses.replace(filing, synthetic=True)  # what Context.emit does: the boundary runs again
    assert copied.truncated_fields == ["purpose"] and copied.purpose == filing.purpose
    article = records.NewsArticle(canonical_url=None, headline="h", published_time=None, published_utc=None,
                                  published_date=None, date_source=None, dateline=None, byline=None, outlet=None,
                                  language=None, body="x" * 1_000_000, url="https://www.scmp.com/a",
                                  host="www.scmp.com", feed_url=None, feed_published_utc=None)
    assert len(article.body) == text.BODY_CAP and article.truncated_fields == ["body"]


def test_real_lists_pass_the_boundary_unchanged(shared: Path) -> None:
    """Every record of the 35 real lists keeps its payload shape: no printed form differs, nothing is cut."""
    files = sorted((shared / "original_docx").glob("*.docx"))
    assert files
    for path in files:
        for line in dryrun.parse_file(path):
            assert not [k for k in line if k.endswith("_raw") or k == "truncated_fields"], (path.name, line)


def test_a_drifting_list_parses_into_clean_records_keyed_by_identity(shared: Path, tmp_path: Path) -> None:
    """A list rebuilt from real rows, with hostile cells a Word export can hold (XML 1.0 allows C1 and DEL)."""
    rows = _real_rows(shared)
    header = ["序号", "算法名称", "角色", "主体名称", "应用产品", "主要用途", "备案编号", "备注"]
    cells = [[r[h] for h in header] for r in rows]
    variants = list(_variants(rows[1]["备案编号"]).values())
    cells[1][6] = variants[0]  # full-width digits
    cells[2][6] = rows[2]["备案编号"][:8] + "\u00a0\u200b" + rows[2]["备案编号"][8:]
    cells[3][1] = rows[3]["算法名称"] + "\x85\x9b31m\x7f"
    cells[4][4] = "产" * 1_000_000
    path = tmp_path / "list.docx"
    path.write_bytes(build_list_docx(title="深度合成服务算法备案清单（2023年6月）", attachment_label="附件",
                                     header=header, rows=cells))
    filings = [line for line in dryrun.parse_file(path) if line["record_type"] == "filing"]
    assert [f["filing_number"] for f in filings] == [r["备案编号"] for r in rows]
    assert [f["record_key"] for f in filings] == [r["备案编号"] for r in rows]
    assert filings[1]["filing_number_raw"] == variants[0]
    assert "\u00a0" in filings[2]["filing_number_raw"]
    assert filings[3]["algorithm_name"].startswith(rows[3]["算法名称"])
    assert not FORBIDDEN & set(filings[3]["algorithm_name"])
    assert filings[4]["truncated_fields"] == ["products"] and len(filings[4]["products"]) == text.DEFAULT_CAP
    for good in (0, 5):
        assert {k: filings[good][k] for k in ("algorithm_name", "entity_name", "products", "purpose")} == {
            "algorithm_name": rows[good]["算法名称"], "entity_name": rows[good]["主体名称"],
            "products": rows[good]["应用产品"], "purpose": rows[good]["主要用途"]}
        assert "filing_number_raw" not in filings[good] and "truncated_fields" not in filings[good]


# ---------------------------------------------------------------------------------------------- linear parsing


def test_a_megabyte_of_nested_notice_markup_parses_in_linear_time() -> None:
    html = hostile_pages.nested_notice(1_000_000)
    started = time.perf_counter()
    notice = cac_pages.parse_notice(html, hostile_pages.NOTICE_URL)
    elapsed = time.perf_counter() - started
    assert len(html.encode()) > 900_000
    assert [a.url for a in notice.attachments] == ["https://www.cac.gov.cn" + hostile_pages.ATTACHMENT_HREF]
    assert elapsed < 10, f"{elapsed:.1f} s"  # about 0.6 s measured; the quadratic parser took minutes


def test_a_megabyte_of_nested_article_markup_parses_in_linear_time() -> None:
    html = hostile_pages.nested_article(1_000_000)
    started = time.perf_counter()
    article = news_article.parse_article(html, hostile_pages.ARTICLE_URL)
    elapsed = time.perf_counter() - started
    assert article.published_time == "2024-01-05T10:30:00+00:00" and article.date_source == "visible"
    assert elapsed < 10, f"{elapsed:.1f} s"


def test_label_paragraphs_and_links_are_read_as_before() -> None:
    body = ('<div><p>附件1：</p><div><span>附件2</span></div><p><a href="/a.docx">附件3 三.docx</a></p>'
            '<p>附件 4</p><p><a href="javascript:alert(1)//x.docx">x.docx</a></p><p>附件5 很长的说明文字不是标签啊</p>'
            '<div><a href="/downloadfile?fText=%E5%9B%9B.pdf">四</a></div></div>')
    html = f'<html><body><h1 class="title">t</h1><div id="BodyLabel">{body}</div></body></html>'
    notice = cac_pages.parse_notice(html, "https://www.cac.gov.cn/n.htm")
    assert [(a.label, a.file_name, a.url) for a in notice.attachments] == [
        ("附件3", "三.docx", "https://www.cac.gov.cn/a.docx"),
        ("附件4", "四.pdf", "https://www.cac.gov.cn/downloadfile?fText=%E5%9B%9B.pdf")]


def test_notice_text_follows_the_rules_of_get_text() -> None:
    """Heading precedence, comments splitting strings, script/template/ruby text left out, the innermost label
    paragraph winning over its parent: what BeautifulSoup's get_text-based parser gave for this page."""
    html = ('<html><body><h1>first plain</h1><h1 class="title">classed</h1><div class="main-title">'
            '<h1 class="x title">主<!--c-->标题<script>s</script></h1></div>'
            '<p id="pubtime">2023<b>年</b>9月1日 <span>17:00</span></p><div id="BodyLabel">'
            '<div>附件1<span>附件2</span></div><p><a href="/one.docx">一.docx</a></p>'
            '<p>附<!--x-->件 3</p><template><p>附件9</p></template><p><a href="/three.pdf">三.pdf</a></p>'
            '<p>附件<script>7</script>4</p><p>附件 5 之后还有很多很多文字</p>'
            '<p><a href="/four.docx">四<rt>x</rt>.docx</a></p>'
            '</div></body></html>')
    notice = cac_pages.parse_notice(html, "https://www.cac.gov.cn/n.htm")
    assert (notice.title, str(notice.pubtime)) == ("主标题", "2023-09-01 17:00:00")
    assert [(a.label, a.file_name, a.url) for a in notice.attachments] == [
        ("附件2", "一.docx", "https://www.cac.gov.cn/one.docx"), ("附件3", "三.pdf", "https://www.cac.gov.cn/three.pdf"),
        ("附件4", "四 .docx", "https://www.cac.gov.cn/four.docx")]


# ---------------------------------------------------------------------------------------------- provenance


def test_feed_and_listing_links_are_http_only() -> None:
    feed = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b"<item><title>China AI</title><link>javascript:alert(1)</link></item>"
            b"<item><title>China AI 2</title><link>https://www.scmp.com/ok</link></item></channel></rss>")
    assert [e.url for e in news_article.parse_feed(feed)] == ["https://www.scmp.com/ok"]
    listing = ('<div id="loadingInfoPage"><ul><li><h5><a href="javascript:go()">a</a></h5></li>'
               '<li><h5><a href="data:text/html,x">b</a></h5></li><li><h5><a href="/c.htm">c</a></h5></li></ul></div>')
    assert [i.url for i in cac_pages.parse_listing(listing, "https://www.cac.gov.cn/l.htm")] == [
        "https://www.cac.gov.cn/c.htm"]


@pytest.mark.parametrize(("canonical", "kept"), [
    ("javascript:alert(document.cookie)", None),
    ("data:text/html,<script>x</script>", None),
    ("https://www.cac.gov.cn/2023-09/01/c_1.htm", None),
    ("https://scmp.com.evil.example/a", None),
    ("/tech/article/1", "https://www.scmp.com/tech/article/1"),
    ("https://scmp.com/tech/article/1", "https://scmp.com/tech/article/1"),
])
def test_a_canonical_url_is_kept_only_on_the_fetched_site(canonical: str, kept: str | None) -> None:
    page = hostile_pages.article(canonical=canonical)
    article = news_article.parse_article(page, "https://www.scmp.com/tech/article/1?ref=feed")
    assert article.canonical_url == kept
    assert bool(article.notes) == (kept is None)


PAGES = {
    # path on the loopback server (HOST/PATH): (page, what the page claims)
    "news.evil.example/cac-report": hostile_pages.article(
        headline="CAC names Huawei in new algorithm list", canonical="https://www.cac.gov.cn/2023-09/01/c_1.htm",
        site_name="Cyberspace Administration of China"),
    "www.scmp.com/tech/control-characters": hostile_pages.article(
        headline="Huawei\x0b and\x1f Alibaba\x7f \x1b[31mlisted\x1b[0m \x1b]0;owned\x07again",
        canonical="javascript:alert(1)", site_name="SCMP"),
}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample log, plus the hostile pages ingested through `regtrail ingest`'s code from a loopback server."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            page = PAGES.get(self.path.lstrip("/"))
            body = page.encode("utf-8") if page else b"not found"
            self.send_response(200 if page else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    home = write_sample_log(tmp_path_factory.mktemp("hostile") / "home")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    saved = {k: os.environ.get(k) for k in ("REGTRAIL_HOME", "REGTRAIL_MIRROR")}
    os.environ.update(REGTRAIL_HOME=str(home), REGTRAIL_MIRROR=f"http://127.0.0.1:{server.server_port}")
    try:
        stats = runner.ingest([f"https://{path}" for path in PAGES], root=home)
    finally:
        server.shutdown()
        server.server_close()
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    assert stats["adhoc"]["records:news_article"] == len(PAGES), stats
    return home


def _articles(home: Path) -> dict[str, dict]:
    table = pq.read_table(home / "events" / "records" / "source=adhoc")
    return {row["record_key"]: json.loads(row["payload"]) for row in table.to_pylist()
            if row["record_type"] == "news_article"}


def test_the_publisher_and_url_are_ours_not_the_page_s(ingested: Path) -> None:
    articles = _articles(ingested)
    claimed = articles["https://news.evil.example/cac-report"]
    assert claimed["url"] == "https://news.evil.example/cac-report" and claimed["host"] == "news.evil.example"
    assert claimed["canonical_url"] is None and claimed["outlet"] is None
    assert claimed["site_name"] == "Cyberspace Administration of China"  # kept as a claim, shown nowhere
    assert "www.cac.gov.cn" in claimed["notes"][0]
    scmp = articles["https://www.scmp.com/tech/control-characters"]
    assert scmp["outlet"] == "South China Morning Post" and scmp["site_name"] == "SCMP"
    assert scmp["canonical_url"] is None and "javascript:" in scmp["notes"][0]


def test_a_control_character_headline_is_clean_in_the_log(ingested: Path) -> None:
    headline = _articles(ingested)["https://www.scmp.com/tech/control-characters"]["headline"]
    assert not FORBIDDEN & set(headline) and "owned" not in headline
    assert headline.split() == ["Huawei", "and", "Alibaba", "listed", "again"]


@pytest.mark.dbt
def test_the_timeline_names_the_fetched_url_and_the_configured_outlet(ingested: Path, tmp_path: Path) -> None:
    result = run_dbt_build(ingested, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True) as con:
        rows = con.execute("select source_url, description, title from fct_timeline_events "
                           "where event_type = 'news_reported' and entity_group = 'Huawei'").fetchall()
    by_url = {url: (description, title) for url, description, title in rows}
    assert set(by_url) >= {f"https://{path}" for path in PAGES}
    assert not any("cac.gov.cn" in url or not url.startswith("https://") for url in by_url)
    evil, _ = by_url["https://news.evil.example/cac-report"]
    assert evil.startswith("news.evil.example reported") and "Cyberspace Administration" not in evil
    scmp, title = by_url["https://www.scmp.com/tech/control-characters"]
    assert scmp.startswith("South China Morning Post reported")
    assert not FORBIDDEN & set(scmp + title)
