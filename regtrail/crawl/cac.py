"""CAC notice pages whose attachments are lists: the helper behind the CAC list sources (`regtrail.crawl.api.cac`).

Serves deep-synthesis filings (one notice page per batch) and algorithm-recommendation filings (one page that
gains an attachment per batch), each from its own source folder; the generative-AI source uses its notice
discovery. Seeds, listing pages and expected counts come from the source's YAML file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from regtrail.log import records
from regtrail.parsers import cac_pages, docx_list
from regtrail.parsers.cac_pages import Attachment, Notice, PageParseError

if TYPE_CHECKING:  # neither the fetching stack nor pydantic is imported by `regtrail parse`
    from regtrail.crawl.context import Context
    from regtrail.crawl.sources import SourceConfig
    from regtrail.fetch.document import Document

LIST_SOURCES = ("cac_algo_recommendation", "cac_deep_synthesis")
"""The sources whose YAML says what each list published: a document handed over (ingest, parse) is matched
against all of them."""


def crawl_lists(context: Context) -> None:
    """Fetch listing and notice pages, then every list attachment; emit notices, lists and filings."""
    for url in notice_urls(context):
        page = context.fetch(url, purpose="notice")
        if page is not None:
            handle_notice(context, page)


def notice_urls(context: Context) -> list[str]:
    """The configured notice pages, then those discovered on the listing pages (counted in the stats)."""
    seen: list[str] = [n.url for n in context.config.notices]
    for url in discover(context):
        if url not in seen:
            seen.append(url)
            context.stats["discovered_notices"] += 1
    return seen


def discover(context: Context) -> list[str]:
    """Notice URLs found on the configured channel listing pages whose titles match the keywords."""
    listing = context.config.listing
    found = []
    for listing_url in listing.urls if listing else []:
        page = context.fetch(listing_url, purpose="listing")
        if page is None:
            continue
        try:
            items = cac_pages.parse_listing(page.text(), listing_url)
        except PageParseError as exc:
            context.fail(page, exc)
            continue
        found += [item.url for item in items if any(k in item.title for k in listing.title_keywords)]
    return found


def accepts_list_document(document: Document) -> bool:
    """A document handed over (`ingest`, `parse`) that the list sources parse: a list notice page or a DOCX file."""
    if document.detected_type != "html":
        return document.detected_type == "docx"
    text = document.text()
    return cac_pages.is_notice_page(text) and not cac_pages.is_genai_notice_page(text, document.url)


def handle_list_document(context: Context, document: Document) -> None:
    """An accepted document (see `accepts_list_document`): a notice page with its attachments, or one list file
    (a ParseError when it is not a list: the next source that accepts it may read it)."""
    configs = list_configs()
    if document.detected_type == "html":
        handle_notice(context, document, configs)
        return
    url = document.url
    notice, attachment = lone_file(url)
    try:
        parsed = docx_list.parse_list_docx(document.body)
    except docx_list.ListParseError as exc:
        raise exc.with_details(**attachment_details(notice, attachment)) from None
    emit_list(context, notice, attachment, document, parsed, configs)


def list_configs() -> list[Any]:
    """The configs of the CAC list sources (read-only, validated; no pydantic import when cached)."""
    from regtrail.crawl.source_cache import SOURCES_DIR, validated_config

    return [validated_config(name) for name in LIST_SOURCES if (SOURCES_DIR / name / "source.yml").exists()]


def handle_notice(context: Context, page: Document, configs: Sequence[Any] | None = None) -> None:
    """Emit the notice record of a fetched notice page, then fetch and parse its attachments."""
    configs = configs or [context.config]
    url = page.url
    try:
        notice = cac_pages.parse_notice(page.text(), url)
    except PageParseError as exc:
        context.fail(page, exc)
        return
    record = records.Notice(title=notice.title, pubtime=notice.pubtime.isoformat(sep=" ") if notice.pubtime else None,
                            attachments=[announced(configs, url, a) for a in notice.attachments])
    context.emit(record, url, document=page, parser=cac_pages, published_at=notice.published,
                 published_precision="day")
    for attachment in notice.attachments:
        document = context.fetch(attachment.url, purpose="attachment", referer=url, expect="document")
        if document is not None:
            parse_attachment(context, notice, attachment, document, configs)


def announced(configs: Sequence[SourceConfig], notice_url: str, attachment: Attachment) -> dict[str, Any]:
    """An attachment as the notice announces it, with its batch label and the expected row count."""
    batch_label = cac_pages.batch_label_from_name(attachment.file_name)
    return {**attachment.as_dict(), "batch_label": batch_label,
            "expected_count": expected_count(configs, notice_url, batch_label)}


def publication_date(notice: Notice, batch_label: str | None) -> tuple[date | None, str | None]:
    """When the list was published: the notice's date, or the labelled month when the page predates it."""
    published = notice.published
    if batch_label and published is not None:
        year, month = (int(x) for x in batch_label.rstrip("月").split("年"))
        if (year, month) > (published.year, published.month):
            return date(year, month, 1), "month"
    return published, "day"


