"""The bundled offline CAC mirror: pages, downloads, listing, conditional requests, CLI."""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup

from regtrail import settings
from regtrail.fetch.fetcher import mirror_url
from regtrail.mirror import news_fixtures
from regtrail.mirror.server import MirrorHandle, start_mirror
from regtrail.mirror.site import build_site, synthetic_available
from tests.support.mirror import CAC_DATA, SHARED, _announced, _config, _manifest, _month, expected_lists

LISTING_URL = "https://www.cac.gov.cn/wxzw/sfbx/A093702index_1.htm"
ALGO_URL = "https://www.cac.gov.cn/2022-08/12/c_1661927474338504.htm"
DS_2023_08 = "https://www.cac.gov.cn/2023-09/01/c_1695224377544009.htm"
DS_2024_06 = "https://www.cac.gov.cn/2024-06/12/c_1719783421546747.htm"
EXTRA = {
    "url": "https://www.cac.gov.cn/2026-09/15/c_1789000000000001.htm",
    "title": "国家互联网信息办公室关于发布第十九批深度合成服务算法备案信息的公告",
    "published": "2026-09-15",
    "batch_label": "2026年9月",
    "batch_number": 19,
    "expected_count": 12,
}

needs_shared = pytest.mark.skipif(not (CAC_DATA / "original_docx").is_dir(), reason="no ../shared/cac_data")


def _expected_pages() -> int:
    """HTML pages the mirror serves: a notice per deep-synthesis list (configured or in the shared data), the
    algorithm-recommendation and genAI notices (+ yearly summaries), the listing and the news articles."""
    notices = len(expected_lists("deep_synthesis")) + sum(
        len(_config(name)["notices"]) for name in ("cac_algo_recommendation", "cac_genai"))
    return notices + 1 + len(news_fixtures.ARTICLES)


@pytest.fixture(scope="module")
def mirror() -> Iterator[MirrorHandle]:
    if not (CAC_DATA / "original_docx").is_dir():
        pytest.skip("no ../shared/cac_data")
    with start_mirror(build_site(SHARED, extra_deep_synthesis=[EXTRA])) as handle:
        yield handle


def get(handle: MirrorHandle, url: str, **headers: str) -> requests.Response:
    """GET a canonical URL through the mirror, as the crawler does."""
    return requests.get(mirror_url(url, handle.origin), headers=headers, timeout=30)


def soup(response: requests.Response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "lxml")


def attachment_links(page: BeautifulSoup) -> list:
    return page.select("#BodyLabel a[href*='downloadfile.jsp']")


@needs_shared
def test_deep_synthesis_notice_page(mirror: MirrorHandle) -> None:
    response = get(mirror, DS_2023_08)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = soup(response)
    assert page.select_one(".main-title h1.title").get_text(strip=True) == (
        "国家互联网信息办公室关于发布第二批深度合成服务算法备案信息的公告"
    )
    assert page.select_one("#pubtime").get_text(strip=True) == "2023年09月01日 17:00"
    body = page.select_one(".main-content #BodyLabel")
    assert "beian.cac.gov.cn" in body.get_text()
    assert [p.get_text(strip=True) for p in body.find_all("p")].count("附件") == 1
    (link,) = attachment_links(page)
    href = link["href"]
    assert href.startswith("/cms/pub/interact/downloadfile.jsp?filepath=")
    name = "境内深度合成服务算法备案清单（2023年8月）.docx"
    assert link.get_text(strip=True) == name
    assert unquote(parse_qs(urlsplit(href).query)["fText"][0]) == name
    assert page.find("script") is not None and body.find("script") is None


@needs_shared
def test_download_real_docx_with_referer(mirror: MirrorHandle) -> None:
    href = attachment_links(soup(get(mirror, DS_2023_08)))[0]["href"]
    url = urljoin(DS_2023_08, href)
    response = get(mirror, url, Referer=DS_2023_08)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert int(response.headers["Content-Length"]) == len(response.content)
    expected = _manifest()["deep_synthesis_2023-08.docx"]["sha256"]
    assert hashlib.sha256(response.content).hexdigest() == expected
    assert response.headers["ETag"] == f'"{expected}"'
    assert response.headers["Last-Modified"]
    assert mirror.requests.snapshot()[-1][2].get("Referer") == DS_2023_08


@needs_shared
@pytest.mark.parametrize("referer", [None, "https://example.com/page.htm", "http://www.cac.gov.cn/x.htm"])
def test_download_without_good_referer_is_empty(mirror: MirrorHandle, referer: str | None) -> None:
    href = attachment_links(soup(get(mirror, DS_2023_08)))[0]["href"]
    headers = {"Referer": referer} if referer else {}
    response = get(mirror, urljoin(DS_2023_08, href), **headers)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Content-Type"].startswith("text/html")


