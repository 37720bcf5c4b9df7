"""An in-memory reconstruction of the CAC pages the crawler visits (see ../shared/cac_data/PAGES.md).

`build_site()` reads the source configs in `scrapers/*/source.yml` and produces a `Site`: a map from
(host, path+query) to a response. Notice pages, the channel listing page and robots.txt are HTML/text
built here; the list attachments are the real DOCX files from `<shared>/cac_data/original_docx/`
(read at run time, never copied) or synthetic lists from `regtrail.mirror.synthetic_docx`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import importlib
import importlib.util
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from regtrail.sources import SOURCES_DIR, config_path, source_config
from regtrail.sources import load_sources as load_source_registry

HOST = "www.cac.gov.cn"
DOWNLOAD_PATH = "/cms/pub/interact/downloadfile.jsp"
SYNTHETIC_MODULE = "regtrail.mirror.synthetic_docx"
SYNTHETIC_POLICIES = ("missing", "fill", "all")
DEFAULT_SYNTHETIC_COUNT = 30
CST = dt.timezone(dt.timedelta(hours=8))

LIST_TITLES = {
    "deep_synthesis": "境内深度合成服务算法备案清单",
    "algo_recommendation": "境内互联网信息服务算法备案清单",
}
THIRD_COLUMN = {"deep_synthesis": "角色", "algo_recommendation": "算法类别"}

# Another notice of the same channel (PAGES.md): the listing is not made only of the lists we want.
OTHER_NOTICES: tuple[dict[str, str], ...] = (
    {
        "url": "https://www.cac.gov.cn/2024-04/02/c_1713729983803145.htm",
        "title": "国家互联网信息办公室关于发布生成式人工智能服务已备案信息的公告",
        "published": "2024-04-02",
    },
)


@dataclass
class Response:
    """One HTTP answer: status, headers and body bytes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


Handler = Callable[[Mapping[str, str]], Response]
"""A dynamic resource: called with the request headers (lower-cased names)."""


@dataclass
class Attachment:
    """One list attachment of a notice page and where its bytes come from."""

    list_type: str
    batch_label: str
    attachment_label: str
    published: dt.datetime
    notice_url: str
    token: str
    kind: str  # "real" | "synthetic" | "missing"
    real_path: Path | None = None
    expected_count: int | None = None
    quirks: dict[str, bool] = field(default_factory=dict)

    @property
    def file_name(self) -> str:
        return f"{LIST_TITLES[self.list_type]}（{self.batch_label}）.docx"

    @property
    def title(self) -> str:
        return f"{LIST_TITLES[self.list_type]}（{self.batch_label}）"

    @property
    def href(self) -> str:
        return f"{DOWNLOAD_PATH}?filepath={self.token}&fText={quote(self.file_name)}"


@dataclass
class Site:
    """The mirror's content: (host, path+query) -> Response or Handler, plus what was built."""

    routes: dict[tuple[str, str], Response | Handler] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    synthetic: str = "missing"
    shared_dir: Path | None = None
    cancellation_notices: list[Any] = field(default_factory=list)
    genai_rows: dict[str, Any] = field(default_factory=dict)
    news_articles: list[Any] = field(default_factory=list)

    @property
    def page_count(self) -> int:
        """HTML pages served (notices and listings)."""
        return sum(
            1 for r in self.routes.values()
            if isinstance(r, Response) and r.status == 200
            and r.headers.get("Content-Type", "").startswith("text/html")
        )

    def count(self, kind: str) -> int:
        """How many attachments are of `kind` ("real", "synthetic" or "missing")."""
        return sum(1 for a in self.attachments if a.kind == kind)

    def add(self, url: str, resource: Response | Handler) -> None:
        """Register a resource under its canonical https URL."""
        parts = urlsplit(url)
        self.routes[(parts.netloc.lower(), _route_key(parts.path, parts.query))] = resource

    def respond(self, host: str, path_query: str, headers: Mapping[str, str]) -> Response:
        """Answer one GET for `https://host/path_query`, honouring conditional request headers."""
        lower = {k.lower(): v for k, v in headers.items()}
        parts = urlsplit(path_query if path_query.startswith("/") else "/" + path_query)
        resource = self.routes.get((host.lower(), _route_key(parts.path or "/", parts.query)))
        if resource is None:
            return _not_found()
        response = resource(lower) if callable(resource) else resource
        if response.status == 200 and _not_modified(response.headers, lower):
            keep = ("ETag", "Last-Modified", "Cache-Control")
            return Response(304, {k: v for k, v in response.headers.items() if k in keep}, b"")
        return response


