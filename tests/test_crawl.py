"""Crawling the mirror without Airflow: discovery, every batch, the parse CLI, replay without network."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from regtrail import settings
from regtrail.crawl import runner
from regtrail.crawl.sources import get_sources
from regtrail.log import events
from regtrail.mirror.server import start_mirror
from regtrail.mirror.site import build_site
from regtrail.parsers import docx_list
from tests.support.warehouse import lineage, run_dbt_build

EXTRA = {
    "url": "https://www.cac.gov.cn/2026-09/15/c_1789000000000001.htm",
    "title": "国家互联网信息办公室关于发布第十九批深度合成服务算法备案信息的公告",
    "published": "2026-09-15",
    "batch_label": "2026年9月",
    "batch_number": 19,
    "expected_count": 12,
}


def _configured_lists() -> dict[str, int | None]:
    """Every list the source configs know, with what the regulator says it published."""
    known = {}
    for source in get_sources():
        for entry in [*source.config.notices, *source.config.lists]:
            if entry.batch_label:
                known[f"{source.config.list_type}:{entry.batch_label}"] = entry.expected_count
    return known


@pytest.mark.dbt
def test_fuller_mirror_every_batch_is_crawled_discovered_and_reconciled(home: Path, tmp_path: Path, monkeypatch,
                                                                       shared: Path) -> None:
    site = build_site(shared.parent, synthetic="fill", extra_deep_synthesis=[EXTRA])
    with start_mirror(site) as mirror:
        monkeypatch.setenv("REGTRAIL_MIRROR", mirror.origin)
        stats = runner.crawl(run_key="fuller")
    assert stats["cac_deep_synthesis"]["discovered_notices"] == 1
    assert sum(s["fetch_failures"] for s in stats.values()) == 0

    result = run_dbt_build(home, tmp_path, *lineage("fct_list_batches"))  # the lineage of the mart read here
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True) as con:
        batches = {lid: (parsed, expected, ok) for lid, parsed, expected, ok in con.execute(
            "select list_id, parsed_rows, expected_count, reconciled from fct_list_batches").fetchall()}
    configured = _configured_lists()
    assert set(batches) == set(configured) | {"deep_synthesis:2026年9月"}
    assert all(ok for _, _, ok in batches.values())
    for list_id, expected in configured.items():
        if expected is not None:
            assert batches[list_id][:2] == (expected, expected), list_id
    assert batches["deep_synthesis:2026年9月"][0] == EXTRA["expected_count"]


def _parse_cli(*args: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "regtrail", "parse", *args], capture_output=True, text=True,
                         cwd=settings.REPO_ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


CONTRACT_FIELDS = {"seq", "algorithm_name", "entity_name", "products", "purpose", "filing_number", "remark",
                   "list_type", "batch_label"}


@pytest.mark.parametrize("name", ["deep_synthesis_2024-04", "algo_recommendation_2022-10"])
def test_parse_cli_prints_every_row_with_contract_fields(shared: Path, name: str) -> None:
    printed = _parse_cli(str(shared / "original_docx" / f"{name}.docx"))
    assert printed[0]["record_type"] == "list_publication" and printed[0]["row_count"] == len(printed) - 1
    records = [r for r in printed if r["record_type"] == "filing"]
    with open(shared / "csv" / f"{name}.csv", encoding="utf-8") as handle:
        expected = list(csv.DictReader(handle))
    assert len(records) == len(expected)
    third = "role" if name.startswith("deep") else "algorithm_category"
    for record, row in zip(records, expected, strict=True):
        assert CONTRACT_FIELDS | {third} <= set(record)
        assert (record["filing_number"], record["entity_name"], record[third], record["remark"]) == (
            row["备案编号"], row["主体名称"], row[third == "role" and "角色" or "算法类别"], row["备注"])
        assert record["seq"] == (row["序号"] or str(record["row_index"]))
        assert record["batch_label"] == row["batch_label"]


def test_parse_cli_on_a_notice_page_and_bad_input(tmp_path: Path, shared: Path) -> None:
    with start_mirror(build_site(shared.parent)) as mirror:
        url = "https://www.cac.gov.cn/2023-09/01/c_1695224377544009.htm"
        import requests

        page = requests.get(f"{mirror.origin}/www.cac.gov.cn/2023-09/01/c_1695224377544009.htm", timeout=10)
    saved = tmp_path / "notice.htm"
    saved.write_bytes(page.content)
    (notice,) = _parse_cli(str(saved), "--url", url)
    assert notice["title"].endswith("第二批深度合成服务算法备案信息的公告")
    assert notice["pubtime"].startswith("2023-09-01")
    (attachment,) = notice["attachments"]
    assert attachment["url"].startswith("https://www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?")
    assert attachment["file_name"] == "境内深度合成服务算法备案清单（2023年8月）.docx"

    bad = tmp_path / "challenge.bin"
    bad.write_bytes(b"%PDF-1.7 not a list")
    out = subprocess.run([sys.executable, "-m", "regtrail", "parse", str(bad)], capture_output=True, text=True,
                         cwd=settings.REPO_ROOT, timeout=60)
    assert out.returncode == 1 and "pdf" in out.stderr.lower() and out.stdout == ""


def test_replay_reparses_the_archive_without_network(home: Path, monkeypatch, shared: Path) -> None:
    with start_mirror(build_site(shared.parent)) as mirror:
        monkeypatch.setenv("REGTRAIL_MIRROR", mirror.origin)
        runner.crawl(["cac_deep_synthesis"], run_key="first")
    filings = events.read_events(home, "records").to_pylist()
    docx_records = [r for r in filings if r["parser"] == docx_list.PARSER_NAME]
    assert docx_records
    fetch_before = events.read_events(home, "fetch").num_rows

    monkeypatch.setenv("REGTRAIL_MIRROR", "http://127.0.0.1:9")  # nothing listens: any request would fail
    assert runner.replay(["cac_deep_synthesis"])["cac_deep_synthesis"]["new_record_events"] == 0

    monkeypatch.setattr(docx_list, "PARSER_VERSION", str(int(docx_list.PARSER_VERSION) + 1))
    stats = runner.replay(["cac_deep_synthesis"])["cac_deep_synthesis"]
    assert stats["new_record_events"] == 0, "identical output under a new parser version adds nothing"
    assert stats["records_unchanged"] == len(docx_records)
    assert stats["requests"] == 0 and events.read_events(home, "fetch").num_rows == fetch_before

NOTICE_HTML = """<html><body><div class="main-title"><h1 class="title">关于发布测试备案信息的公告</h1></div>
<span id="pubtime">2025年03月12日 17:00</span><div class="main-content"><div id="BodyLabel">
<p>附件</p><p><a href="/cms/pub/interact/downloadfile.jsp?filepath=/u/1&amp;fText=%E6%B8%85%E5%8D%95.pdf">清单</a></p>
<p><a href="/cms/pub/interact/downloadfile.jsp?filepath=/u/2&amp;fText=broken.docx">broken</a></p>
</div></div></body></html>"""


def test_unparseable_attachments_are_archived_and_recorded(home: Path, http_server, monkeypatch) -> None:
    from regtrail.crawl import cac
    from regtrail.crawl.context import Context, LiveTransport
    from regtrail.crawl.sources import Source, SourceConfig
    from regtrail.fetch.fetcher import Fetcher
    from regtrail.log import archive

    pdf = b"%PDF-1.7\n% a list published as PDF\n"
    broken = b"PK\x03\x04word/document.xml truncated"
    origin = http_server({
        "/www.cac.gov.cn/n.htm": lambda _: (200, {"Content-Type": "text/html; charset=utf-8"}, NOTICE_HTML.encode()),
        "/www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=/u/1&fText=%E6%B8%85%E5%8D%95.pdf":
            lambda _: (200, {}, pdf),
        "/www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=/u/2&fText=broken.docx":
            lambda _: (200, {}, broken),
    })
    config = SourceConfig(name="cac_deep_synthesis", title="DS", module="scrapers.cac_deep_synthesis.crawl",
                          list_type="deep_synthesis")
    source = Source(config.name, config)
    ctx = Context(source, "t", home, LiveTransport(Fetcher(mirror=origin)))
    page = ctx.fetch("https://www.cac.gov.cn/n.htm", purpose="notice")
    assert page is not None
    cac.handle_notice(ctx, page)
    ctx.flush()
    records = events.read_events(home, "records").to_pylist()
    failures = {json.loads(r["payload"])["detected_type"]: r for r in records if r["record_type"] == "parse_failure"}
    assert set(failures) == {"pdf"}
    assert "not DOCX" in json.loads(failures["pdf"]["payload"])["error"]
    fetched = {r["payload_digest"]: r for r in events.read_events(home, "fetch").to_pylist()}
    assert archive.load(home, fetched[failures["pdf"]["document_digest"]]["archive_path"])[0] == pdf
    bad = [r for r in events.read_events(home, "fetch").to_pylist() if r["url"].endswith("fText=broken.docx")]
    assert [(r["ok"], r["error_kind"]) for r in bad] == [(False, "corrupt_zip")]
    assert archive.load(home, bad[0]["archive_path"])[0] == broken
    assert [r["record_type"] for r in records].count("notice") == 1
