"""News coverage: outlets' RSS/Atom feeds and the article pages they link to.

Feed entries on topic (keywords in the YAML) are fetched and parsed into `news_article` records keyed
by canonical URL (else the URL fetched) and dated by the article's own publication date. Which companies
an article names is decided in the warehouse, from the reviewed alias seed.

Provenance is ours, not the page's: a record's `url` is the URL fetched, its `outlet` the outlet this
source's config names for the fetched host (none for another host), and a canonical URL the page claims is
kept only when it is http(s) on the fetched site (news_article.parse_article).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from regtrail.crawl.sources import Outlet, source_config
from regtrail.log import records
from regtrail.parsers import cac_pages, news_article
from regtrail.parsers.news_article import FeedEntry, NewsParseError

if TYPE_CHECKING:  # the context's fetching stack is not imported by `regtrail parse`
    from regtrail.crawl.context import Context
    from regtrail.fetch.document import Document


def crawl(context: Context) -> None:
    """Every outlet's feeds, then the on-topic articles they list."""
    keywords = [k.lower() for k in context.config.topic_keywords]
    limit = context.config.max_articles_per_feed
    seen: set[str] = set()
    for outlet in context.config.outlets:
        for feed_url in outlet.feeds:
            feed = context.fetch(feed_url, purpose="listing", expect="any")
            if feed is None:
                continue
            try:
                entries = news_article.parse_feed(feed.body)
            except NewsParseError as exc:
                context.fail(feed, str(exc), parser=news_article.PARSER_NAME,
                             parser_version=news_article.PARSER_VERSION)
                continue
            for entry in [e for e in entries if on_topic(e, keywords)][:limit]:
                if entry.url in seen:
                    continue
                seen.add(entry.url)
                page = context.fetch(entry.url, purpose="article")
                if page is not None:
                    handle_article(context, page, feed_entry=entry, feed_url=feed_url)


def on_topic(entry: FeedEntry, keywords: list[str]) -> bool:
    text = f"{entry.title} {entry.summary}".lower()
    return not keywords or any(re.search(rf"\b{re.escape(k)}\b", text) for k in keywords)


@cache
def _outlets() -> tuple[Outlet, ...]:
    """This source's outlets, also when `ingest` (source adhoc) hands an article over."""
    return tuple(source_config("news").outlets)


def outlet_for(url: str) -> Outlet | None:
    """The configured outlet serving `url` (by host), or None."""
    host = urlsplit(url).hostname  # lower case, without user information or port
    return next((o for o in _outlets() if o.host.lower() == host), None)


def accepts(document: Document) -> bool:
    """A document handed to `ingest` that this source parses: an HTML page that is not a CAC notice."""
    return document.detected_type == "html" and not cac_pages.is_notice_page(document.text())


def handle_document(context: Context, document: Document) -> None:
    """An accepted document (see `accepts`): one article page."""
    handle_article(context, document)


def handle_article(context: Context, page: Document, *, feed_entry: FeedEntry | None = None,
                   feed_url: str | None = None) -> bool:
    """Parse one article page and emit its `news_article` record; False when it is not an article."""
    outlet = outlet_for(page.url)
    try:
        article = news_article.parse_article(page.text(), page.url, timezone=outlet.timezone if outlet else "UTC")
    except NewsParseError as exc:
        context.fail(page, str(exc), parser=news_article.PARSER_NAME, parser_version=news_article.PARSER_VERSION)
        return False
    fields = article.as_dict()
    claimed, notes = fields.pop("outlet"), fields.pop("notes")
    record = records.NewsArticle(
        **fields, url=page.url, host=urlsplit(page.url).hostname or "",
        outlet=outlet.name if outlet else None, feed_url=feed_url,
        feed_published_utc=feed_entry.published_utc if feed_entry else None,
        **({"site_name": claimed} if claimed else {}), **({"notes": notes} if notes else {}))
    published = date.fromisoformat(article.published_date) if article.published_date else None
    context.emit(record, record.canonical_url or record.url, document=page, parser=news_article.PARSER_NAME,
                 parser_version=news_article.PARSER_VERSION, published_at=published,
                 published_precision="day" if published else None)
    return True
