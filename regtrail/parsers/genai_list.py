"""Generative-AI service lists (生成式人工智能服务已备案/已登记信息), from DOCX or PDF attachments.

An attachment holds up to three tables: 备案 (属地, 模型名称 or 大模型名称, 备案单位, 备案号 or 备案编号,
备案时间), models filed with the CAC; 登记 (属地, 应用或功能名称, 登记单位, 上线编号, 登记时间), applications
registered with a provincial office, whose ids end in `YYYYMMDDSnnnn`; and (2026年8月) on-device (手机端侧)
services, a 备案 table with the extra column 适用场景 (kind `ondevice`). Rows are kept as printed; what is
irregular about a row is named in `quirks` (see `row_quirks`), never corrected. In PDFs the tables break
across pages: continuation pages may repeat the header or not, and a row cut by a page break continues
on the next page with empty 序号 and id cells; both are stitched back together here.
"""

from __future__ import annotations

import io
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from regtrail.fetch.sniff import detect_type
from regtrail.parsers import pdf_guard
from regtrail.parsers.docx_list import DocumentTooLarge, check_docx_cost
from regtrail.parsers.errors import ParseError

PARSER_NAME = "genai_list"
PARSER_VERSION = "2"

MAX_DOCX_ELEMENTS = 500_000
"""python-docx builds the whole document and a Python object per cell it reads: lists with more XML elements
than this (about 12,000 rows; real generative-AI lists have hundreds) are refused before it starts."""

COLUMNS = {
    "序号": "seq",
    "属地": "region",
    "模型名称": "model_name",
    "大模型名称": "model_name",
    "应用或功能名称": "model_name",
    "应用/功能名称": "model_name",
    "应用名称": "model_name",
    "功能名称": "model_name",
    "备案单位": "entity_name",
    "登记单位": "entity_name",
    "主体名称": "entity_name",
    "备案号": "number",
    "备案编号": "number",
    "上线编号": "number",
    "登记编号": "number",
    "备案时间": "filed_text",
    "登记时间": "filed_text",
    "上线时间": "filed_text",
    "适用场景": "scenario",
}
REGISTRATION_HEADERS = {"上线编号", "登记单位", "登记时间", "登记编号"}
ONDEVICE_HEADERS = {"适用场景"}
_REGISTRATION_ID = re.compile(r"\d{8}S\d{4}$")
_FILING_ID = re.compile(r"^[A-Za-z]+-.+-\d{8}(\d{4})?$")
_DAY_ID = re.compile(r"-\d{8}$")
_ORGANISATION = re.compile(r"(公司|研究院|研究所|中心|大学|学院|集团)$")
# 属地 -> the romanisation the CAC prefixes to ids (compared case-insensitively).
ID_PREFIXES = {
    "北京市": "beijing", "天津市": "tianjin", "河北省": "hebei", "山西省": "shanxi", "内蒙古自治区": "neimenggu",
    "辽宁省": "liaoning", "吉林省": "jilin", "黑龙江省": "heilongjiang", "上海市": "shanghai", "江苏省": "jiangsu",
    "浙江省": "zhejiang", "安徽省": "anhui", "福建省": "fujian", "江西省": "jiangxi", "山东省": "shandong",
    "河南省": "henan", "湖北省": "hubei", "湖南省": "hunan", "广东省": "guangdong", "广西壮族自治区": "guangxi",
    "海南省": "hainan", "重庆市": "chongqing", "四川省": "sichuan", "贵州省": "guizhou", "云南省": "yunnan",
    "西藏自治区": "xizang", "陕西省": "shaanxi", "甘肃省": "gansu", "青海省": "qinghai",
    "宁夏回族自治区": "ningxia", "新疆维吾尔自治区": "xinjiang", "国资委": "zhongyangqiye",
}  # fmt: skip
_DATE = re.compile(r"(\d{4})\s*[/\-.年]\s*(\d{1,2})\s*[/\-.月]\s*(\d{1,2})")
_TITLE = re.compile(r"生成式人工智能服务[^\n（(]*信息\s*[（(]\s*(\d{4})\s*年\s*(?:(\d{1,2})\s*月)?\s*[）)]")
_LABEL = re.compile(r"^\s*附件\s*\d*\s*[:：]?\s*$")


class GenaiParseError(ParseError):
    """A document that is not a generative-AI service list."""

    parser_module = __name__


