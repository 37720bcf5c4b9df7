"""Cancellation notices of algorithm filing numbers (算法备案编号注销公告): the PDF attachment's table.

Columns as published: 序号, 算法名称, 角色 (or 算法类别), 主体名称, 应用产品, 备案编号, 注销时间. Tables break
across pages like the genAI lists; rows cut by a page break are stitched. When no table can be
read, the filing numbers are taken from the text so a cancellation is never lost.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from regtrail.fetch.sniff import detect_type
from regtrail.parsers import pdf_guard
from regtrail.parsers.errors import ParseError

PARSER_NAME = "cancellation_notice"
PARSER_VERSION = "1"

COLUMNS = {
    "序号": "seq", "算法名称": "algorithm_name", "角色": "role", "算法类别": "role", "角色/类别": "role",
    "主体名称": "entity_name", "应用产品": "products", "备案编号": "filing_number", "注销时间": "cancelled_text",
}  # fmt: skip
FILING_NUMBER = re.compile(r"网信算备\s*\d{19,22}\s*号")
_COUNT = re.compile(r"等\s*(\d+)\s*个")


class CancellationParseError(ParseError):
    """A document that is not a cancellation notice attachment."""

    parser_module = __name__


@dataclass
class CancelledFiling:
    row_index: int
    seq: str | None = None
    algorithm_name: str | None = None
    role: str | None = None
    entity_name: str | None = None
    products: str | None = None
    filing_number: str | None = None
    cancelled_text: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CancellationNotice:
    title: str | None
    stated_count: int | None
    rows: list[CancelledFiling] = field(default_factory=list)
    from_text: bool = False

    def summary(self) -> dict[str, Any]:
        """The part of a `cancellation_notice` record that comes from parsing the attachment."""
        return {"document_title": self.title, "stated_count": self.stated_count, "row_count": len(self.rows),
                "from_text": self.from_text}


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\s*\n\s*", "", text or "")).strip()


def parse_cancellation_pdf(body: bytes) -> CancellationNotice:
    """The cancelled filings listed in a notice's PDF attachment."""
    if detect_type(body) != "pdf":
        raise CancellationParseError(f"{detect_type(body)} document; expected a PDF")
    try:
        pages = pdf_guard.extract(body)
    except pdf_guard.PdfRefused as exc:
        raise CancellationParseError(str(exc)).refused() from exc
    except Exception as exc:  # noqa: BLE001 (a damaged file is a parse failure)
        raise CancellationParseError(f"unreadable PDF: {exc}") from exc
    text = "\n".join(page.text or "" for page in pages)
    tables = [table for page in pages for table in page.tables]
    title = next((_clean(line) for line in text.splitlines() if "注销" in line and "公告" in line), None)
    count = _COUNT.search(title or "")
    notice = CancellationNotice(title, int(count[1]) if count else None)
    columns: dict[int, str] | None = None
    for table in tables:
        for cells in table:
            names = [_clean(c).replace(" ", "") for c in cells]
            mapped = {i: COLUMNS[n] for i, n in enumerate(names) if n in COLUMNS}
            if "filing_number" in mapped.values():
                columns = mapped
                continue
            if columns is None or not any(names):
                continue
            values = {name: _clean(cells[i]) if i < len(cells) else "" for i, name in columns.items()}
            if not values.get("seq") and not values.get("filing_number") and notice.rows:
                row = notice.rows[-1]
                for name in ("algorithm_name", "entity_name", "products"):
                    if values.get(name):
                        setattr(row, name, (getattr(row, name) or "") + values[name])
                continue
            number = FILING_NUMBER.search(values.get("filing_number") or "")
            notice.rows.append(CancelledFiling(
                row_index=len(notice.rows) + 1, seq=values.get("seq") or None,
                algorithm_name=values.get("algorithm_name") or None, role=values.get("role") or None,
                entity_name=values.get("entity_name") or None, products=values.get("products") or None,
                filing_number=re.sub(r"\s+", "", number[0]) if number else values.get("filing_number") or None,
                cancelled_text=values.get("cancelled_text") or None,
            ))
    if not notice.rows:
        numbers = dict.fromkeys(re.sub(r"\s+", "", m) for m in FILING_NUMBER.findall(text))
        notice.rows = [CancelledFiling(row_index=i, filing_number=n) for i, n in enumerate(numbers, 1)]
        notice.from_text = True
    if not notice.rows:
        raise CancellationParseError("no filing numbers found in the PDF")
    return notice


@dataclass
class ListedNotice:
    notice_id: str
    title: str
    published: str | None  # YYYY-MM-DD (China time, as the system shows it)


def parse_notice_list(text: str) -> list[ListedNotice]:
    """Notices in the filing system's notice-list JSON (`data.list[]` with noticeId, title, publishTime)."""
    import json

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CancellationParseError(f"notice list is not JSON: {exc}") from exc
    items = ((data or {}).get("data") or {}).get("list")
    if not isinstance(items, list):
        raise CancellationParseError("notice list JSON has no data.list")
    found = []
    for item in items:
        when = re.match(r"\d{4}-\d{2}-\d{2}", str(item.get("publishTime") or ""))
        found.append(ListedNotice(str(item["noticeId"]), _clean(item.get("title")), when[0] if when else None))
    return found
