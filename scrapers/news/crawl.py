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

from regtrail.crawl import api

if TYPE_CHECKING:  # neither the fetching stack nor the HTML reader is imported before an HTML page needs it
    from regtrail.crawl.api import Context, Document, FeedEntry, Outlet


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
                entries = api.news_article.parse_feed(feed.body)
            except api.NewsParseError as exc:
                context.fail(feed, exc)
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
    return tuple(api.source_config("news").outlets)


def outlet_for(url: str) -> Outlet | None:
    """The configured outlet serving `url` (by host), or None."""
    host = urlsplit(url).hostname  # lower case, without user information or port
    return next((o for o in _outlets() if o.host.lower() == host), None)


def accepts(document: Document) -> bool:
    """A document handed over (`ingest`, `parse`) that this source parses: an HTML page that is neither a CAC
    notice nor a CAC channel listing."""
    if document.detected_type != "html":
        return False
    text = document.text()
    return not api.cac_pages.is_notice_page(text) and "loadingInfoPage" not in text


def handle_document(context: Context, document: Document) -> None:
    """An accepted document (see `accepts`): one article page."""
    handle_article(context, document)


def handle_article(context: Context, page: Document, *, feed_entry: FeedEntry | None = None,
                   feed_url: str | None = None) -> bool:
    """Parse one article page and emit its `news_article` record; False when it is not an article."""
    outlet = outlet_for(page.url)
    try:
        article = api.news_article.parse_article(page.text(), page.url, timezone=outlet.timezone if outlet else "UTC")
    except api.NewsParseError as exc:
        context.fail(page, exc)
        return False
    fields = article.as_dict()
    claimed, notes = fields.pop("outlet"), fields.pop("notes")
    record = api.records.NewsArticle(
        **fields, url=page.url, host=urlsplit(page.url).hostname or "",
        outlet=outlet.name if outlet else None, feed_url=feed_url,
        feed_published_utc=feed_entry.published_utc if feed_entry else None,
        **({"site_name": claimed} if claimed else {}), **({"notes": notes} if notes else {}))
    published = date.fromisoformat(article.published_date) if article.published_date else None
    context.emit(record, record.canonical_url or record.url, document=page, parser=api.news_article,
                 published_at=published,
                 published_precision="day" if published else None)
    return True