@dataclass
class GenaiRow:
    """One data row: a filed model (kind `filing`) or a registered application (`registration`)."""

    kind: str
    table_index: int
    row_index: int
    seq: str | None
    region: str | None
    model_name: str | None
    entity_name: str | None
    number: str | None
    filed_text: str | None
    filed_date: str | None
    scenario: str | None = None
    quirks: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GenaiList:
    """A parsed attachment."""

    file_type: str
    title: str | None
    attachment_label: str | None
    period_label: str | None
    rows: list[GenaiRow] = field(default_factory=list)
    headers: list[list[str]] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for row in self.rows if row.kind == kind)

    def summary(self) -> dict[str, Any]:
        """What the document says about itself: the part of a `genai_list` record that comes from parsing."""
        return {"title": self.title, "attachment_label": self.attachment_label, "period": self.period_label,
                "file_type": self.file_type, "filing_count": self.count("filing"),
                "registration_count": self.count("registration"), "ondevice_count": self.count("ondevice"),
                "headers": self.headers,
                "unknown_columns": self.unknown_columns}


def clean(text: str | None) -> str:
    """Cell text with line breaks and stray spaces between CJK characters removed."""
    text = (text or "").replace("\u3000", " ")
    text = re.sub(r"\s*\n\s*", "", text)
    return re.sub(r"\s+", " ", text).strip()


def parse_date(text: str | None) -> date | None:
    """`2023/8/31`, `2023-08-31` or `2023年8月31日`."""
    match = _DATE.search(text or "")
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def period_from_title(text: str | None) -> str | None:
    """`…已备案信息（2024年4月）` -> `2024年4月`; a yearly summary `…（2024年）` -> `2024年`."""
    match = _TITLE.search(text or "")
    if not match:
        return None
    return f"{match[1]}年{int(match[2])}月" if match[2] else f"{match[1]}年"


def row_quirks(row: GenaiRow) -> list[str]:
    """What is irregular about a row as printed (the row itself is kept as it is):

    `number_without_suffix` (a 备案号 ending in the date, without the 4-digit sequence), `number_truncated`
    (an id ending in `-`), `number_irregular` (any other id shape), `number_prefix_mismatch` (the
    romanised prefix is not the 属地's), `late_registration` (date printed with `（补登）`),
    `name_entity_swapped` (the name cell holds an organisation and the entity cell does not).
    """
    quirks: list[str] = []
    number = row.number or ""
    if number.endswith("-"):
        quirks.append("number_truncated")
    elif row.kind == "registration" and not _REGISTRATION_ID.search(number):
        quirks.append("number_irregular")
    elif row.kind != "registration":
        if not _FILING_ID.match(number):
            quirks.append("number_irregular")
        elif _DAY_ID.search(number):
            quirks.append("number_without_suffix")
    prefix = ID_PREFIXES.get(row.region or "")
    if prefix and number and number.split("-", 1)[0].lower() != prefix:
        quirks.append("number_prefix_mismatch")
    if "补登" in (row.filed_text or ""):
        quirks.append("late_registration")
    if _ORGANISATION.search(row.model_name or "") and not _ORGANISATION.search(row.entity_name or ""):
        quirks.append("name_entity_swapped")
    return quirks


def _header_map(cells: list[str]) -> dict[int, str] | None:
    """Column index -> field when the row is a header row, else None."""
    names = [clean(c).replace(" ", "") for c in cells]
    mapped = {i: COLUMNS[n] for i, n in enumerate(names) if n in COLUMNS}
    if "number" in mapped.values() and "model_name" in mapped.values():
        return mapped
    return None


