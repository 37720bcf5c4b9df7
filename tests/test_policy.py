"""The URL policy: links, attachments and redirects to other hosts or to non-public addresses are never
requested, in production mode (a second real server on loopback counts the hits) and through the mirror
(the mirror path keeps its host prefix); each refusal is a fetch event with its reason."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from regtrail.crawl import runner
from regtrail.crawl.sources import get_sources
from regtrail.fetch.policy import REFUSED, UrlPolicy, source_hosts
from regtrail.log import events
from regtrail.mirror.site import Site, build_site
from tests.support.fault_server import FaultServer, docx_bytes, html, respond
from tests.support.warehouse import lineage, run_dbt_build


def notice_page(*links: str) -> str:
    anchors = "".join(f'<p><a href="{href}">附件{i}：清单（2024年1月）.docx</a></p>' for i, href in enumerate(links, 1))
    return ("<html><head><meta charset='utf-8'></head><body><div class='main-title'><h1 class='title'>"
            "关于发布深度合成服务算法备案信息的公告</h1></div><div id='pubtime'>2024-01-05 10:00:00</div>"
            f'<div id="BodyLabel">{anchors}</div></body></html>')


def refusals(home: Path, source: str) -> dict[str, str]:
    rows = events.read_events(home, "fetch", source).to_pylist()
    return {r["url"]: r["error"] for r in rows if r["error_kind"] == REFUSED and not r["ok"] and r["status"] is None}


@pytest.mark.parametrize(("url", "reason"), [
    ("https://www.cac.gov.cn/a/b.docx", None),
    ("ftp://www.cac.gov.cn/a.docx", "scheme"),
    ("https://evil.example/a.docx", "not one of the source's hosts"),
    ("https://www.cac.gov.cn/../evil.example/a", "'..' segment"),
    ("https://www.cac.gov.cn/a/%2e%2e/%2E%2e/evil.example/a", "'..' segment"),
    ("https://www.cac.gov.cn/a/..%2f..%2fevil.example/a", "encoded slash"),
    ("https://www.cac.gov.cn//evil.example/a", "empty segment"),
    ("https://user:pw@www.cac.gov.cn/a", "credentials"),
])
def test_policy_refuses_other_hosts_and_paths_that_climb(url: str, reason: str | None) -> None:
    for mirror in (True, False):
        refusal = UrlPolicy(frozenset({"www.cac.gov.cn"}), mirror=mirror).refusal(url)
        if reason is None:
            assert refusal is None or not mirror  # outside the mirror the real host must resolve
        else:
            assert refusal and reason in refusal, (url, refusal)


def test_non_public_addresses_are_refused_outside_mirror_mode_only() -> None:
    for url in ("http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]/x", "http://10.0.0.5/x",
                "http://169.254.169.254/latest/meta-data/", "http://192.168.1.1/x"):
        assert "non-public" in (UrlPolicy().refusal(url) or "") or "loopback" in (UrlPolicy().refusal(url) or "")
        assert UrlPolicy(mirror=True).refusal(url) is None
    assert UrlPolicy(private_ok=frozenset({"127.0.0.1:8080"})).refusal("http://127.0.0.1:8080/x") is None
    assert UrlPolicy(private_ok=frozenset({"127.0.0.1:8080"})).refusal("http://127.0.0.1:8081/x") is not None


def test_every_source_has_hosts() -> None:
    for source in get_sources(["cac_deep_synthesis", "cac_cancellations", "news"]):
        assert source_hosts(source.config), source.name
    assert source_hosts(get_sources(["news"])[0].config) >= {"www.scmp.com", "japannews.yomiuri.co.jp"}
    assert source_hosts({"name": "adhoc"}) == frozenset(), "a source naming no URL may fetch any host"


@pytest.mark.dbt
def test_a_notice_linking_to_loopback_requests_nothing_from_it(
        home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FaultServer() as page, FaultServer() as internal:
        port = internal.origin.rsplit(":", 1)[1]
        internal.script("/internal/secret.docx", respond(200, docx_bytes("机密")))
        links = [f"http://127.0.0.1:{port}/internal/secret.docx", f"http://localhost:{port}/internal/secret.docx",
                 "http://169.254.169.254/latest/meta-data/iam.docx", f"{page.origin}/files/ok.docx"]
        page.script("/notice.htm", html(notice_page(*links)))
        page.script("/files/ok.docx", respond(200, docx_bytes()))
        monkeypatch.setenv("REGTRAIL_ALLOW_PRIVATE_HOSTS", page.origin.removeprefix("http://"))
        stats = runner.ingest([f"{page.origin}/notice.htm"], root=home)["adhoc"]
        assert internal.requests == [], "nothing is requested from the internal server"
        assert page.hits("/files/ok.docx") == 1, "the page's own host is fetched as usual"
    refused = refusals(home, "adhoc")
    assert set(refused) == set(links[:3])
    assert "non-public address 127.0.0.1" in refused[links[0]]
    assert "not one of the source's hosts (127.0.0.1)" in refused[links[1]], "ingest allows the hosts it is given"
    assert "169.254.169.254" in refused[links[2]]
    assert stats["failed_urls"] == 3 and stats["not_sent"] == 3

    built = run_dbt_build(home, tmp_path, *lineage("fct_fetch_failures"))  # the lineage of the mart read here
    assert built.returncode == 0, built.stdout[-4000:]
    with duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True) as con:
        failing = {url for (url,) in con.execute("select url from fct_fetch_failures where stage = 'fetch'").fetchall()}
    assert failing == set(links[:3]), "each refusal is a fetch failure in the warehouse"


@pytest.fixture(scope="module")
def site(shared: Path) -> Site:
    return build_site(shared.parent)


def test_crawl_through_the_mirror_stays_on_the_source_hosts(
        site: Site, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = get_sources(["cac_deep_synthesis"])[0].config
    notice = config.notices[0].url.removeprefix("https:/")
    links = ["https://evil.example/steal.docx", "http://169.254.169.254/latest/meta-data/creds.docx",
             "/%2e%2e/evil.example/a.docx", "https://www.cac.gov.cn/files/..%2F..%2Fevil.example/b.docx",
             "https://www.cac.gov.cn//169.254.169.254/latest/c.docx"]
    with FaultServer(site) as server:
        server.script(notice, html(notice_page(*links)))
        monkeypatch.setenv("REGTRAIL_MIRROR", server.origin)
        runner.crawl(["cac_deep_synthesis"], run_key="policy", root=home)
        paths = [path for path, _ in server.requests]
    assert paths and all(p.startswith("/www.cac.gov.cn/") for p in paths), [p for p in paths if "cac" not in p]
    assert not any("evil.example" in p or "169.254.169.254" in p for p in paths)
    refused = refusals(home, "cac_deep_synthesis")
    assert len(refused) == len(links) and all(refused.values())
