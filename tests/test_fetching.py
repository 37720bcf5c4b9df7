"""Fetching through the context: mirror mapping, Referer, retries, content guards, fetch events."""

from __future__ import annotations

from pathlib import Path

import pytest

from regtrail.crawl.context import Context, LiveTransport
from regtrail.crawl.sources import Source, SourceConfig
from regtrail.fetch.fetcher import Fetcher, mirror_url
from regtrail.log import archive, events
from tests.support.fault_server import docx_bytes

HTML = {"Content-Type": "text/html; charset=utf-8"}
DOCX_LIKE = docx_bytes()


def test_mirror_url_mapping() -> None:
    url = "https://www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=x&fText=%E6%B8%85.docx"
    assert mirror_url(url, "http://127.0.0.1:9") == (
        "http://127.0.0.1:9/www.cac.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=x&fText=%E6%B8%85.docx"
    )
    assert mirror_url(url, None) == url


def _context(home: Path, origin: str) -> Context:
    fetcher = Fetcher(mirror=origin)
    config = SourceConfig(name="t", title="t", module="scrapers.adhoc.crawl", list_type=None)
    return Context(Source("t", config), "run-1", home, LiveTransport(fetcher, backoff=0.01))


def test_fetch_events_for_success_failure_and_retry(home: Path, http_server) -> None:
    calls = {"flaky": 0}

    def flaky(_):
        calls["flaky"] += 1
        return (503, {"Retry-After": "0"}, b"busy") if calls["flaky"] == 1 else (200, {}, b"<html>ok</html>")

    def download(handler):
        if handler.headers.get("Referer") != "https://h.example/notice.htm":
            return 200, {"Content-Type": "text/html"}, b""
        return 200, {"Content-Type": "application/octet-stream", "ETag": '"e1"'}, DOCX_LIKE

    origin = http_server({
        "/h.example/page.htm": lambda _: (200, HTML, "<html>页</html>".encode()),
        "/h.example/flaky.htm": flaky,
        "/h.example/waf.htm": lambda _: (200, {}, "<html><title>知道创宇云防御</title></html>".encode()),
        "/h.example/file?id=1": download,
    })
    ctx = _context(home, origin)
    page = ctx.fetch("https://h.example/page.htm", purpose="notice")
    assert page is not None and page.text() == "<html>页</html>" and page.url == "https://h.example/page.htm"
    assert ctx.fetch("https://h.example/missing.htm", purpose="notice") is None
    assert ctx.fetch("https://h.example/flaky.htm", purpose="notice") is not None and calls["flaky"] == 2
    assert ctx.fetch("https://h.example/waf.htm", purpose="notice") is None
    assert ctx.fetch("https://h.example/file?id=1", purpose="attachment", expect="document") is None
    doc = ctx.fetch("https://h.example/file?id=1", purpose="attachment", expect="document",
                    referer="https://h.example/notice.htm")
    assert doc is not None and doc.detected_type == "docx"
    ctx.flush()

    rows = events.read_events(home, "fetch", "t").to_pylist()
    kinds = sorted((r["url"].rsplit("/", 1)[1], r["attempt"], r["error_kind"] or "") for r in rows)
    assert kinds == [
        ("file?id=1", 1, ""), ("file?id=1", 1, "empty_body"), ("flaky.htm", 1, "http_status"),
        ("flaky.htm", 2, ""), ("missing.htm", 1, "http_status"), ("page.htm", 1, ""),
        ("robots.txt", 1, ""), ("waf.htm", 1, "waf_challenge"), ("waf.htm", 2, "waf_challenge"),
        ("waf.htm", 3, "waf_challenge"),
    ]
    by_url = {(r["url"], r["ok"]): r for r in rows}
    good = by_url[("https://h.example/file?id=1", True)]
    assert good["referer"] == "https://h.example/notice.htm" and good["etag"] == '"e1"'
    assert archive.load(home, good["archive_path"])[0] == DOCX_LIKE
    waf = by_url[("https://h.example/waf.htm", False)]
    assert waf["archive_path"], "a rejected body is still archived for inspection"


def test_rerun_with_same_run_key_adds_no_fetch_events(home: Path, http_server) -> None:
    origin = http_server({"/h.example/p": lambda _: (200, {}, b"<html>x</html>")})
    for _ in range(2):
        ctx = _context(home, origin)
        ctx.fetch("https://h.example/p", purpose="notice")
        ctx.flush()
    assert events.read_events(home, "fetch", "t").num_rows == 2  # robots.txt and the page


@pytest.mark.parametrize("body,kind", [(b"%PDF-1.7", "pdf"), (b"", "empty"), (b"<!DOCTYPE html><p>", "html")])
def test_detect_type(body: bytes, kind: str) -> None:
    from regtrail.fetch.sniff import detect_type

    assert detect_type(body) == kind
