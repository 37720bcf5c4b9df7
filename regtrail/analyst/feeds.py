"""Atom feeds of what each publication added, published in `$REGTRAIL_HOME/feeds/` (feedgen).

`all.atom` holds every change; `list-<list_type>.atom` the changes of one list type (filings,
changes and cancellations of deep-synthesis lists, generative-AI approvals, news tied to a list);
`group-<group_id>.atom` the changes naming one corporate group of the seed entity_aliases
(Huawei, Alibaba, ...), in English or Chinese. One entry per change (fct_publication_changes), newest
publication first; an entry's id is stable (`tag:` URI of the event), so a feed reader shows each
change once however often it polls.

Feeds are bounded and always valid XML whatever a record holds: an entry's title is at most
`safe.FEED_TITLE_CHARS` characters and each field of its summary `safe.FEED_FIELD_CHARS` (an ellipsis
marks the cut; the warehouse and the archive keep the whole text); characters XML cannot hold are
dropped; only http(s) links are written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from feedgen.feed import FeedGenerator

from regtrail.analyst import changes
from regtrail.analyst.db import records
from regtrail.analyst.safe import FEED_FIELD_CHARS, FEED_TITLE_CHARS, clip, http_url, xml_text

TAG = "tag:regtrail.invalid,2026:"
PUBLICATIONS_KEPT = 20  # the feeds hold the changes of the latest publications


def _feed(feed_id: str, title: str, subtitle: str, updated: datetime) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(xml_text(TAG + "feed/" + feed_id))
    feed.title(xml_text(title, FEED_TITLE_CHARS))
    feed.subtitle(xml_text(subtitle, FEED_FIELD_CHARS))
    feed.author({"name": "regtrail"})
    feed.link(href=f"{feed_id}.atom", rel="self")
    feed.language("en")
    feed.updated(updated)
    return feed


def _entry(feed: FeedGenerator, row: dict) -> None:
    """One change as an entry. Every string is made XML-safe and clipped (`analyst.safe`): a control
    character or a megabyte-long cell in one record never stops or swells a feed."""
    entry = feed.add_entry(order="append")
    key = row["event_id"] or f"{row['change_kind']}/{row['list_id']}"
    entry.id(xml_text(TAG + "change/" + key))
    who = row["entity_name"] or row["entity_group"]
    kind = changes.LABELS.get(row["change_kind"], row["change_kind"])
    title = " — ".join(clip(part, FEED_TITLE_CHARS) for part in (row["title"], who) if part)
    entry.title(xml_text(title or kind, FEED_TITLE_CHARS))
    entry.updated(row["published_at"])
    if row["event_date"]:
        entry.published(datetime.combine(row["event_date"], datetime.min.time(), UTC))
    link = http_url(row["source_url"])
    if link:
        entry.link(href=xml_text(link, FEED_FIELD_CHARS), rel="alternate")
    entry.category(term=xml_text(row["change_kind"]), label=xml_text(kind))
    if row["list_type"]:
        entry.category(term=xml_text("list_type:" + row["list_type"], FEED_TITLE_CHARS))
    if row["entity_group"]:
        entry.category(term=xml_text("group:" + row["entity_group"], FEED_TITLE_CHARS))
    details = [clip(row["description"] or "", FEED_FIELD_CHARS),
               *(f"{name}: {clip(str(row[name]), FEED_FIELD_CHARS)}"
                 for name in ("event_date", "entity_name", "entity_name_en", "entity_group", "filing_number",
                              "list_id") if row[name]),
               f"publication: {row['publication_id']}"]
    entry.summary(xml_text("\n".join(d for d in details if d)))


def _write(feed: FeedGenerator, rows: list[dict], path: Path) -> Path:
    for row in rows:
        _entry(feed, row)
    feed.atom_file(str(path), pretty=False)
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "unnamed"


def write_feeds(con: duckdb.DuckDBPyConnection, folder: Path) -> Path:
    """Write every feed into `folder` from the build's fct_publication_changes; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = records(con, f"""
        select c.* from fct_publication_changes as c
        where c.publication_id in (select publication_id from fct_publications
                                   order by published_at desc limit {PUBLICATIONS_KEPT})
        order by c.published_at desc, c.change_kind, c.event_date desc nulls last, c.event_id""")
    latest = records(con, "select published_at from fct_publications order by published_at desc limit 1")
    updated = latest[0]["published_at"] if latest else datetime.now(UTC)
    written = [_write(_feed("all", "regtrail: every change to the CAC algorithm registry",
                            "New lists, filings, changes, cancellations, approvals and news, per publication",
                            updated), rows, folder / "all.atom")]
    list_types = [r["list_type"] for r in records(
        con, "select distinct list_type from fct_list_batches union select 'genai_service' order by 1")]
    for list_type in list_types:
        subset = [r for r in rows if r["list_type"] == list_type]
        written.append(_write(_feed(f"list-{list_type}", f"regtrail: {list_type} lists",
                                    f"Changes from the regulator's {list_type} lists", updated),
                              subset, folder / f"list-{list_type}.atom"))
    groups = records(con, "select distinct group_id, group_name_en, group_name_zh from entity_aliases order by 1")
    for group in groups:
        names = {group["group_name_en"], group["group_name_zh"]}
        subset = [r for r in rows if r["entity_group"] in names or r["entity_group_zh"] in names]
        feed_id = f"group-{_slug(group['group_id'])}"
        written.append(_write(_feed(feed_id, f"regtrail: {group['group_name_en']} ({group['group_name_zh']})",
                                    f"Changes naming {group['group_name_en']} / {group['group_name_zh']}", updated),
                              subset, folder / f"{feed_id}.atom"))
    return folder
