"""Parsers for CAC HTML pages: notice pages (with attachment links) and channel listings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from regtrail.log.text import http_url
from regtrail.parsers.errors import ParseError
from regtrail.parsers.notice_scan import scan_notice

PARSER_NAME = "cac_pages"
PARSER_VERSION = "1"

_PUBTIME = re.compile(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?(?:\s*(\d{1,2}):(\d{2}))?")
_LABEL = re.compile(r"^\s*附件\s*(\d*)\s*[:：]?")
_LABEL_MAX = 12  # a label paragraph (`附件2：`) holds at most this many characters
_BATCH = re.compile(r"[（(]\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*[）)]")


class PageParseError(ParseError):
    """A page that does not have the structure we rely on."""

    parser_module = __name__


@dataclass
class Attachment:
    label: str | None
    file_name: str | None
    url: str

    def as_dict(self) -> dict[str, str | None]:
        return {"label": self.label, "file_name": self.file_name, "url": self.url}


@dataclass
class Notice:
    url: str
    title: str
    pubtime: datetime | None
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def published(self) -> date | None:
        return self.pubtime.date() if self.pubtime else None


@dataclass
class ListingItem:
    title: str
    url: str
    date: date | None


def parse_pubtime(text: str) -> datetime | None:
    """`2023年09月01日 17:00` (or `2023-09-01`) as a naive Beijing-time datetime."""
    match = _PUBTIME.search(text or "")
    if not match:
        return None
    year, month, day, hour, minute = (int(g) if g else 0 for g in match.groups())
    return datetime(year, month, day, hour, minute)


def batch_label_from_name(name: str | None) -> str | None:
    """`…清单（2023年08月）.docx` -> `2023年8月`."""
    match = _BATCH.search(name or "")
    return f"{match.group(1)}年{int(match.group(2))}月" if match else None


def _file_name(href: str, link_text: str) -> str | None:
    query = parse_qs(urlsplit(href).query)
    if query.get("fText"):
        return unquote(query["fText"][0]).strip()
    return _LABEL.sub("", link_text).strip() or None


def _label(text: str) -> str | None:
    match = _LABEL.match(text)
    return f"附件{match.group(1)}" if match else None


def parse_notice(html: str, url: str) -> Notice:
    """Title, publication time and attachment links of a CAC notice page.

    One streaming pass (notice_scan), linear in the page: asking every p/div/span for its text and its links,
    as a tree walk per element, was quadratic on nested markup.
    """
    scan = scan_notice(html, _LABEL_MAX, _label)
    heading = scan.heading()
    if heading is None or not scan.body_seen:
        missing = "title (.main-title h1.title)" if heading is None else "body (#BodyLabel)"
        raise PageParseError(f"not a CAC notice page: no {missing}")
    notice = Notice(url=url, title="".join(heading),
                    pubtime=parse_pubtime(" ".join(scan.pubtime)) if scan.pubtime is not None else None)
    for link in scan.attachments():
        href = link.href
        if "downloadfile" not in href and not re.search(r"\.(docx?|pdf|xlsx?|zip|wps)$", href, re.I):
            continue
        target = http_url(urljoin(url, href))
        if target is None:  # javascript:, data: ...: only http(s) links become attachments
            continue
        own = _label("".join(link.strings)) or link.label_before
        notice.attachments.append(Attachment(own, _file_name(href, " ".join(link.strings)), target))
    return notice


def parse_listing(html: str, url: str) -> list[ListingItem]:
    """Notices on a CAC channel listing page (`#loadingInfoPage li h5 a[title]` with `.times`)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    container = soup.select_one("#loadingInfoPage")
    if container is None:
        raise PageParseError("not a CAC channel listing page: no #loadingInfoPage")
    items = []
    for li in container.select("li"):
        link = li.select_one("h5 a[href]")
        if link is None:
            continue
        when = li.select_one(".times")
        stamp = parse_pubtime(when.get_text(strip=True)) if when else None
        title = str(link.get("title") or link.get_text(strip=True)).strip()
        target = http_url(urljoin(url, str(link["href"])))
        if target is not None:  # only http(s) links are followed
            items.append(ListingItem(title, target, stamp.date() if stamp else None))
    return items


def is_notice_page(html: str) -> bool:
    """Whether a page has the body of a CAC notice (cheap check on the text, no parse)."""
    return 'id="BodyLabel"' in html


def is_genai_notice(notice: Notice) -> bool:
    """Whether a notice announces generative-AI service filings (its title says so)."""
    return "生成式人工智能" in notice.title


def is_genai_notice_page(html: str, url: str) -> bool:
    """A CAC notice page announcing generative-AI service filings (False when it does not parse)."""
    if not is_notice_page(html):
        return False
    try:
        return is_genai_notice(parse_notice(html, url))
    except PageParseError:
        return False