@needs_shared
def test_algo_recommendation_page_lists_every_batch(mirror: MirrorHandle) -> None:
    expected = expected_lists("algo_recommendation")
    page = soup(get(mirror, ALGO_URL))
    assert page.select_one("#pubtime").get_text(strip=True) == "2022年08月12日 17:00"
    links = attachment_links(page)
    assert len(links) == len(expected)
    texts = [p.get_text(strip=True) for p in page.select("#BodyLabel p")]
    labels = [t for t in texts if t.startswith("附件")]
    assert labels == [f"附件{i}" for i in range(1, len(expected) + 1)]
    served = {a.get_text(strip=True).split("（")[1].split("）")[0]: a["href"] for a in links}
    assert set(served) == set(expected)
    manifest = _manifest()
    for label, has_file in expected.items():  # every manifest file is served; an announced list without one: 404
        response = get(mirror, urljoin(ALGO_URL, served[label]), Referer=ALGO_URL)
        if has_file:
            digest = manifest[f"algo_recommendation_{_month(label)}.docx"]["sha256"]
            assert hashlib.sha256(response.content).hexdigest() == digest, label
        else:
            assert response.status_code == 404, label
    assert not all(expected.values()), "../shared announces a list without a file (2026年7月)"


@needs_shared
def test_listing_page_lists_every_notice(mirror: MirrorHandle) -> None:
    response = get(mirror, LISTING_URL)
    assert response.status_code == 200
    items = soup(response).select("#loadingInfoPage li")
    found = [
        (urljoin(LISTING_URL, li.select_one("h5 a[title]")["href"]), li.select_one("h5 a")["title"],
         li.select_one(".times").get_text(strip=True))
        for li in items
    ]
    deep = [f for f in found if "深度合成服务算法备案信息" in f[1]]
    configured = {n["url"] for n in _config("cac_deep_synthesis")["notices"]}
    announced = {url for url in _announced(CAC_DATA, "deep_synthesis").values() if url}
    assert {f[0] for f in deep} >= configured | announced | {EXTRA["url"]}
    assert len(deep) == len(expected_lists("deep_synthesis")) + 1
    assert ALGO_URL in {f[0] for f in found if "互联网信息服务算法备案信息" in f[1]}
    genai = {(n["url"], n["title"], n["published"]) for n in _config("cac_genai")["notices"]}
    assert {f for f in found if "生成式人工智能服务" in f[1]} == genai  # the notice and yearly summaries
    dates = [f[2] for f in found]
    assert dates == sorted(dates, reverse=True)
    hrefs = [li.select_one("h5 a")["href"] for li in items]
    assert any(h.startswith("/") and not h.startswith("//") for h in hrefs)
    assert any(h.startswith("https://") for h in hrefs)
    for url, _, _ in found:  # every listed notice is served
        assert get(mirror, url).status_code == 200


@needs_shared
def test_extra_batch_is_served_but_missing_real_file_is_404(mirror: MirrorHandle) -> None:
    page = soup(get(mirror, EXTRA["url"]))
    (link,) = attachment_links(page)
    assert get(mirror, urljoin(EXTRA["url"], link["href"]), Referer=EXTRA["url"]).status_code == 404
    without_file = [label for label, has_file in expected_lists("deep_synthesis").items() if not has_file]
    assert without_file, "../shared announces a deep-synthesis batch without a file (2026年7月)"
    for label in without_file:  # announced on its notice page, the attachment unavailable
        url = _announced(CAC_DATA, "deep_synthesis")[label]
        (link,) = attachment_links(soup(get(mirror, url)))
        assert label in link.get_text()
        assert get(mirror, urljoin(url, link["href"]), Referer=url).status_code == 404


