"""The mirror's site model: responses, list attachments, the (host, path) route map and config helpers."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from regtrail.crawl.sources import SOURCES_DIR, config_path, source_config
from regtrail.crawl.sources import load_sources as load_source_registry

HOST = "www.cac.gov.cn"
DOWNLOAD_PATH = "/cms/pub/interact/downloadfile.jsp"
SYNTHETIC_MODULE = "regtrail.mirror.synthetic_docx"
DEFAULT_SYNTHETIC_COUNT = 30
CST = dt.timezone(dt.timedelta(hours=8))

LIST_TITLES = {
    "deep_synthesis": "境内深度合成服务算法备案清单",
    "algo_recommendation": "境内互联网信息服务算法备案清单",
}


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



def good_referer(referer: str | None) -> bool:
    """The real endpoint serves files only to requests coming from a cac.gov.cn page."""
    return bool(referer) and referer.startswith(f"https://{HOST}/")

