"""News article pages and feeds: headline, publication time, dateline, byline, body, canonical URL.

Publication time, in order: `<meta property="article:published_time">`, JSON-LD `datePublished`,
`<time datetime>`, then a visible date ("Aug 6, 2024, 12:30 AM"), read in the outlet's time zone.
`published_date` is the calendar date where the article was published (its own offset), which
is the date a reader sees; `published_utc` keeps the instant.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Tag

from regtrail.log.text import http_url
from regtrail.parsers.errors import ParseError
from regtrail.parsers.html_text import text_prefixes

PARSER_NAME = "news_article"
PARSER_VERSION = "2"  # 2: canonical URL only when http(s) on the fetched site

_VISIBLE_DATE = re.compile(
    r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})"
    r"(?:,?\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[AP]M)?)?", re.I)
_CHINESE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2}):(\d{2}))?")
_DATELINE = re.compile(r"^\s*([A-Z][A-Z .,'/-]{2,40}?)\s*(\([^)]{2,40}\))?\s*[—–-]{1,2}\s+")
_DATE_TEXT = 500  # characters of a date-like element searched for a visible date
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                        "dec"), 1)}


class NewsParseError(ParseError):
    """A page that does not look like a news article."""

    parser_module = __name__


@dataclass
class ArticleRecord:
    canonical_url: str | None  # the page's canonical URL, only when http(s) on the fetched site
    headline: str
    published_time: str | None  # ISO 8601 with the page's own offset
    published_utc: str | None
    published_date: str | None  # local calendar date
    date_source: str | None  # meta | json-ld | time | visible
    dateline: str | None
    byline: str | None
    outlet: str | None  # the name the page gives itself (a claim: the source config names the outlet)
    language: str | None
    body: str
    notes: list[str] = field(default_factory=list)  # what the page claimed that was not kept, and why

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _parse_iso(value: str | None, zone: ZoneInfo) -> dt.datetime | None:
    if not value:
        return None
    try:
        stamp = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=zone)


def _json_ld(soup: BeautifulSoup) -> dict[str, Any]:
    """The first JSON-LD object describing an article."""
    for script in soup.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(script.string or "")
        except ValueError:
            continue
        for item in data if isinstance(data, list) else data.get("@graph", [data]) if isinstance(data, dict) else []:
            kind = item.get("@type") if isinstance(item, dict) else None
            kinds = kind if isinstance(kind, list) else [kind]
            if any(k and "Article" in str(k) for k in kinds):
                return item
    return {}


def _date_in(text: str, zone: ZoneInfo) -> dt.datetime | None:
    match = _VISIBLE_DATE.search(text)
    if match:
        hour = int(match["hour"] or 0)
        if match["ampm"]:
            hour = hour % 12 + (12 if match["ampm"].upper() == "PM" else 0)
        return dt.datetime(int(match["year"]), _MONTHS[match["mon"][:3].lower()], int(match["day"]), hour,
                           int(match["minute"] or 0), tzinfo=zone)
    match = _CHINESE_DATE.search(text)
    if match:
        return dt.datetime(int(match[1]), int(match[2]), int(match[3]), int(match[4] or 0), int(match[5] or 0),
                           tzinfo=zone)
    return None


def _visible_date(soup: BeautifulSoup, nodes: list[Tag], zone: ZoneInfo) -> dt.datetime | None:
    """The first date shown in a date-like element, read from the start of its text (`_DATE_TEXT` characters:
    the texts of all elements come from one pass, so nested date containers cost linear time)."""
    if not nodes:
        return None
    texts = text_prefixes(soup, _DATE_TEXT, " ")
    seen: set[str] = set()
    for node in nodes:
        text = texts.get(id(node), ("", False))[0]
        if text in seen:  # nested containers often start with the same text
            continue
        seen.add(text)
        found = _date_in(text, zone)
        if found is not None:
            return found
    return None


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    return " ".join(value) if isinstance(value, list) else str(value or "")


# The body containers tried in order: `[itemprop=articleBody]`, then these classes, then `<article>`.
_BODY_CLASSES = ("article-body", "ds-article-body", "p-article__body", "story-body")
_BYLINE_CLASSES = frozenset({"byline", "author", "credit"})


@dataclass
class _Scan:
    """What one walk over the page found (CSS selectors through soupsieve cost a walk each, with a large
    constant): the first element of each body kind, the date-like elements (`[class*=date]`, `[class*=time]`,
    `[class*=posted]`, `time`), the first byline element (`.byline, .author, .credit, [rel=author]`), the first
    `link rel=canonical` and `time[datetime]`, and the first `<meta>` of each property and name."""

    bodies: list[Tag | None] = field(default_factory=lambda: [None] * (len(_BODY_CLASSES) + 2))
    dates: list[Tag] = field(default_factory=list)
    byline: Tag | None = None
    canonical: Tag | None = None
    time: Tag | None = None
    meta_property: dict[str, Tag] = field(default_factory=dict)
    meta_name: dict[str, Tag] = field(default_factory=dict)

    def meta(self, *names: str) -> str | None:
        for name in names:
            node = self.meta_property.get(name) or self.meta_name.get(name)
            if node and node.get("content"):
                return str(node["content"]).strip()
        return None

    def visit(self, tag: Tag) -> None:
        name, attrs = tag.name, tag.attrs
        raw_classes = attrs.get("class") or ()
        classes = raw_classes if isinstance(raw_classes, list) else str(raw_classes).split()
        if self.bodies[0] is None and _attr(tag, "itemprop") == "articleBody":
            self.bodies[0] = tag
        for index, cls in enumerate(_BODY_CLASSES, 1):
            if self.bodies[index] is None and cls in classes:
                self.bodies[index] = tag
        if name == "article" and self.bodies[-1] is None:
            self.bodies[-1] = tag
        joined = " ".join(classes)
        if name == "time" or "date" in joined or "time" in joined or "posted" in joined:
            self.dates.append(tag)
        if self.byline is None and (_BYLINE_CLASSES.intersection(classes) or _attr(tag, "rel") == "author"):
            self.byline = tag
        if name == "meta":
            for attr, table in (("property", self.meta_property), ("name", self.meta_name)):
                if attrs.get(attr) is not None:
                    table.setdefault(_attr(tag, attr), tag)
        elif name == "link" and self.canonical is None and "canonical" in (attrs.get("rel") or ()):
            self.canonical = tag
        elif name == "time" and self.time is None and attrs.get("datetime") is not None:
            self.time = tag


def _scan(soup: BeautifulSoup) -> _Scan:
    scan = _Scan()
    for node in soup.descendants:
        if isinstance(node, Tag):
            scan.visit(node)
    return scan


def same_site(url: str, other: str) -> bool:
    """Whether two URLs are on the same registrable domain (`www.scmp.com` and `scmp.com`; the Public Suffix
    List decides, so `a.github.io` and `b.github.io` are not); IP literals and single labels only when equal."""
    host, other_host = (urlsplit(u).hostname or "" for u in (url, other))
    return bool(host) and _registrable(host) == _registrable(other_host)


@cache
def _suffixes() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def _registrable(host: str) -> str:
    host = host.rstrip(".").lower()
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        return _suffixes().privatesuffix(host) or host


def _canonical(scan: _Scan, url: str, notes: list[str]) -> str | None:
    """The page's canonical URL (`link rel=canonical`, else `og:url`) resolved against `url`, when it is an
    http(s) URL on the fetched site; otherwise None, with a note saying what was dropped."""
    link = scan.canonical
    claimed = str(link["href"]) if link and link.get("href") else scan.meta("og:url")
    if not claimed:
        return None
    resolved = urljoin(url, claimed.strip())
    if http_url(resolved) is None:
        notes.append(f"canonical URL dropped (not http(s)): {claimed[:200]}")
        return None
    if not same_site(url, resolved):
        notes.append(f"canonical URL dropped (another site than the one fetched): {resolved[:200]}")
        return None
    return http_url(resolved)


def parse_article(html: str, url: str, *, timezone: str = "UTC") -> ArticleRecord:
    """One article page fetched from `url`; `timezone` is the outlet's zone for dates shown without an offset.
    Linear in the page size: the tree is walked a fixed number of times."""
    zone = ZoneInfo(timezone)
    soup = BeautifulSoup(html, "lxml")
    for junk in soup(["script", "style", "noscript"]):
        if junk.get("type") != "application/ld+json":
            junk.decompose()
    ld = _json_ld(soup)
    scan = _scan(soup)
    notes: list[str] = []
    canonical_url = _canonical(scan, url, notes)
    heading = soup.find("h1")
    headline = (heading.get_text(" ", strip=True) if heading else None) or ld.get("headline") or scan.meta("og:title")
    if not headline:
        raise NewsParseError("no headline (h1, JSON-LD headline or og:title)")

    published, source = _parse_iso(scan.meta("article:published_time"), zone), "meta"
    if published is None:
        published, source = _parse_iso(ld.get("datePublished"), zone), "json-ld"
    if published is None:
        node = scan.time
        published, source = _parse_iso(str(node["datetime"]) if node else None, zone), "time"
    if published is None:
        published, source = _visible_date(soup, scan.dates, zone), "visible"

    container = next((found for found in scan.bodies if found is not None), soup.body)
    paragraphs = [p.get_text(" ", strip=True) for p in (container.find_all("p") if container else [])]
    paragraphs = [p for p in paragraphs if len(p) > 40 or p.endswith((".", "。"))]
    if not paragraphs:
        raise NewsParseError("no article body paragraphs")
    author = ld.get("author")
    if isinstance(author, list):
        author = author[0] if author else None
    byline = (author.get("name") if isinstance(author, dict) else author) or scan.meta("author") or (
        scan.byline.get_text(" ", strip=True) if scan.byline else None)
    dateline = _DATELINE.match(paragraphs[0])
    html_tag = soup.find("html")
    publisher = ld.get("publisher")
    return ArticleRecord(
        canonical_url=canonical_url, headline=str(headline).strip(),
        published_time=published.isoformat() if published else None,
        published_utc=published.astimezone(dt.UTC).isoformat() if published else None,
        published_date=published.date().isoformat() if published else None,
        date_source=source if published else None,
        dateline=dateline[1].strip().rstrip(",") if dateline else None,
        byline=re.sub(r"^By\s+", "", str(byline)).strip() if byline else None,
        outlet=scan.meta("og:site_name") or (publisher.get("name") if isinstance(publisher, dict) else None),
        language=str(html_tag.get("lang")) if html_tag and html_tag.get("lang") else None,
        body="\n\n".join(paragraphs), notes=notes,
    )


@dataclass
class FeedEntry:
    url: str
    title: str
    summary: str
    published_utc: str | None


def parse_feed(body: bytes) -> list[FeedEntry]:
    """Entries of an RSS or Atom feed (feedparser), with publication times in UTC."""
    import calendar

    import feedparser

    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise NewsParseError(f"not a feed: {parsed.get('bozo_exception')}")
    entries = []
    for entry in parsed.entries:
        link = http_url(entry.get("link"))
        if not link:  # no link, or not an http(s) one (javascript:, data: ...)
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        when = dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC).isoformat() if stamp else None
        entries.append(FeedEntry(link, entry.get("title", ""), entry.get("summary", ""), when))
    return entries