@needs_shared
def test_conditional_requests(mirror: MirrorHandle) -> None:
    first = get(mirror, DS_2023_08)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert get(mirror, DS_2023_08, **{"If-None-Match": etag}).status_code == 304
    assert get(mirror, DS_2023_08, **{"If-Modified-Since": modified}).status_code == 304
    assert get(mirror, DS_2023_08, **{"If-None-Match": '"stale"'}).status_code == 200
    old = "Mon, 01 Jan 2018 00:00:00 GMT"
    assert get(mirror, DS_2023_08, **{"If-Modified-Since": old}).status_code == 200
    download = urljoin(DS_2023_08, attachment_links(soup(first))[0]["href"])
    etag = get(mirror, download, Referer=DS_2023_08).headers["ETag"]
    again = get(mirror, download, Referer=DS_2023_08, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


@needs_shared
def test_robots_unknown_paths_and_head(mirror: MirrorHandle) -> None:
    robots = get(mirror, "https://www.cac.gov.cn/robots.txt")
    assert robots.status_code == 200
    assert "User-agent: *" in robots.text and "Allow: /" in robots.text
    assert get(mirror, "https://www.cac.gov.cn/2099-01/01/c_1.htm").status_code == 404
    assert get(mirror, "https://beian.cac.gov.cn/robots.txt").status_code == 404
    assert requests.get(mirror.origin + "/", timeout=30).status_code == 404
    head = requests.head(mirror_url(DS_2023_08, mirror.origin), timeout=30)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["Content-Length"]) > 0


@needs_shared
def test_site_counts_and_no_shared_fallback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = build_site(SHARED)
    real = {p.name for p in (CAC_DATA / "original_docx").glob("*.docx")}
    assert site.count("real") == len(real) == len(_manifest())
    expected = {**{("deep_synthesis", k): v for k, v in expected_lists("deep_synthesis").items()},
                **{("algo_recommendation", k): v for k, v in expected_lists("algo_recommendation").items()}}
    assert {(a.list_type, a.batch_label): a.kind == "real" for a in site.attachments} == expected
    assert site.count("missing") == sum(1 for v in expected.values() if not v)
    assert site.page_count == _expected_pages()
    fallback = build_site(tmp_path)
    assert "serving SYNTHETIC lists" in capsys.readouterr().err
    assert fallback.synthetic == "all" and fallback.count("real") == 0


def test_rejects_unknown_policy() -> None:
    with pytest.raises(ValueError):
        build_site(None, synthetic="sometimes")


def test_synthetic_lists(tmp_path: Path) -> None:
    pytest.importorskip("regtrail.mirror.synthetic_docx")
    assert synthetic_available()
    site = build_site(None)
    configured = len(_config("cac_deep_synthesis")["notices"]) + len(_config("cac_algo_recommendation")["lists"])
    assert site.synthetic == "all" and site.count("synthetic") == configured and site.count("real") == 0
    with start_mirror(site) as handle:
        (link,) = attachment_links(soup(get(handle, DS_2024_06)))
        response = get(handle, urljoin(DS_2024_06, link["href"]), Referer=DS_2024_06)
        assert response.status_code == 200 and response.content[:2] == b"PK"
    if (CAC_DATA / "original_docx").is_dir():
        filled = build_site(SHARED, synthetic="fill")
        assert filled.count("missing") == 0 and filled.count("real") > 0


