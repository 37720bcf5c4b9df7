"""CAC generative-AI service lists: a notice page that gains an attachment (DOCX or PDF) per period.

Each attachment becomes a `genai_list` record and one `genai_filing` (备案, a model filed with the CAC),
`genai_registration` (登记, an application registered locally) or `genai_ondevice` (an on-device, 手机端侧,
service filed with the CAC) record per table row. Periods, publication dates, expected counts, the
regulator's official cumulative totals and the accepted differences come from `source.yml` and travel
on the `genai_list` record of the period they concern.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from regtrail.crawl.api import (
    Attachment,
    Notice,
    PageParseError,
    cac,
    cac_pages,
    genai_list,
    records,
    source_config,
)

if TYPE_CHECKING:  # the context's fetching stack is not imported by `regtrail parse`
    from regtrail.crawl.api import Context, Document, SourceConfig

LIST_TYPE = "genai_service"
RECORD_TYPES: dict[str, type[records.GenaiFiling]] = {
    "filing": records.GenaiFiling, "registration": records.GenaiRegistration, "ondevice": records.GenaiOndevice}


def crawl(context: Context) -> None:
    """Fetch the configured and discovered notice pages, then every attachment."""
    for url in cac.notice_urls(context):
        page = context.fetch(url, purpose="notice")
        if page is not None:
            handle_notice(context, page)


@cache
def _own_config() -> SourceConfig:
    return source_config("cac_genai")


def config_of(context: Context) -> SourceConfig:
    """This source's config, also when `ingest` (source adhoc) hands a document over."""
    return context.config if context.config.list_type == LIST_TYPE else _own_config()


def accepts(document: Document) -> bool:
    """A document handed over (`ingest`, `parse`) that this source parses: a generative-AI notice page, or a
    DOCX or PDF attachment (tried after the sources that come first by name: the lists, the cancellations)."""
    if document.detected_type in ("docx", "pdf"):
        return True
    return document.detected_type == "html" and cac_pages.is_genai_notice_page(document.text(), document.url)


def handle_document(context: Context, document: Document) -> None:
    """An accepted document (see `accepts`): the notice page and its attachments, or one list file (a
    ParseError when it is not a generative-AI list)."""
    if document.detected_type == "html":
        handle_notice(context, document)
        return
    url = document.url
    notice, attachment = cac.lone_file(url)
    try:
        parsed = genai_list.parse_genai_document(document.body)
    except genai_list.GenaiParseError as exc:
        raise exc.with_details(**cac.attachment_details(notice, attachment)) from None
    emit_list(context, notice, attachment, document, parsed)


def handle_notice(context: Context, page: Document) -> None:
    """Emit the notice record, then fetch and parse its attachments."""
    try:
        notice = cac_pages.parse_notice(page.text(), page.url)
    except PageParseError as exc:
        context.fail(page, exc)
        return
    record = records.Notice(title=notice.title, pubtime=notice.pubtime.isoformat(sep=" ") if notice.pubtime else None,
                            attachments=[a.as_dict() for a in notice.attachments])
    context.emit(record, notice.url, document=page, parser=cac_pages, published_at=notice.published,
                 published_precision="day")
    for attachment in notice.attachments:
        document = context.fetch(attachment.url, purpose="attachment", referer=notice.url, expect="document")
        if document is not None:
            parse_attachment(context, notice, attachment, document)


def period_entry(config: SourceConfig, period: str | None) -> dict[str, Any]:
    """The config entry of a period (published date, expected counts) with its notice's `kind`, or {}."""
    for notice in config.notices:
        for entry in notice.attachments:
            if entry.period == period:
                return {**entry.model_dump(), "kind": notice.kind}
    return {}


def _period_month(period: str | None) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{4})年(?:(\d{1,2})月)?", period or "")
    return (int(match[1]), int(match[2] or 12)) if match else None


def reconciliation_facts(config: SourceConfig, period: str | None) -> dict[str, Any]:
    """The official total stated for `period` (if any) and the accepted differences that apply to it."""
    month = _period_month(period)
    total = next((t.model_dump() for t in config.official_totals if t.period == period), None)
    accepted = [
        entry.model_dump(exclude={"from_period"})
        for entry in config.accepted_differences
        if month is not None and (_period_month(entry.from_period) or (9999, 12)) <= month
    ]
    return {"official_total": total, "accepted_differences": accepted}


def _published(entry: dict[str, Any], notice: Notice) -> tuple[date | None, str | None]:
    value = entry.get("published")
    if value:
        parts = [int(p) for p in str(value).split("-")]
        if len(parts) == 3:
            return date(*parts), "day"
        return date(parts[0], parts[1], 1), "month"
    return notice.published, "day" if notice.published else None


def _period_from_name(name: str | None) -> str | None:
    match = re.search(r"[（(]\s*(\d{4})\s*年\s*(?:(\d{1,2})\s*月)?\s*[）)]", name or "")
    if not match:
        return None
    return f"{match[1]}年{int(match[2])}月" if match[2] else f"{match[1]}年"


def parse_attachment(context: Context, notice: Notice, attachment: Attachment, document: Document) -> None:
    """Parse one attachment into a genai_list record and one record per row."""
    try:
        parsed = genai_list.parse_genai_document(document.body)
    except genai_list.GenaiParseError as exc:
        context.fail(document, exc, **cac.attachment_details(notice, attachment))
        return
    emit_list(context, notice, attachment, document, parsed)


def emit_list(context: Context, notice: Notice, attachment: Attachment, document: Document,
              parsed: genai_list.GenaiList) -> None:
    """The records of a parsed attachment: its genai_list, then one genai_filing/_registration/_ondevice per row."""
    period = parsed.period_label or _period_from_name(attachment.file_name)
    entry = period_entry(config_of(context), period)
    list_id = f"{LIST_TYPE}:{period}"
    published, precision = _published(entry, notice)
    is_summary = entry.get("kind") == "summary" or (period is not None and period.endswith("年"))
    head = records.GenaiList(**{
        **parsed.summary(), "list_id": list_id, "list_type": LIST_TYPE, "period": period,
        "attachment_label": parsed.attachment_label or attachment.label,
        "expected_filings": entry.get("expected_filings"),
        "expected_registrations": entry.get("expected_registrations"),
        "expected_ondevice": entry.get("expected_ondevice"), "is_summary": is_summary,
        **({} if is_summary else reconciliation_facts(config_of(context), period)),
        "notice_url": notice.url, "notice_title": notice.title, "attachment_url": attachment.url,
        "file_name": attachment.file_name,
    })
    context.emit(head, list_id, document=document, parser=genai_list, published_at=published,
                 published_precision=precision)
    for row in parsed.rows:
        record = RECORD_TYPES[row.kind](**row.as_dict(), list_id=list_id, list_type=LIST_TYPE, period=period,
                                        is_summary=is_summary, notice_url=notice.url)
        key = record.number or f"{list_id}#{row.table_index}.{row.row_index}"  # the identity form (text boundary)
        context.emit(record, key, document=document, parser=genai_list, published_at=published,
                     published_precision=precision)