def _route_key(path: str, query: str) -> str:
    """The lookup key: the download endpoint is keyed by its `filepath` parameter only."""
    if path == DOWNLOAD_PATH:
        token = parse_qs(query).get("filepath", [""])[0]
        return f"{path}?filepath={token}"
    return f"{path}?{query}" if query else path


def _not_modified(response_headers: Mapping[str, str], request: Mapping[str, str]) -> bool:
    etag = response_headers.get("ETag")
    if "if-none-match" in request:
        if not etag:
            return False
        wanted = [t.strip().removeprefix("W/") for t in request["if-none-match"].split(",")]
        return "*" in wanted or etag in wanted
    modified = response_headers.get("Last-Modified")
    if "if-modified-since" in request and modified:
        try:
            return parsedate_to_datetime(modified) <= parsedate_to_datetime(request["if-modified-since"])
        except (TypeError, ValueError):
            return False
    return False


def _not_found() -> Response:
    body = b"<html><head><title>404</title></head><body><h1>404 Not Found</h1></body></html>"
    return Response(404, {"Content-Type": "text/html; charset=utf-8"}, body)


def _cacheable(body: bytes, content_type: str, modified: dt.datetime, **extra: str) -> Response:
    headers = {
        "Content-Type": content_type,
        "ETag": f'"{hashlib.sha256(body).hexdigest()}"',
        "Last-Modified": format_datetime(modified.astimezone(dt.UTC), usegmt=True),
        **extra,
    }
    return Response(200, headers, body)


# --------------------------------------------------------------------------- config helpers

