"""Parsers for CAC HTML pages: notice pages (with attachment links) and channel listings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from regtrail.parsers.errors import ParseError

if TYPE_CHECKING:  # bs4 is imported where pages are parsed: `regtrail parse` of a DOCX starts without it
    from bs4 import Tag

PARSER_NAME = "cac_pages"
PARSER_VERSION = "1"

_PUBTIME = re.compile(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?(?:\s*(\d{1,2}):(\d{2}))?")
_LABEL = re.compile(r"^\s*附件\s*(\d*)\s*[:：]?")
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


def _file_name(href: str, link: Tag) -> str | None:
    query = parse_qs(urlsplit(href).query)
    if query.get("fText"):
        return unquote(query["fText"][0]).strip()
    text = link.get_text(" ", strip=True)
    return _LABEL.sub("", text).strip() or None


def parse_notice(html: str, url: str) -> Notice:
    """Title, publication time and attachment links of a CAC notice page."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(html, "lxml")
    heading = soup.select_one(".main-title h1.title") or soup.select_one("h1.title") or soup.select_one("h1")
    body = soup.select_one("#BodyLabel")
    if heading is None or body is None:
        missing = "title (.main-title h1.title)" if heading is None else "body (#BodyLabel)"
        raise PageParseError(f"not a CAC notice page: no {missing}")
    pubtime_node = soup.select_one("#pubtime")
    notice = Notice(url=url, title=heading.get_text(strip=True),
                    pubtime=parse_pubtime(pubtime_node.get_text(" ", strip=True)) if pubtime_node else None)
    label: str | None = None
    for node in body.descendants:
        if not isinstance(node, Tag):
            continue
        if node.name == "a" and node.get("href"):
            href = str(node["href"])
            if "downloadfile" not in href and not re.search(r"\.(docx?|pdf|xlsx?|zip|wps)$", href, re.I):
                continue
            link_label = _LABEL.match(node.get_text(strip=True))
            own = f"附件{link_label.group(1)}" if link_label else label
            notice.attachments.append(Attachment(own, _file_name(href, node), urljoin(url, href)))
        elif node.name in {"p", "div", "span"} and not node.find("a"):
            match = _LABEL.match(node.get_text(strip=True))
            if match and len(node.get_text(strip=True)) <= 12:
                label = f"附件{match.group(1)}"
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
        items.append(ListingItem(title, urljoin(url, str(link["href"])), stamp.date() if stamp else None))
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