def test_synthetic_contract_with_stand_in_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mirror calls synthetic_docx with the agreed keyword API (checked with a stand-in module)."""
    calls: list[dict] = []

    def synthetic_rows(list_type: str, batch_label: str, count: int, seed: int = 0) -> list[list[str]]:
        return [[str(i + 1), f"{batch_label}-{i}", "", "", "", "", "", ""] for i in range(count)]

    def build_list_docx(**kwargs: object) -> bytes:
        calls.append(kwargs)
        return b"PK\x03\x04" + repr(sorted(kwargs)).encode()

    stand_in = types.ModuleType("regtrail.mirror.synthetic_docx")
    stand_in.synthetic_rows = synthetic_rows  # type: ignore[attr-defined]
    stand_in.build_list_docx = build_list_docx  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "regtrail.mirror.synthetic_docx", stand_in)
    site = build_site(None, extra_deep_synthesis=[{**EXTRA, "expected_count": None}])
    configured = len(_config("cac_deep_synthesis")["notices"]) + len(_config("cac_algo_recommendation")["lists"])
    assert site.count("synthetic") == configured + 1
    (att,) = [a for a in site.attachments if a.batch_label == "2026年9月"]
    response = site.respond("www.cac.gov.cn", att.href, {"Referer": EXTRA["url"]})
    assert response.status == 200 and response.body.startswith(b"PK")
    (call,) = calls
    assert call["title"] == "境内深度合成服务算法备案清单（2026年9月）" and call["attachment_label"] == "附件"
    assert call["header"][2] == "角色" and len(call["rows"]) == 30
    assert {"auto_number", "hidden_grid_column", "split_paragraphs"} <= set(call)
    algo = next(a for a in site.attachments if a.list_type == "algo_recommendation")
    site.respond("www.cac.gov.cn", algo.href, {"Referer": ALGO_URL})
    assert calls[-1]["header"][2] == "算法类别" and calls[-1]["attachment_label"] == "附件1"


@needs_shared
def test_cli_prints_origin_file(tmp_path: Path) -> None:
    origin_file = tmp_path / "origin"
    env = {**os.environ, "REGTRAIL_SHARED": str(SHARED)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "regtrail", "mirror", "--port", "0", "--print-origin-file", str(origin_file)],
        cwd=settings.REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not origin_file.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        origin = origin_file.read_text(encoding="utf-8").strip()
        assert origin.startswith("http://127.0.0.1:")
        assert requests.get(mirror_url("https://www.cac.gov.cn/robots.txt", origin), timeout=30).ok
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert f"mirror serving at {origin} ({_expected_pages()} pages, " in out


@needs_shared
def test_a_list_added_to_the_shared_data_is_served(tmp_path: Path) -> None:
    """Tomorrow's files: a deep-synthesis and an algorithm-recommendation list that neither the source configs nor
    batches.csv name, added to a copy of the shared data (manifest row + file), are served: the first on a notice
    page of its own that the channel listing links, the second as the next attachment of the algorithm page."""
    cac_data = tmp_path / "cac_data"
    (cac_data / "original_docx").mkdir(parents=True)
    for path in (CAC_DATA / "original_docx").iterdir():
        (cac_data / "original_docx" / path.name).symlink_to(path)
    for name in ("batches.csv", "genai"):
        (cac_data / name).symlink_to(CAC_DATA / name)
    rows = list(_manifest().values())
    added = {"deep_synthesis": "deep_synthesis_2026-05.docx", "algo_recommendation": "algo_recommendation_2026-05.docx"}
    for list_type, source in added.items():
        name = f"{list_type}_2027-02.docx"
        (cac_data / "original_docx" / name).write_bytes((CAC_DATA / "original_docx" / source).read_bytes())
        rows.append({**_manifest()[source], "file": name, "batch_label": "2027年2月"})
    with open(cac_data / "manifest.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    site = build_site(tmp_path)
    assert site.count("real") == len(rows)
    with start_mirror(site) as handle:
        listing = soup(get(handle, LISTING_URL))
        notices = {li.select_one("h5 a")["title"]: urljoin(LISTING_URL, li.select_one("h5 a")["href"])
                   for li in listing.select("#loadingInfoPage li")}
        ordinal = len(expected_lists("deep_synthesis", cac_data))
        assert ordinal == len(expected_lists("deep_synthesis")) + 1
        known = {n["url"] for n in _config("cac_deep_synthesis")["notices"]} | {
            url for url in _announced(CAC_DATA, "deep_synthesis").values() if url}
        (title,) = [t for t, url in notices.items() if "深度合成" in t and url not in known]
        digits = "零一二三四五六七八九"
        tens, ones = divmod(ordinal, 10)  # the batch's ordinal in Chinese, as the real titles give it
        numeral = ("十" if tens == 1 else digits[tens] + "十") + (digits[ones] if ones else "")
        assert title == f"国家互联网信息办公室关于发布第{numeral}批深度合成服务算法备案信息的公告"
        (link,) = attachment_links(soup(get(handle, notices[title])))
        body = get(handle, urljoin(notices[title], link["href"]), Referer=notices[title]).content
        assert body == (CAC_DATA / "original_docx" / added["deep_synthesis"]).read_bytes()
        algo = attachment_links(soup(get(handle, ALGO_URL)))
        assert algo[-1].get_text(strip=True) == "境内互联网信息服务算法备案清单（2027年2月）.docx"
        body = get(handle, urljoin(ALGO_URL, algo[-1]["href"]), Referer=ALGO_URL).content
        assert body == (CAC_DATA / "original_docx" / added["algo_recommendation"]).read_bytes()


def test_a_generated_attachment_is_built_once_per_process_and_again_when_its_rows_change() -> None:
    from regtrail.mirror import genai_fixtures

    rows = genai_fixtures.PeriodRows("生成式人工智能服务已备案信息（测试）", synthetic=True)
    rows.tables[genai_fixtures.KINDS[0]] = [["1", "服务甲", "北京", "某某科技有限公司", "Beijing-A-1"]]
    first = genai_fixtures.build_attachment("2099年1月", "附件", rows, pdf=False)
    assert genai_fixtures.build_attachment("2099年1月", "附件", rows, pdf=False) is first  # read, not built
    rows.tables[genai_fixtures.KINDS[0]][0][1] = "服务乙"
    changed = genai_fixtures.build_attachment("2099年1月", "附件", rows, pdf=False)
    assert changed != first
