"""Parts of the mirror beyond the algorithm lists: genAI notice pages, cancellation notices, news sites."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from regtrail.mirror.site_model import (
    CST,
    DEFAULT_SYNTHETIC_COUNT,
    DOWNLOAD_PATH,
    HOST,
    SYNTHETIC_MODULE,
    Handler,
    Response,
    Site,
    _cacheable,
    _parse_date,
    _token,
    batch_month,
    good_referer,
)
from regtrail.mirror.site_pages import ROBOTS, notice_page


@dataclass
class GeneratedFile:
    """An attachment generated at build time (genAI lists): link text, name and lazily built bytes."""

    attachment_label: str
    file_name: str
    token: str
    published: dt.datetime
    build: Callable[[], bytes]
    _body: bytes | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def href(self) -> str:
        return f"{DOWNLOAD_PATH}?filepath={self.token}&fText={quote(self.file_name)}"

    def body(self) -> bytes:
        with self._lock:
            if self._body is None:
                self._body = self.build()
            return self._body


def generated_download(item: GeneratedFile) -> Handler:
    """The download endpoint for a generated attachment (empty 200 without a cac.gov.cn Referer)."""
    disposition = f"attachment; filename*=UTF-8''{quote(item.file_name)}"

    def handle(headers: Mapping[str, str]) -> Response:
        if not good_referer(headers.get("referer")):
            return Response(200, {"Content-Type": "text/html;charset=UTF-8"}, b"")
        return _cacheable(item.body(), "application/octet-stream", item.published,
                          **{"Content-Disposition": disposition})

    return handle


def add_genai_pages(site: Site, config: Mapping[str, Any],
                    list_on: Callable[[Iterable[str], str, str, dt.datetime], None],
                    shared_dir: Path | None = None) -> None:
    """The genAI notice page (one attachment per period, DOCX or PDF) and the yearly summary pages.

    Rows are the real ones from `<shared>/cac_data/genai/` when present (synthetic, and marked so, otherwise).
    """
    from regtrail.mirror import genai_fixtures as fixtures

    rows = fixtures.period_rows(config, shared_dir, synthetic=site.synthetic == "all")
    site.genai_rows = rows
    listing_urls = (config.get("listing") or {}).get("urls", [])
    for notice in config.get("notices", []):
        url = notice["url"]
        published = _parse_date(notice["published"])
        files: list[GeneratedFile] = []
        for entry in notice.get("attachments", []):
            period = str(entry["period"])
            label = str(entry.get("label") or "附件")
            pdf = period in fixtures.PDF_PERIODS
            if notice.get("kind") == "summary":
                tables = fixtures.summary_rows(period, [rows[p] for p in entry.get("summary_of", []) if p in rows])
            elif period in rows:
                tables = rows[period]
            else:
                continue

            def build(period: str = period, label: str = label, tables: Any = tables, pdf: bool = pdf) -> bytes:
                return fixtures.build_attachment(period, label, tables, pdf=pdf)

            item = GeneratedFile(label, fixtures.file_name(tables, pdf), _token("genai_service", period, url),
                                 _parse_date(entry["published"]), build)
            files.append(item)
            site.add(f"https://{HOST}{item.href}", generated_download(item))
        body = notice_page(notice["title"], published, "genai_service", files, url)
        modified = max([published, *(f.published for f in files)])
        site.add(url, _cacheable(body, "text/html; charset=utf-8", modified))
        list_on(listing_urls, url, notice["title"], published)


# --------------------------------------------------------------------------- cancellation notices

def served_filings(site: Site) -> list[Any]:
    """Every filing row of the lists the mirror serves (real CSV conversions or synthetic rows)."""
    import csv

    from regtrail.mirror.cancellation_fixtures import Candidate

    found = []
    for att in site.attachments:
        rows: list[list[str]] = []
        if att.kind == "real" and site.shared_dir is not None:
            path = site.shared_dir / "cac_data" / "csv" / f"{att.list_type}_{batch_month(att.batch_label)}.csv"
            if path.is_file():
                with open(path, encoding="utf-8", newline="") as handle:
                    rows = [[r["序号"], r["算法名称"], r.get("角色") or r.get("算法类别") or "", r["主体名称"],
                             r["应用产品"], r["主要用途"], r["备案编号"], r["备注"]] for r in csv.DictReader(handle)]
        elif att.kind == "synthetic":
            module = importlib.import_module(SYNTHETIC_MODULE)
            rows = module.synthetic_rows(att.list_type, att.batch_label, att.expected_count or DEFAULT_SYNTHETIC_COUNT,
                                         seed=0)
        for row in rows:
            if row[6].startswith("网信算备"):
                listed = att.published.date()
                found.append(Candidate(row[6], row[1], row[2], row[3], row[4], listed, "已注销" in row[7]))
    return found


def add_cancellation_notices(site: Site, config: Mapping[str, Any], shared_dir: Path | None = None) -> None:
    """The filing system's notice-list API and one PDF per cancellation notice (the real ones when shared)."""
    from regtrail.mirror import cancellation_fixtures as fixtures

    listing = config["listing"]
    real = None if site.synthetic == "all" else fixtures.real_notices(shared_dir)
    notices = real if real is not None else fixtures.pick_notices(config, served_filings(site))
    site.cancellation_notices = notices
    newest = max((_parse_date(n.published) for n in notices), default=dt.datetime(2025, 1, 1, tzinfo=CST))
    site.add(listing["url"], _cacheable(fixtures.notice_list_json(notices), "application/json;charset=UTF-8", newest))
    for notice in notices:
        item = GeneratedFile("附件", f"{notice.title}.pdf", notice.notice_id, _parse_date(notice.published),
                             lambda notice=notice: fixtures.notice_pdf(notice))

        def handle(headers: Mapping[str, str], item: GeneratedFile = item) -> Response:
            return _cacheable(item.body(), "application/pdf", item.published,
                              **{"Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.file_name)}"})

        site.add(listing["download_url"].format(notice_id=notice.notice_id), handle)


# --------------------------------------------------------------------------- news

def add_news_sites(site: Site) -> None:
    """Article pages and feeds of the news outlets (regtrail.mirror.news_fixtures)."""
    from regtrail.mirror import news_fixtures as fixtures

    site.news_articles = list(fixtures.ARTICLES)
    for article in fixtures.ARTICLES:
        body = fixtures.article_page(article)
        site.add(article.url, _cacheable(body, "text/html; charset=utf-8", article.published))
    for host, (url, kind) in fixtures.FEEDS.items():
        newest = max(a.published for a in fixtures.ARTICLES if a.host == host)
        content_type = "application/rss+xml; charset=utf-8" if kind == "rss" else "application/atom+xml; charset=utf-8"
        site.add(url, _cacheable(fixtures.feed(host), content_type, newest))
        site.add(f"https://{host}/robots.txt", _cacheable(ROBOTS, "text/plain; charset=utf-8", newest))
