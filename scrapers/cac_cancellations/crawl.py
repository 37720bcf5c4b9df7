"""Cancellation notices on the algorithm filing system (beian.cac.gov.cn): one PDF per notice.

The notice list comes from the system's JSON API; each notice whose title speaks of 注销 is
downloaded and becomes a `cancellation_notice` record plus one `filing_cancellation` record per
cancelled filing number, dated by the notice. Expected counts per notice date come from the YAML.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from regtrail.crawl.api import CancellationNotice, CancellationParseError, ListedNotice, records
from regtrail.crawl.api import cancellation_notice as parser

if TYPE_CHECKING:  # the context's fetching stack is not imported by `regtrail parse`
    from regtrail.crawl.api import Context, Document


def crawl(context: Context) -> None:
    """Read the notice list, then every cancellation notice's PDF."""
    listing = context.config.listing
    if listing is None or not listing.url or not listing.download_url:
        raise ValueError(f"{context.source.name}: source.yml needs listing.url and listing.download_url")
    page = context.fetch(listing.url, purpose="listing", expect="any")
    if page is None:
        return
    try:
        notices = parser.parse_notice_list(page.body.decode("utf-8"))
    except (CancellationParseError, UnicodeDecodeError) as exc:
        context.fail(page, exc if isinstance(exc, CancellationParseError) else CancellationParseError(str(exc)))
        return
    for notice in notices:
        if "注销" not in notice.title:
            continue
        url = listing.download_url.format(notice_id=notice.notice_id)
        document = context.fetch(url, purpose="attachment", referer="https://beian.cac.gov.cn/", expect="document")
        if document is not None:
            handle_notice(context, notice, document)


def expected_count(context: Context, published: str | None) -> int | None:
    for entry in context.config.cancellations:
        if entry.published == published:
            return entry.expected_count
    return None


def handle_notice(context: Context, notice: ListedNotice, document: Document) -> None:
    """Emit the notice and its cancelled filings."""
    try:
        parsed = parser.parse_cancellation_pdf(document.body)
    except CancellationParseError as exc:
        context.fail(document, exc, notice_id=notice.notice_id)
        return
    emit_notice(context, notice, document, parsed)


def accepts(document: Document) -> bool:
    """A document handed over (`ingest`, `parse`) that this source parses: a PDF."""
    return document.detected_type == "pdf"


def handle_document(context: Context, document: Document) -> None:
    """One notice PDF, its id the last part of its download URL (a ParseError when it is not a notice)."""
    notice_id = notice_id_of(document.url)
    try:
        parsed = parser.parse_cancellation_pdf(document.body)
    except CancellationParseError as exc:
        raise exc.with_details(notice_id=notice_id) from None
    emit_notice(context, ListedNotice(notice_id=notice_id, title=parsed.title or "", published=None), document, parsed)


def notice_id_of(url: str) -> str:
    """The notice id of a cancellation PDF: the last part of its download URL's query (or of the file name)."""
    parts = urlsplit(url)
    return (parts.query.rsplit("=", 1)[-1] if parts.query else "") or Path(parts.path).stem


def emit_notice(context: Context, notice: ListedNotice, document: Document, parsed: CancellationNotice) -> None:
    """The records of a parsed notice: its cancellation_notice, then one filing_cancellation per row."""
    published = date.fromisoformat(notice.published) if notice.published else None
    head = records.CancellationNotice(**parsed.summary(), notice_id=notice.notice_id, title=notice.title,
                                      expected_count=expected_count(context, notice.published))
    context.emit(head, notice.notice_id, document=document, parser=parser, published_at=published,
                 published_precision="day")
    for row in parsed.rows:
        record = records.FilingCancellation(**row.as_dict(), notice_id=notice.notice_id, notice_title=notice.title)
        key = record.filing_number or f"{notice.notice_id}#row{row.row_index}"  # the identity form (text boundary)
        context.emit(record, key, document=document, parser=parser, published_at=published,
                     published_precision="day")