def _parse_date(value: Any) -> dt.datetime:
    """'2023-09-01', '2022-10' (first of month) or a date -> 17:00 China time that day."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", str(value).strip())
        if not match:
            raise ValueError(f"unreadable published date: {value!r}")
        day = dt.date(int(match[1]), int(match[2]), int(match[3] or 1))
    return dt.datetime(day.year, day.month, day.day, 17, 0, tzinfo=CST)


def batch_month(batch_label: str) -> str:
    """'2023年8月' -> '2023-08'."""
    match = re.fullmatch(r"\s*(\d{4})年(\d{1,2})月\s*", batch_label)
    if not match:
        raise ValueError(f"unreadable batch label: {batch_label!r}")
    return f"{match[1]}-{int(match[2]):02d}"


def load_named_source(name: str, sources_dir: Path = SOURCES_DIR) -> dict[str, Any] | None:
    """The validated config of the source called `name` as plain data (the YAML's shape), or None."""
    if not config_path(name, sources_dir).is_file():
        return None
    return source_config(name, sources_dir).model_dump(exclude_unset=True)


def load_sources(sources_dir: Path = SOURCES_DIR) -> dict[str, dict[str, Any]]:
    """The validated configs of the list sources, as plain data, by list_type."""
    return {source.config.list_type: source.config.model_dump(exclude_unset=True)
            for source in load_source_registry(sources_dir).values() if source.config.list_type in LIST_TITLES}


def _token(list_type: str, batch_label: str, notice_url: str) -> str:
    digest = hashlib.sha256(f"{list_type}|{batch_label}|{notice_url}".encode()).hexdigest()
    return f"/upload/{digest[:4]}/{digest[4:36]}"


def synthetic_available() -> bool:
    """Whether the synthetic-DOCX module can be imported."""
    if sys.modules.get(SYNTHETIC_MODULE) is not None:
        return True
    try:
        return importlib.util.find_spec(SYNTHETIC_MODULE) is not None
    except (ImportError, ValueError):
        return False


# --------------------------------------------------------------------------- HTML

STANDARD_PARAGRAPHS = (
    "根据《{rule}》，现公开发布{what}。相关备案信息可通过互联网信息服务算法备案系统"
    "（https://beian.cac.gov.cn）进行查询。",
    "如对公开发布的备案信息有异议，请发送邮件至 {email} 反映。",
)
OBJECTION_EMAIL = "beian-objection@mirror.invalid"  # placeholder: the real address is not recorded
RULES = {
    "deep_synthesis": ("互联网信息服务深度合成管理规定", "境内深度合成服务算法备案信息"),
    "algo_recommendation": ("互联网信息服务算法推荐管理规定", "境内互联网信息服务算法备案信息"),
    "genai_service": ("生成式人工智能服务管理暂行办法", "生成式人工智能服务已备案信息"),
}


def _page(title: str, body: str, page_id: str) -> bytes:
    """A CAC-style page shell around `body`, with the page-statistics script after it."""
    esc = html.escape(title)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="keywords" content="{esc}">
<title>{esc}_中央网络安全和信息化委员会办公室</title>
<link rel="stylesheet" href="/css/main.css">
</head>
<body>
<div class="header"><div class="logo"><a href="https://www.cac.gov.cn/">中国网信网</a></div></div>
<div class="container">
{body}
</div>
<div class="footer"><p>主办：中共中央网络安全和信息化委员会办公室
中华人民共和国国家互联网信息办公室</p></div>
<script type="text/javascript">
var _pageStat = {{siteId: "cac", pageId: "{page_id}", channel: "A093702"}};
(function () {{ var s = document.createElement("script"); s.async = true;
  s.src = "/js/pagestat.js?id=" + _pageStat.pageId; document.body.appendChild(s); }})();
</script>
</body>
</html>
""".encode()


def _page_id(url: str) -> str:
    return Path(urlsplit(url).path).stem


def notice_page(title: str, published: dt.datetime, list_type: str | None, attachments: Sequence[Any],
                url: str) -> bytes:
    """A notice page: title, #pubtime, #BodyLabel with the standard paragraphs and attachment links."""
    paragraphs: list[str] = []
    if list_type:
        rule, what = RULES[list_type]
        paragraphs += [p.format(rule=rule, what=what, email=OBJECTION_EMAIL) for p in STANDARD_PARAGRAPHS]
        paragraphs.append("特此公告。")
    else:
        paragraphs.append("现将有关信息予以公告。")
    parts = [f'<p style="text-indent: 2em;">{html.escape(p)}</p>' for p in paragraphs]
    parts.append('<p style="text-align: right;">国家互联网信息办公室</p>')
    parts.append(f'<p style="text-align: right;">{published.year}年{published.month}月{published.day}日</p>')
    for att in attachments:
        parts.append(f"<p>{html.escape(att.attachment_label)}</p>")
        parts.append(f'<p><a href="{html.escape(att.href)}">{html.escape(att.file_name)}</a></p>')
    body = f"""<div class="main">
<div class="main-title"><h1 class="title">{html.escape(title)}</h1></div>
<div class="xinxi"><span id="pubtime">{published:%Y年%m月%d日 %H:%M}</span>
<span id="source">来源：中国网信网</span></div>
<div class="main-content"><div id="BodyLabel">
{chr(10).join(parts)}
</div></div>
</div>"""
    return _page(title, body, _page_id(url))


def listing_page(items: list[tuple[str, str, dt.datetime]]) -> bytes:
    """The channel listing: `#loadingInfoPage li h5 a[title]` with `.times`, newest first.

    Link forms cycle through absolute, site-relative and protocol-relative URLs.
    """
    rows = []
    for i, (url, title, published) in enumerate(sorted(items, key=lambda item: item[2], reverse=True)):
        parts = urlsplit(url)
        href = (url, parts.path, f"//{parts.netloc}{parts.path}")[i % 3]
        esc = html.escape(title)
        rows.append(
            f'<li><h5><a href="{html.escape(href)}" title="{esc}" target="_blank">{esc}</a></h5>'
            f'<span class="times">{published:%Y-%m-%d}</span></li>'
        )
    body = f"""<div class="list">
<div class="list-title"><h2>算法备案</h2></div>
<ul id="loadingInfoPage">
{chr(10).join(rows)}
</ul>
<div class="page"><span class="current">1</span></div>
</div>"""
    return _page("算法备案", body, "A093702index_1")


ROBOTS = b"User-agent: *\nAllow: /\n"


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


def good_referer(referer: str | None) -> bool:
    """The real endpoint serves files only to requests coming from a cac.gov.cn page."""
    return bool(referer) and referer.startswith(f"https://{HOST}/")


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
    configs = load_sources(sources_dir)
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


# --------------------------------------------------------------------------- generative-AI lists

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
