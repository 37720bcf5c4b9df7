"""`regtrail parse FILE`: the records parsed from one saved document, without writing anything."""

from __future__ import annotations

from pathlib import Path

from regtrail.fetch.sniff import decode_html, detect_type
from regtrail.parsers import cac_pages, cancellation_notice, docx_list, genai_list
from scrapers.cac_genai.crawl import RECORD_TYPES


def parse_file(path: Path, url: str | None) -> list[dict]:
    """Records parsed from one saved document (no writes)."""
    data = path.read_bytes()
    kind = detect_type(data)
    if kind == "docx":
        try:
            parsed = docx_list.parse_list_docx(data)
        except docx_list.DocumentTooLarge as exc:  # refused for its cost: no second full parse
            raise ValueError(f"{path}: {exc}") from exc
        except docx_list.ListParseError as not_a_list:
            return _genai_records(data, path, not_a_list)
        list_type = parsed.list_type
        batch_label = parsed.batch_label or cac_pages.batch_label_from_name(path.name)
        return [
            {"record_type": "filing", **row, "list_type": list_type, "batch_label": batch_label}
            for row in parsed.rows
        ]
    if kind == "pdf":
        try:
            notice = cancellation_notice.parse_cancellation_pdf(data)
        except cancellation_notice.CancellationParseError as not_a_notice:
            return _genai_records(data, path, not_a_notice)
        head = {"record_type": "cancellation_notice", **notice.summary()}
        return [head, *({"record_type": "filing_cancellation", **row.as_dict()} for row in notice.rows)]
    if kind == "html":
        html = decode_html(data)
        if "loadingInfoPage" in html:
            return [{"record_type": "listing_item", "title": i.title, "url": i.url,
                     "date": i.date.isoformat() if i.date else None}
                    for i in cac_pages.parse_listing(html, url or path.as_uri())]
        notice = cac_pages.parse_notice(html, url or path.as_uri())
        return [{"record_type": "notice", "url": notice.url, "title": notice.title,
                 "pubtime": notice.pubtime.isoformat(sep=" ") if notice.pubtime else None,
                 "attachments": [a.as_dict() for a in notice.attachments]}]
    raise ValueError(f"{path}: {kind} document; no parser for it")


def _genai_records(data: bytes, path: Path, other: ValueError) -> list[dict]:
    """A generative-AI service list (DOCX or PDF): its `genai_list` record, then one record per row."""
    try:
        parsed = genai_list.parse_genai_document(data)
    except genai_list.GenaiParseError as exc:
        raise ValueError(f"{path}: {other}; not a generative-AI list either: {exc}") from exc
    head = {"record_type": "genai_list", **parsed.summary()}
    rows = ({"record_type": RECORD_TYPES[row.kind], **row.as_dict(), "period": parsed.period_label}
            for row in parsed.rows)
    return [head, *rows]
