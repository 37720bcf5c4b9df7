"""Every fetch fault on record: retries, Retry-After, content guards, redirects, robots.txt,
conditional requests, encodings. Each fault comes from a real loopback server (tests/support/fault_server.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from regtrail.crawl.context import Context, LiveTransport
from regtrail.crawl.sources import Source, SourceConfig
from regtrail.fetch.fetcher import Fetcher
from regtrail.fetch.retry import retry_after_seconds
from regtrail.fetch.sniff import decode_html, normalize_for_match
from regtrail.log import events
from tests.support.fault_server import (
    FaultServer,
    busy,
    conditional,
    corrupt_zip,
    docx_bytes,
    html,
    oversize,
    redirect,
    reset,
    respond,
    stall,
    truncated,
    zip_bomb,
)

HOST = "www.cac.gov.cn"
URL = f"https://{HOST}/f.htm"
PATH = f"/{HOST}/f.htm"
PAGE = "<html><body><h1 class='title'>关于发布备案信息的公告</h1></body></html>"
DOCX = docx_bytes()
LIMIT = 200_000


def context(home: Path, origin: str, *, mirror: bool = True, run_key: str = "run-1", allowed: tuple = (HOST,),
            **fetcher: float) -> Context:
    settings = {"mirror_rate": 0.0, "rate_limit": 0.0, "read_timeout": 5.0, "max_body": LIMIT, **fetcher}
    fetch = Fetcher(mirror=origin if mirror else "", **settings)
    source = Source("faults", SourceConfig(name="faults", title="faults", module="scrapers.adhoc.crawl", list_type=None,
                                           allowed_hosts=list(allowed)))
    return Context(source, run_key, home, LiveTransport(fetch, backoff=0.01, max_retry_after=5, max_unzipped=LIMIT))


def attempts(home: Path, url: str) -> list[tuple[int | None, str | None, bool]]:
    rows = [r for r in events.read_events(home, "fetch", "faults").to_pylist() if r["url"] == url]
    return [(r["status"], r["error_kind"], r["ok"]) for r in sorted(rows, key=lambda r: r["attempt"])]


OK = (200, None, True)
FAULTS = {
    "503 then ok": ([busy(503), html(PAGE)], "html", [(503, "http_status", False), OK]),
    "429 then ok": ([busy(429), html(PAGE)], "html", [(429, "http_status", False), OK]),
    "408 then ok": ([busy(408, None), html(PAGE)], "html", [(408, "http_status", False), OK]),
    "reset then ok": ([reset(), html(PAGE)], "html", [(None, "connection", False), OK]),
    "reset every time": ([reset()] * 3, "html", [(None, "connection", False)] * 3),
    "timeout then ok": ([stall(2.0), html(PAGE)], "html", [(None, "timeout", False), OK]),
    "truncated then ok": ([truncated(DOCX), respond(200, DOCX)], "document", [(200, "truncated", False), OK]),
    "Retry-After beyond the run's patience": ([busy(503, "3600")], "html", [(503, "http_status", False)]),
    "404 is not retried": ([respond(404, b"gone")], "html", [(404, "http_status", False)]),
    "WAF page with 200, retried": ([html("<html><title>知道创宇云防御</title>安全验证</html>"), html(PAGE)], "html",
                                   [(200, "waf_challenge", False), OK]),
    "WAF page every time, full-width marker": ([html("<html><p>ｙｕｎａｑ 访问</p></html>")] * 3, "html",
                                               [(200, "waf_challenge", False)] * 3),
    "empty body for a document": ([respond(200, b"", {"Content-Type": "text/html"})], "document",
                                  [(200, "empty_body", False)]),
    "HTML for a document": ([html(PAGE)], "document", [(200, "not_a_document", False)]),
    "oversize, declared": ([oversize(5 * LIMIT, declare=True)], "document", [(200, "too_large", False)]),
    "oversize, streamed": ([oversize(5 * LIMIT, declare=False)], "document", [(200, "too_large", False)]),
    "zip bomb posing as DOCX": ([respond(200, zip_bomb())], "document", [(200, "zip_bomb", False)]),
    "corrupt ZIP posing as DOCX": ([respond(200, corrupt_zip())], "document", [(200, "corrupt_zip", False)]),
    "redirect off the allow-list": ([redirect("https://evil.example/x")], "html",
                                    [(302, "redirect_blocked", False)]),
    "redirect to another scheme": ([redirect("ftp://www.cac.gov.cn/x")], "html", [(302, "redirect_blocked", False)]),
    "redirect on the allow-list": ([redirect(f"https://{HOST}/g.htm")], "html", [OK]),
    "relative redirect on the mirror": ([redirect(f"/{HOST}/g.htm", 301)], "html", [OK]),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_each_fault_is_a_fetch_event_with_its_kind(home: Path, name: str) -> None:
    script, expect, expected = FAULTS[name]
    with FaultServer(routes={f"/{HOST}/g.htm": html(PAGE)}) as server:
        server.script(PATH, *script)
        ctx = context(home, server.origin, read_timeout=0.5)
        document = ctx.fetch(URL, purpose="notice", expect=expect)
        ctx.flush()
    assert attempts(home, URL) == expected
    assert (document is not None) == expected[-1][2]
    if document is not None:
        assert document.url == URL and document.body in {PAGE.encode(), DOCX}
    failures = [r for r in events.read_events(home, "fetch", "faults").to_pylist() if not r["ok"]]
    assert all(r["error"] for r in failures), "every failure says what went wrong"


def test_redirect_loop_is_cut(home: Path) -> None:
    with FaultServer(routes={PATH: redirect(PATH)}) as server:
        ctx = context(home, server.origin)
        assert ctx.fetch(URL, purpose="notice") is None
        ctx.flush()
        assert server.hits(PATH) == 6
    assert attempts(home, URL) == [(302, "redirect_loop", False)]


@pytest.mark.parametrize("location", ["http://127.0.0.1:{port}/secret", "http://localhost:{port}/secret",
                                      "http://[::1]:{port}/secret", "http://10.1.2.3/secret"])
def test_redirect_to_a_private_address_is_refused_outside_mirror_mode(
        home: Path, location: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with FaultServer() as server, FaultServer() as target:
        monkeypatch.setenv("REGTRAIL_ALLOW_PRIVATE_HOSTS", server.origin.removeprefix("http://"))
        port = target.origin.rsplit(":", 1)[1]
        server.script("/start", redirect(location.format(port=port)))
        ctx = context(home, server.origin, mirror=False, allowed=())
        assert ctx.fetch(f"{server.origin}/start", purpose="notice") is None
        ctx.flush()
        assert target.hits("/secret") == 0 and server.hits("/start") == 1
    ((status, kind, ok),) = attempts(home, f"{server.origin}/start")
    assert (status, kind, ok) == (302, "redirect_blocked", False)


def test_retry_after_http_date_is_honoured(home: Path) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    with FaultServer() as server:
        server.script(PATH, busy(429, later), html(PAGE))
        ctx = context(home, server.origin)
        assert ctx.fetch(URL, purpose="notice") is not None
        ctx.flush()
    rows = sorted((r for r in events.read_events(home, "fetch", "faults").to_pylist() if r["url"] == URL),
                  key=lambda r: r["attempt"])
    assert [r["status"] for r in rows] == [429, 200]
    assert (rows[1]["started_at"] - rows[0]["started_at"]).total_seconds() >= 0.9


def test_retry_after_values() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Wed, 31 Dec 2025 23:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


# --------------------------------------------------------------------------- robots.txt, rate limit

def test_robots_disallow_sends_no_request_and_is_fetched_once_per_host(home: Path) -> None:
    rules = "User-agent: *\nDisallow: /private/\nDisallow: /bots-keep-out/\n\nUser-agent: googlebot\nDisallow: /\n"
    routes = {f"/{HOST}/robots.txt": respond(200, rules.encode(), {"Content-Type": "text/plain"}),
              f"/{HOST}/open.htm": html(PAGE)}
    with FaultServer(routes=routes) as server:
        ctx = context(home, server.origin)
        assert ctx.fetch(f"https://{HOST}/private/a.htm", purpose="notice") is None
        assert ctx.fetch(f"https://{HOST}/bots-keep-out/b.htm", purpose="notice") is None
        assert ctx.fetch(f"https://{HOST}/open.htm", purpose="notice") is not None
        ctx.flush()
        assert server.hits(f"/{HOST}/robots.txt") == 1
        assert {p for p, _ in server.requests} == {f"/{HOST}/robots.txt", f"/{HOST}/open.htm"}
    for path in ("private/a.htm", "bots-keep-out/b.htm"):
        assert attempts(home, f"https://{HOST}/{path}") == [(None, "robots_disallowed", False)]
    assert ctx.stats["not_sent"] == 2 and ctx.stats["requests"] == 2


def test_unreachable_robots_txt_blocks_the_host_for_the_run(home: Path) -> None:
    with FaultServer(routes={f"/{HOST}/robots.txt": busy(503), PATH: html(PAGE)}) as server:
        ctx = context(home, server.origin)
        assert ctx.fetch(URL, purpose="notice") is None
        ctx.flush()
        assert server.hits(PATH) == 0 and server.hits(f"/{HOST}/robots.txt") == 3
    assert attempts(home, URL) == [(None, "robots_unreachable", False)]


def test_rate_limit_and_crawl_delay_space_requests_per_host(home: Path) -> None:
    routes = {f"/{HOST}/robots.txt": respond(200, b"User-agent: *\nCrawl-delay: 0.3\n"),
              **{f"/{HOST}/p{i}.htm": html(PAGE) for i in range(3)},
              **{f"/other.example/p{i}.htm": html(PAGE) for i in range(3)}}
    with FaultServer(routes=routes) as server:
        ctx = context(home, server.origin, mirror_rate=10.0, allowed=())
        for i in range(3):
            ctx.fetch(f"https://{HOST}/p{i}.htm", purpose="notice")
            ctx.fetch(f"https://other.example/p{i}.htm", purpose="notice")
        ctx.flush()
    rows = events.read_events(home, "fetch", "faults").to_pylist()
    for host, spacing in ((HOST, 0.3), ("other.example", 0.1)):
        starts = sorted(r["started_at"] for r in rows if f"//{host}/p" in r["url"])
        gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:], strict=False)]
        assert len(gaps) == 2 and min(gaps) >= spacing * 0.9, (host, gaps)


# --------------------------------------------------------------------------- conditional requests

VALIDATED = {
    "etag": dict(etag='"v1"', last_modified=None),
    "last-modified": dict(etag=None, last_modified="Wed, 01 Jan 2025 00:00:00 GMT"),
}


@pytest.mark.parametrize("validators", list(VALIDATED))
def test_not_modified_serves_the_archived_body(home: Path, validators: str) -> None:
    with FaultServer(routes={PATH: conditional(PAGE.encode(), **VALIDATED[validators])}) as server:
        first = context(home, server.origin, run_key="a")
        body = first.fetch(URL, purpose="notice").body
        first.flush()
        archived = sorted(home.glob("archive/**/*.warc.gz"))
        second = context(home, server.origin, run_key="b")
        again = second.fetch(URL, purpose="notice")
        second.flush()
        sent = [h for p, h in server.requests if p == PATH][-1]
    assert again is not None and again.body == body and again.status == 304
    header = "If-None-Match" if validators == "etag" else "If-Modified-Since"
    assert sent.get(header) == (VALIDATED[validators]["etag"] or VALIDATED[validators]["last_modified"])
    assert second.stats["bytes_downloaded"] == len(b"not found")  # robots.txt 404 only
    assert sorted(home.glob("archive/**/*.warc.gz")) == archived, "no new archive copy"
    rows = sorted((r for r in events.read_events(home, "fetch", "faults").to_pylist() if r["url"] == URL),
                  key=lambda r: r["started_at"])
    assert [(r["status"], r["ok"], r["error_kind"]) for r in rows] == [(200, True, None), (304, True, "not_modified")]
    assert rows[0]["payload_digest"] == rows[1]["payload_digest"] == again.digest


def test_same_payload_without_validators_is_marked_unchanged(home: Path) -> None:
    with FaultServer(routes={PATH: html(PAGE)}) as server:
        for run_key in ("a", "b"):
            ctx = context(home, server.origin, run_key=run_key)
            assert ctx.fetch(URL, purpose="notice") is not None
            ctx.flush()
        server.routes[PATH] = html(PAGE + "<p>更新</p>")
        ctx = context(home, server.origin, run_key="c")
        assert b"\xe6\x9b\xb4" in ctx.fetch(URL, purpose="notice").body
        ctx.flush()
    rows = sorted((r for r in events.read_events(home, "fetch", "faults").to_pylist() if r["url"] == URL),
                  key=lambda r: r["started_at"])
    assert [(r["status"], r["ok"], r["error_kind"]) for r in rows] == [
        (200, True, None), (200, True, "unchanged"), (200, True, None)]
    assert rows[0]["payload_digest"] == rows[1]["payload_digest"] != rows[2]["payload_digest"]


# --------------------------------------------------------------------------- encodings

GBK_PAGE = ("<html><head>{meta}<title>国家互联网信息办公室关于发布深度合成服务算法备案信息的公告</title></head>"
            "<body><p>附件：境内深度合成服务算法备案清单（２０２３年８月）</p></body></html>")


@pytest.mark.parametrize("meta,header", [
    ('<meta http-equiv="Content-Type" content="text/html; charset=gbk">', "text/html"),
    ('<meta charset="GB2312">', "text/html"),
    ("", "text/html; charset=GBK"),
    ("", "text/html"),
    ("", None),
])
def test_gbk_pages_decode_with_or_without_a_declaration(home: Path, meta: str, header: str | None) -> None:
    page = GBK_PAGE.format(meta=meta)
    with FaultServer() as server:
        server.script(PATH, respond(200, page.encode("gbk"), {"Content-Type": header} if header else {}))
        ctx = context(home, server.origin)
        document = ctx.fetch(URL, purpose="notice")
    assert document is not None and document.text() == page
    assert "（２０２３年８月）" in document.text(), "full-width text is kept as published"


def test_short_undeclared_gbk_and_gb18030_only_characters() -> None:
    assert decode_html("<p>附件：清单</p>".encode("gbk")) == "<p>附件：清单</p>"
    rare = "<meta charset='gbk'><p>䶮 𠀀</p>"
    assert decode_html(rare.encode("gb18030")) == rare, "GBK declarations are read as GB18030"
    latin = decode_html("<html><p>Café crème brûlée, déjà vu</p></html>".encode("cp1252"))
    assert latin.startswith("<html><p>Caf") and not any("\u4e00" <= c <= "\u9fff" for c in latin), latin


def test_undeclared_gbk_waf_page_is_recognised(home: Path) -> None:
    page = "<html><head><title>访问验证</title></head><body>请稍候，正在进行安全检查</body></html>"
    with FaultServer() as server:
        server.script(PATH, respond(200, page.encode("gbk")), html(PAGE))
        ctx = context(home, server.origin)
        assert ctx.fetch(URL, purpose="notice") is not None
        ctx.flush()
    assert attempts(home, URL) == [(200, "waf_challenge", False), OK]


def test_nfkc_only_for_matching() -> None:
    assert normalize_for_match("ＷＡＦ　２０２３年（８月）") == "WAF 2023年(8月)"