class _Builder:
    """Accumulates rows table by table, following headers and stitching continuation rows."""

    def __init__(self, result: GenaiList) -> None:
        self.result = result
        self.columns: dict[int, str] | None = None
        self.kind = "filing"
        self.table_index = 0

    def header(self, cells: list[str], columns: dict[int, str]) -> None:
        names = [clean(c).replace(" ", "") for c in cells]
        self.columns = columns
        if ONDEVICE_HEADERS & set(names):
            self.kind = "ondevice"
        else:
            self.kind = "registration" if REGISTRATION_HEADERS & set(names) else "filing"
        self.table_index += 1
        self.result.headers.append(names)
        for name in names:
            if name and name not in COLUMNS and name not in self.result.unknown_columns:
                self.result.unknown_columns.append(name)

    def row(self, cells: list[str]) -> None:
        if not any(clean(c) for c in cells):
            return
        columns = _header_map(cells)
        if columns is not None:
            self.header(cells, columns)
            return
        if self.columns is None:
            raise GenaiParseError("a table row comes before any 备案/登记 header row")
        values: dict[str, str | None] = {}
        for index, name in self.columns.items():
            values[name] = clean(cells[index]) if index < len(cells) else ""
        previous = self.result.rows[-1] if self.result.rows else None
        if previous is not None and not values.get("seq") and not values.get("number"):
            self._continue(previous, values)
            return
        number = values.get("number") or None
        kind = "registration" if number and _REGISTRATION_ID.search(number) and self.kind == "filing" else self.kind
        filed = parse_date(values.get("filed_text"))
        self.result.rows.append(GenaiRow(
            kind=kind, table_index=self.table_index,
            row_index=sum(1 for r in self.result.rows if r.table_index == self.table_index) + 1,
            seq=values.get("seq") or None, region=values.get("region") or None,
            model_name=values.get("model_name") or None, entity_name=values.get("entity_name") or None,
            number=number, filed_text=values.get("filed_text") or None,
            filed_date=filed.isoformat() if filed else None, scenario=values.get("scenario") or None,
        ))

    @staticmethod
    def _continue(row: GenaiRow, values: dict[str, str | None]) -> None:
        """Append the second half of a row cut by a page break."""
        for name in ("region", "model_name", "entity_name", "filed_text", "scenario"):
            more = values.get(name)
            if more:
                setattr(row, name, (getattr(row, name) or "") + more)
        filed = parse_date(row.filed_text)
        row.filed_date = filed.isoformat() if filed else None


def _head_text(result: GenaiList, lines: list[str]) -> None:
    for line in lines:
        text = clean(line)
        if not text:
            continue
        if result.attachment_label is None and _LABEL.match(text):
            result.attachment_label = text.rstrip(":：").replace(" ", "")
        elif result.title is None and "生成式人工智能" in text:
            result.title = text
    result.period_label = period_from_title(result.title)


def _parse_docx(body: bytes) -> GenaiList:
    import docx

    try:
        check_docx_cost(body, MAX_DOCX_ELEMENTS)
    except DocumentTooLarge as exc:
        raise GenaiParseError(str(exc)) from exc
    document = docx.Document(io.BytesIO(body))
    result = GenaiList("docx", None, None, None)
    _head_text(result, [p.text for p in document.paragraphs[:6]])
    builder = _Builder(result)
    for table in document.tables:
        for row in table.rows:
            cells: list[str] = []
            seen: set[int] = set()
            for cell in row.cells:  # merged cells repeat: keep each underlying cell once
                if id(cell._tc) in seen:
                    continue
                seen.add(id(cell._tc))
                cells.append("\n".join(p.text for p in cell.paragraphs))
            builder.row(cells)
    return result


def _parse_pdf(body: bytes) -> GenaiList:
    try:
        pages = pdf_guard.extract(body, text_pages=1)
    except pdf_guard.PdfRefused as exc:
        raise GenaiParseError(str(exc)).refused() from exc
    result = GenaiList("pdf", None, None, None)
    if not pages:
        raise GenaiParseError("PDF without pages")
    _head_text(result, (pages[0].text or "").splitlines()[:6])
    builder = _Builder(result)
    for page in pages:
        for table in page.tables:
            for cells in table:
                builder.row([c or "" for c in cells])
    return result


def parse_genai_document(body: bytes) -> GenaiList:
    """Parse a DOCX or PDF attachment into its rows; raises GenaiParseError when it is not such a list."""
    kind = detect_type(body)
    try:
        if kind == "docx":
            result = _parse_docx(body)
        elif kind == "pdf":
            result = _parse_pdf(body)
        else:
            raise GenaiParseError(f"{kind} document; expected a DOCX or PDF list")
    except GenaiParseError:
        raise
    except Exception as exc:  # noqa: BLE001 (a damaged file is a parse failure, not a crash)
        raise GenaiParseError(f"unreadable {kind}: {exc}") from exc
    if not result.headers:
        raise GenaiParseError("no table with a 备案号/上线编号 header")
    for row in result.rows:
        row.quirks = row_quirks(row)
    return result
