"""News article pages and feeds: headline, publication time, dateline, byline, body, canonical URL.

Publication time, in order: `<meta property="article:published_time">`, JSON-LD `datePublished`,
`<time datetime>`, then a visible date ("Aug 6, 2024, 12:30 AM"), read in the outlet's time zone.
`published_date` is the calendar date where the article was published (its own offset), which
is the date a reader sees; `published_utc` keeps the instant.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup

from regtrail.parsers.errors import ParseError

PARSER_NAME = "news_article"
PARSER_VERSION = "1"

_BODY_SELECTORS = ("[itemprop=articleBody]", ".article-body", ".ds-article-body", ".p-article__body",
                   ".story-body", "article")
_VISIBLE_DATE = re.compile(
    r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})"
    r"(?:,?\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[AP]M)?)?", re.I)
_CHINESE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2}):(\d{2}))?")
_DATELINE = re.compile(r"^\s*([A-Z][A-Z .,'/-]{2,40}?)\s*(\([^)]{2,40}\))?\s*[—–-]{1,2}\s+")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                        "dec"), 1)}


class NewsParseError(ParseError):
    """A page that does not look like a news article."""

    parser_module = __name__


@dataclass
class ArticleRecord:
    canonical_url: str
    headline: str
    published_time: str | None  # ISO 8601 with the page's own offset
    published_utc: str | None
    published_date: str | None  # local calendar date
    date_source: str | None  # meta | json-ld | time | visible
    dateline: str | None
    byline: str | None
    outlet: str | None
    language: str | None
    body: str

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
        for item in data if isinstance(data, list) else data.get("@graph", [data]):
            kind = item.get("@type") if isinstance(item, dict) else None
            kinds = kind if isinstance(kind, list) else [kind]
            if any(k and "Article" in str(k) for k in kinds):
                return item
    return {}


def _visible_date(soup: BeautifulSoup, zone: ZoneInfo) -> dt.datetime | None:
    nodes = soup.select("[class*=date], [class*=time], [class*=posted], time")
    for text in [n.get_text(" ", strip=True) for n in nodes]:
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


def _meta(soup: BeautifulSoup, *names: str) -> str | None:
    for name in names:
        node = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if node and node.get("content"):
            return str(node["content"]).strip()
    return None


def parse_article(html: str, url: str, *, timezone: str = "UTC") -> ArticleRecord:
    """One article page; `timezone` is the outlet's zone for dates shown without an offset."""
    zone = ZoneInfo(timezone)
    soup = BeautifulSoup(html, "lxml")
    for junk in soup(["script", "style", "noscript"]):
        if junk.get("type") != "application/ld+json":
            junk.decompose()
    ld = _json_ld(soup)
    canonical = soup.find("link", rel="canonical")
    canonical_url = urljoin(url, str(canonical["href"])) if canonical and canonical.get("href") else (
        _meta(soup, "og:url") or url)
    heading = soup.find("h1")
    headline = (heading.get_text(" ", strip=True) if heading else None) or ld.get("headline") or _meta(soup, "og:title")
    if not headline:
        raise NewsParseError("no headline (h1, JSON-LD headline or og:title)")

    published, source = _parse_iso(_meta(soup, "article:published_time"), zone), "meta"
    if published is None:
        published, source = _parse_iso(ld.get("datePublished"), zone), "json-ld"
    if published is None:
        node = soup.find("time", attrs={"datetime": True})
        published, source = _parse_iso(str(node["datetime"]) if node else None, zone), "time"
    if published is None:
        published, source = _visible_date(soup, zone), "visible"

    container = next((found for sel in _BODY_SELECTORS if (found := soup.select_one(sel)) is not None), soup.body)
    paragraphs = [p.get_text(" ", strip=True) for p in (container.find_all("p") if container else [])]
    paragraphs = [p for p in paragraphs if len(p) > 40 or p.endswith((".", "。"))]
    if not paragraphs:
        raise NewsParseError("no article body paragraphs")
    author = ld.get("author")
    if isinstance(author, list):
        author = author[0] if author else None
    byline_node = soup.select_one(".byline, .author, .credit, [rel=author]")
    byline = (author.get("name") if isinstance(author, dict) else author) or _meta(soup, "author") or (
        byline_node.get_text(" ", strip=True) if byline_node else None)
    dateline = _DATELINE.match(paragraphs[0])
    html_tag = soup.find("html")
    return ArticleRecord(
        canonical_url=canonical_url, headline=str(headline).strip(),
        published_time=published.isoformat() if published else None,
        published_utc=published.astimezone(dt.UTC).isoformat() if published else None,
        published_date=published.date().isoformat() if published else None,
        date_source=source if published else None,
        dateline=dateline[1].strip().rstrip(",") if dateline else None,
        byline=re.sub(r"^By\s+", "", byline).strip() if byline else None,
        outlet=_meta(soup, "og:site_name") or (ld.get("publisher") or {}).get("name"),
        language=str(html_tag.get("lang")) if html_tag and html_tag.get("lang") else None,
        body="\n\n".join(paragraphs),
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
        link = entry.get("link")
        if not link:
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        when = dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC).isoformat() if stamp else None
        entries.append(FeedEntry(link, entry.get("title", ""), entry.get("summary", ""), when))
    return entries