def expected_count(configs: Sequence[SourceConfig], notice_url: str, batch_label: str | None,
                   list_type: str | None = None) -> int | None:
    """What the source says it published for this list (from the YAML), if known. A `lists` entry has no URL: it
    belongs to the crawling source's notice, or, when several sources' configs are searched (a document handed
    over), to the one notice its source configures."""
    for config in configs:
        if list_type and config.list_type and config.list_type != list_type:
            continue
        own_notice = notice_url if len(configs) == 1 else (config.notices[0].url if len(config.notices) == 1 else None)
        for entry in [*config.notices, *config.lists]:
            if entry.batch_label == batch_label and getattr(entry, "url", own_notice) == notice_url:
                return entry.expected_count
    return None


def lone_file(url: str) -> tuple[Notice, Attachment]:
    """The notice and attachment of a list file handed over alone (no notice page known): both named by its URL."""
    return Notice(url=url, title="", pubtime=None), Attachment(label=None, file_name=url.rsplit("/", 1)[-1], url=url)


def attachment_details(notice: Notice, attachment: Attachment) -> dict[str, Any]:
    """What a parse failure of an attachment records about where it came from."""
    return {"file_name": attachment.file_name, "notice_url": notice.url, "attachment_label": attachment.label}


def parse_attachment(context: Context, notice: Notice, attachment: Attachment, document: Document,
                     configs: Sequence[Any] | None = None) -> None:
    """Parse one list attachment into a list_publication record and one filing record per row."""
    if document.detected_type != "docx":
        error = docx_list.ListParseError(f"attachment is {document.detected_type}, not DOCX; no parser for it yet")
        context.fail(document, error, **attachment_details(notice, attachment))
        return
    try:
        parsed = docx_list.parse_list_docx(document.body)
    except docx_list.ListParseError as exc:
        context.fail(document, exc, **attachment_details(notice, attachment))
        return
    emit_list(context, notice, attachment, document, parsed, configs)


def emit_list(context: Context, notice: Notice, attachment: Attachment, document: Document,
              parsed: docx_list.ParsedList, configs: Sequence[Any] | None = None) -> None:
    """The records of a parsed list attachment: its list_publication, then one filing per row."""
    configs = configs or [context.config]
    list_type = parsed.list_type or context.config.list_type
    batch_label = parsed.batch_label or cac_pages.batch_label_from_name(attachment.file_name)
    list_id = f"{list_type}:{batch_label}"
    published, precision = publication_date(notice, batch_label)
    if parsed.unknown_columns:
        context.stats["unknown_columns"] += len(parsed.unknown_columns)
    leftovers = {"leftover_rows": parsed.leftovers} if parsed.leftovers else {}
    if parsed.leftovers:
        context.stats["leftover_rows"] += len(parsed.leftovers)
    publication = records.ListPublication(
        list_id=list_id, list_type=list_type, batch_label=batch_label, title=parsed.title,
        attachment_label=parsed.attachment_label or attachment.label, row_count=len(parsed.rows),
        expected_count=expected_count(configs, notice.url, batch_label, list_type),
        notice_url=notice.url, notice_title=notice.title, attachment_url=attachment.url,
        file_name=attachment.file_name, header=parsed.header, unknown_columns=parsed.unknown_columns, **leftovers,
    )
    context.emit(publication, list_id, document=document, parser=docx_list, published_at=published,
                 published_precision=precision)
    for row in parsed.rows:
        filing = records.Filing(**row, list_type=list_type, batch_label=batch_label, list_id=list_id)
        key = filing.filing_number or f"{list_id}#row{filing.row_index}"  # the identity form (text boundary)
        context.emit(filing, key, document=document, parser=docx_list, published_at=published,
                     published_precision=precision)
