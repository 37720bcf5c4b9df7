"""An in-memory reconstruction of the CAC pages the crawler visits (see ../shared/cac_data/PAGES.md).

`build_site()` reads the source configs in `scrapers/*/source.yml` and produces a `Site`: a map from
(host, path+query) to a response (model in `site_model`). Notice pages, the channel listing page and
robots.txt are HTML/text from `site_pages`; genAI, cancellation and news parts come from `site_extra`;
the list attachments are the real DOCX files from `<shared>/cac_data/original_docx/`
(read at run time, never copied) or synthetic lists from `regtrail.mirror.synthetic_docx`. Lists the shared data
holds or announces that the configs do not name are added (`registry_lists`): every file in manifest.csv is
served, and every batch batches.csv announces is announced.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from regtrail.mirror.registry_lists import add_registry_lists
from regtrail.mirror.site_extra import (
    GeneratedFile,
    add_cancellation_notices,
    add_genai_pages,
    add_news_sites,
    generated_download,
    served_filings,
)
from regtrail.mirror.site_model import (
    CST,
    DEFAULT_SYNTHETIC_COUNT,
    DOWNLOAD_PATH,
    HOST,
    LIST_TITLES,
    SOURCES_DIR,
    SYNTHETIC_MODULE,
    Attachment,
    Handler,
    Response,
    Site,
    _cacheable,
    _not_found,
    _parse_date,
    _token,
    batch_month,
    good_referer,
    load_named_source,
    load_sources,
    synthetic_available,
)
from regtrail.mirror.site_pages import (
    OBJECTION_EMAIL,
    ROBOTS,
    RULES,
    STANDARD_PARAGRAPHS,
    listing_page,
    notice_page,
)

__all__ = [
    "CST", "DEFAULT_SYNTHETIC_COUNT", "DOWNLOAD_PATH", "HOST", "LIST_TITLES", "OBJECTION_EMAIL", "OTHER_NOTICES",
    "ROBOTS", "RULES", "STANDARD_PARAGRAPHS", "SYNTHETIC_MODULE", "SYNTHETIC_POLICIES", "THIRD_COLUMN", "Attachment",
    "GeneratedFile", "Handler", "Response", "Site", "add_cancellation_notices", "add_genai_pages", "add_news_sites",
    "batch_month", "build_site", "download_handler", "generated_download", "good_referer", "listing_page",
    "load_named_source", "load_sources", "notice_page", "served_filings", "synthetic_available",
]

SYNTHETIC_POLICIES = ("missing", "fill", "all")
THIRD_COLUMN = {"deep_synthesis": "角色", "algo_recommendation": "算法类别"}

# Another notice of the same channel (PAGES.md): the listing is not made only of the lists we want.
OTHER_NOTICES: tuple[dict[str, str], ...] = (
    {
        "url": "https://www.cac.gov.cn/2024-04/02/c_1713729983803145.htm",
        "title": "国家互联网信息办公室关于发布生成式人工智能服务已备案信息的公告",
        "published": "2024-04-02",
    },
)



# --------------------------------------------------------------------------- downloads

class _Bytes:
    """Attachment bytes, produced once on first use (real file read or synthetic list built)."""

    def __init__(self, att: Attachment) -> None:
        self.att = att
        self._lock = threading.Lock()
        self._body: bytes | None = None

    def get(self) -> bytes:
        with self._lock:
            if self._body is None:
                if self.att.kind == "real" and self.att.real_path is not None:
                    self._body = self.att.real_path.read_bytes()
                else:
                    self._body = _synthetic_docx(self.att)
            return self._body


def _synthetic_docx(att: Attachment) -> bytes:
    module = importlib.import_module(SYNTHETIC_MODULE)
    count = att.expected_count or DEFAULT_SYNTHETIC_COUNT
    rows = module.synthetic_rows(att.list_type, att.batch_label, count, seed=0)
    header = ["序号", "算法名称", THIRD_COLUMN[att.list_type], "主体名称", "应用产品", "主要用途",
              "备案编号", "备注"]
    return module.build_list_docx(
        title=att.title, attachment_label=att.attachment_label, header=header, rows=rows, **att.quirks
    )


def download_handler(att: Attachment) -> Handler:
    """The download endpoint for one attachment (empty 200 without a cac.gov.cn Referer)."""
    content = _Bytes(att)
    disposition = f"attachment; filename*=UTF-8''{quote(att.file_name)}"

    def handle(headers: Mapping[str, str]) -> Response:
        if not good_referer(headers.get("referer")):
            return Response(200, {"Content-Type": "text/html;charset=UTF-8"}, b"")
        body = content.get()
        extra = {"Content-Disposition": disposition}
        return _cacheable(body, "application/octet-stream", att.published, **extra)

    return handle


# --------------------------------------------------------------------------- build

def _quirks(index: int, certainty: str) -> dict[str, bool]:
    """Irregularities of real files, spread over synthetic batches so parsers meet them all."""
    return {
        "auto_number": "序号" in certainty or index % 3 == 1,
        "hidden_grid_column": index % 4 == 2,
        "split_paragraphs": index % 5 == 3,
    }


def build_site(
    shared_dir: Path | None,
    *,
    synthetic: str = "missing",
    extra_deep_synthesis: Iterable[Mapping[str, Any]] = (),
    sources_dir: Path = SOURCES_DIR,
) -> Site:
    """Build the mirror's site model from the source configs and the shared CAC files.

    synthetic: "missing" (real files; batches without one answer 404), "fill" (synthetic lists for
    batches without a real file) or "all" (synthetic everywhere; forced when shared data is absent).
    extra_deep_synthesis: further deep-synthesis notices (config-style dicts) published only on the
    listing page, to exercise discovery.
    """
    if synthetic not in SYNTHETIC_POLICIES:
        raise ValueError(f"synthetic must be one of {SYNTHETIC_POLICIES}, not {synthetic!r}")
    docx_dir = shared_dir / "cac_data" / "original_docx" if shared_dir is not None else None
    if docx_dir is None or not docx_dir.is_dir():
        print(f"regtrail mirror: no {shared_dir or '../shared'}/cac_data found: serving SYNTHETIC lists",
              file=sys.stderr)
        synthetic, docx_dir = "all", None
    can_synthesize = synthetic_available()
    if synthetic != "missing" and not can_synthesize:
        print(f"regtrail mirror: {SYNTHETIC_MODULE} is not importable: batches without a real file "
              "answer 404", file=sys.stderr)

    site = Site(synthetic=synthetic, shared_dir=shared_dir if docx_dir else None)
    configs = add_registry_lists(load_sources(sources_dir), shared_dir if docx_dir else None)
    listings: dict[str, list[tuple[str, str, dt.datetime]]] = {}

    def make_attachment(list_type: str, entry: Mapping[str, Any], label: str, notice_url: str,
                        index: int) -> Attachment:
        batch_label = str(entry["batch_label"])
        real = docx_dir / f"{list_type}_{batch_month(batch_label)}.docx" if docx_dir else None
        if synthetic != "all" and real is not None and real.is_file():
            kind = "real"
        elif synthetic in ("fill", "all") and can_synthesize:
            kind = "synthetic"
        else:
            kind = "missing"
        att = Attachment(
            list_type=list_type, batch_label=batch_label, attachment_label=label,
            published=_parse_date(entry["published"]), notice_url=notice_url,
            token=_token(list_type, batch_label, notice_url), kind=kind,
            real_path=real if kind == "real" else None, expected_count=entry.get("expected_count"),
            quirks=_quirks(index, str(entry.get("certainty") or "")),
        )
        site.attachments.append(att)
        download_url = f"https://{HOST}{att.href}"
        site.add(download_url, download_handler(att) if kind != "missing" else _not_found())
        return att

    def list_on(listing_urls: Iterable[str], url: str, title: str, published: dt.datetime) -> None:
        for listing_url in listing_urls:
            listings.setdefault(listing_url, []).append((url, title, published))

    deep = configs.get("deep_synthesis")
    if deep:
        listing_urls = deep.get("listing", {}).get("urls", [])
        notices = [*deep.get("notices", []), *(dict(n) for n in extra_deep_synthesis)]
        for index, notice in enumerate(notices):
            url = notice["url"]
            published = _parse_date(notice["published"])
            att = make_attachment("deep_synthesis", notice, "附件", url, index)
            body = notice_page(notice["title"], published, "deep_synthesis", [att], url)
            site.add(url, _cacheable(body, "text/html; charset=utf-8", published))
            list_on(listing_urls, url, notice["title"], published)

    algo = configs.get("algo_recommendation")
    if algo:
        listing_urls = algo.get("listing", {}).get("urls", [])
        notice = algo["notices"][0]
        url = notice["url"]
        published = _parse_date(notice["published"])
        atts = [
            make_attachment("algo_recommendation", entry,
                            str(entry.get("attachment_label") or f"附件{i + 1}"), url, i)
            for i, entry in enumerate(algo.get("lists", []))
        ]
        body = notice_page(notice["title"], published, "algo_recommendation", atts, url)
        modified = max([published, *(a.published for a in atts)])
        site.add(url, _cacheable(body, "text/html; charset=utf-8", modified))
        list_on(listing_urls, url, notice["title"], published)

    genai = load_named_source("cac_genai", sources_dir)
    if genai:
        add_genai_pages(site, genai, list_on, shared_dir)
    cancellations = load_named_source("cac_cancellations", sources_dir)
    if cancellations:
        add_cancellation_notices(site, cancellations, shared_dir)
    if load_named_source("news", sources_dir):
        add_news_sites(site)

    all_listing_urls = list(listings)
    for other in OTHER_NOTICES:
        if (urlsplit(other["url"]).netloc, urlsplit(other["url"]).path) in site.routes:
            continue  # built from a source config above
        published = _parse_date(other["published"])
        body = notice_page(other["title"], published, None, [], other["url"])
        site.add(other["url"], _cacheable(body, "text/html; charset=utf-8", published))
        list_on(all_listing_urls, other["url"], other["title"], published)

    for listing_url, items in listings.items():
        newest = max(item[2] for item in items)
        site.add(listing_url, _cacheable(listing_page(items), "text/html; charset=utf-8", newest))

    site.add(f"https://{HOST}/robots.txt", _cacheable(ROBOTS, "text/plain; charset=utf-8",
                                                      dt.datetime(2022, 1, 1, tzinfo=CST)))
    return site
