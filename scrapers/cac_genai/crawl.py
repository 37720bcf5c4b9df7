"""CAC generative-AI service lists: a notice page that gains an attachment (DOCX or PDF) per period.

Each attachment becomes a `genai_list` record and one `genai_filing` (备案, a model filed with the CAC)
or `genai_registration` (登记, an application registered locally) record per table row. Periods,
publication dates and expected counts come from `cac_genai.yml`.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any

import yaml

from regtrail.fetch.context import Context, Document
from regtrail.parsers import cac_pages, genai_list
from regtrail.parsers.cac_pages import Attachment, Notice, PageParseError
from regtrail.sources import config_path
from scrapers import cac_lists

LIST_TYPE = "genai_service"
RECORD_TYPES = {"filing": "genai_filing", "registration": "genai_registration"}


def crawl(context: Context) -> None:
    """Fetch the configured and discovered notice pages, then every attachment."""
    seen = [n["url"] for n in context.config.get("notices", [])]
    for url in cac_lists.discover(context):
        if url not in seen:
            seen.append(url)
            context.stats["discovered_notices"] += 1
    for url in seen:
        page = context.fetch(url, purpose="notice")
        if page is not None:
            handle_notice(context, page)


@cache
def _own_config() -> dict[str, Any]:
    return yaml.safe_load(config_path("cac_genai").read_text(encoding="utf-8"))


def config_of(context: Context) -> dict[str, Any]:
    """This source's config, also when another source (adhoc) hands a document over."""
    return context.config if context.config.get("list_type") == LIST_TYPE else _own_config()


def is_genai_notice(notice: Notice) -> bool:
    return "生成式人工智能" in notice.title


def handle_notice(context: Context, page: Document) -> None:
    """Emit the notice record, then fetch and parse its attachments."""
    try:
        notice = cac_pages.parse_notice(page.text(), page.url)
    except PageParseError as exc:
        context.fail(page, str(exc), parser=cac_pages.PARSER_NAME, parser_version=cac_pages.PARSER_VERSION)
        return
    payload = {
        "title": notice.title,
        "pubtime": notice.pubtime.isoformat(sep=" ") if notice.pubtime else None,
        "attachments": [a.as_dict() for a in notice.attachments],
    }
    context.emit("notice", notice.url, payload, document=page, parser=cac_pages.PARSER_NAME,
                 parser_version=cac_pages.PARSER_VERSION, published_at=notice.published, published_precision="day")
    for attachment in notice.attachments:
        document = context.fetch(attachment.url, purpose="attachment", referer=notice.url, expect="document")
        if document is not None:
            parse_attachment(context, notice, attachment, document)


def period_entry(config: dict[str, Any], period: str | None) -> dict[str, Any]:
    """The config entry of a period (published date, expected counts), or {}."""
    for notice in config.get("notices", []):
        for entry in notice.get("attachments", []):
            if str(entry.get("period")) == period:
                return {**entry, "kind": notice.get("kind")}
    return {}


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
    name, version = genai_list.PARSER_NAME, genai_list.PARSER_VERSION
    details = {"file_name": attachment.file_name, "notice_url": notice.url, "attachment_label": attachment.label}
    try:
        parsed = genai_list.parse_genai_document(document.body)
    except genai_list.GenaiParseError as exc:
        context.fail(document, str(exc), parser=name, parser_version=version, **details)
        return
    period = parsed.period_label or _period_from_name(attachment.file_name)
    entry = period_entry(config_of(context), period)
    list_id = f"{LIST_TYPE}:{period}"
    published, precision = _published(entry, notice)
    is_summary = entry.get("kind") == "summary" or (period is not None and period.endswith("年"))
    context.emit(
        "genai_list", list_id,
        {
            **parsed.summary(), "list_id": list_id, "list_type": LIST_TYPE, "period": period,
            "attachment_label": parsed.attachment_label or attachment.label,
            "expected_filings": entry.get("expected_filings"),
            "expected_registrations": entry.get("expected_registrations"), "is_summary": is_summary,
            "notice_url": notice.url, "notice_title": notice.title, "attachment_url": attachment.url,
            "file_name": attachment.file_name,
        },
        document=document, parser=name, parser_version=version, published_at=published, published_precision=precision,
    )
    for row in parsed.rows:
        key = row.number or f"{list_id}#{row.table_index}.{row.row_index}"
        payload = {**row.as_dict(), "list_id": list_id, "list_type": LIST_TYPE, "period": period,
                   "is_summary": is_summary, "notice_url": notice.url}
        context.emit(RECORD_TYPES[row.kind], key, payload, document=document, parser=name, parser_version=version,
                     published_at=published, published_precision=precision)
