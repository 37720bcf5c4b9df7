"""From the table rows of a list attachment to its heading fields and row dicts (header/column mapping)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from regtrail.parsers.docx_table import (
    _Cell,
    _grid_widths,
    _header_texts,
    _normalise_header,
    _paragraph_text,
    _Row,
    _table_rows,
)
from regtrail.parsers.docx_xml import (
    _BATCH_RE,
    _BLOCK_CONTAINERS,
    _FULLWIDTH_DIGITS,
    _LABEL_RE,
    _WS_RE,
    W_P,
    W_TBL,
    ListParseError,
    filing_identity,
    is_filing_number,
)

HEADER_FIELDS: dict[str, str] = {
    "序号": "seq",
    "算法名称": "algorithm_name",
    "角色": "role",
    "算法类别": "algorithm_category",
    "主体名称": "entity_name",
    "应用产品": "products",
    "主要用途": "purpose",
    "备案编号": "filing_number",
    "备注": "remark",
}
"""Normalised header cell -> row key."""

LEFTOVER_TEXT_LIMIT = 2000
"""Characters of a leftover row's text kept in the record (`text_length` gives the full length when cut)."""

_TAIL_KEYS = ("entity_name", "products", "purpose", "filing_number", "remark")
OUTSIDE_HEADER = "_outside_header"
"""``extra`` key for text in cells that lie outside every header column."""


@dataclass
class ParsedList:
    """One list attachment: its heading paragraphs, header and data rows."""

    attachment_label: str | None
    title: str | None
    list_type: str | None
    batch_label: str | None
    header: list[str]
    rows: list[dict] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    leftovers: list[dict] = field(default_factory=list)
    """Table rows with text but no valid 备案编号 (totals footers, notes): `{table_row, text, reason}`."""


def _body_blocks(el: etree._Element) -> Iterator[etree._Element]:
    """Top-level paragraphs and tables of the body, in order."""
    for child in el:
        tag = child.tag
        if tag == W_P or tag == W_TBL:
            yield child
        elif tag in _BLOCK_CONTAINERS:
            yield from _body_blocks(child)


def _header_position(rows: list[_Row]) -> int | None:
    """Index of the header row: the first row, or one of the first three when a title row precedes it."""
    for i, (cells, _) in enumerate(rows[:3]):
        if "备案编号" in _header_texts(cells):
            return i
    return None


def _parse_body(body: etree._Element, numbered_styles: frozenset[str]) -> ParsedList:
    blocks = list(_body_blocks(body))
    tables = [(i, b) for i, b in enumerate(blocks) if b.tag == W_TBL]
    if not tables:
        raise ListParseError("the DOCX contains no table, so it is not a filing list")

    found = None
    seen: list[str] = []
    for pos, (block_index, tbl) in enumerate(tables):
        table_rows = _table_rows(tbl, numbered_styles)
        header_pos = _header_position(table_rows)
        if header_pos is not None:
            found = (pos, block_index, tbl, table_rows, header_pos)
            break
        if table_rows:
            seen.append("|".join(_header_texts(table_rows[0][0]))[:80])
    if found is None:
        raise ListParseError(
            f"no table with a 备案编号 column found ({len(tables)} table(s); first rows: {seen[:3]})"
        )
    pos, block_index, tbl, table_rows, header_pos = found
    header_cells = table_rows[header_pos][0]
    header = _header_texts(header_cells)
    data_rows = table_rows[header_pos + 1 :]

    widths = _grid_widths(tbl)
    ncols = max([len(widths)] + [c.start + c.span for c in header_cells])
    widths = (widths + [0] * ncols)[:ncols]

    # A list broken into several tables: later tables that repeat the header or carry on with
    # filing numbers in the same column layout are part of it.
    for _, other in tables[pos + 1 :]:
        other_rows = _table_rows(other, numbered_styles)
        if other_rows and _is_continuation(other_rows[0][0], header, header_cells):
            data_rows = data_rows + other_rows

    label, title = _heading(blocks[:block_index])
    if title is None and header_pos > 0:  # title written as a merged row above the header
        title = _normalise_header("".join(c.text for c in table_rows[0][0])) or None
    list_type = _list_type(title)
    rows, unknown, leftovers = _build_rows(header, header_cells, widths, data_rows, list_type)
    return ParsedList(
        attachment_label=label,
        title=title,
        list_type=list_type,
        batch_label=_batch_label(title),
        header=header,
        rows=rows,
        unknown_columns=unknown,
        leftovers=leftovers,
    )


def _is_continuation(first: list[_Cell], header: list[str], header_cells: list[_Cell]) -> bool:
    if _header_texts(first) == header:
        return True
    if [(c.start, c.span) for c in first] != [(c.start, c.span) for c in header_cells]:
        return False
    return filing_identity(first[header.index("备案编号")].text).startswith("网信算备")


def _heading(blocks: list[etree._Element]) -> tuple[str | None, str | None]:
    """Attachment label and title from the paragraphs before the table (whitespace removed)."""
    texts = [t for t in (_WS_RE.sub("", _paragraph_text(b)) for b in blocks if b.tag == W_P) if t]
    label = None
    label_pos = -1
    for i, text in enumerate(texts):
        norm = text.translate(_FULLWIDTH_DIGITS)
        if _LABEL_RE.match(norm):
            label, label_pos = norm.rstrip(":："), i
    after = texts[label_pos + 1 :]
    if not after:
        return label, None
    if label is not None and len(after) <= 2:  # a title may be split over two paragraphs
        return label, "".join(after)
    title = after[-1]
    if title.startswith(("（", "(")) and len(after) > 1:  # '（2023年8月）' on its own line
        title = after[-2] + title
    return label, title


def _list_type(title: str | None) -> str | None:
    if not title:
        return None
    if "深度合成" in title:
        return "deep_synthesis"
    if "互联网信息服务算法" in title:
        return "algo_recommendation"
    return None


def _batch_label(title: str | None) -> str | None:
    """'2023年8月' from the title ('2023年08月' is normalised to '2023年8月')."""
    m = _BATCH_RE.search(title.translate(_FULLWIDTH_DIGITS)) if title else None
    return f"{int(m.group(1))}年{int(m.group(2))}月" if m else None


def _column_of(start: int, span: int, col_ranges: list[tuple[int, int]], widths: list[int]) -> int | None:
    """Header column whose grid range overlaps the cell most, overlap weighted by grid column width.

    A cell spanning a real column and a narrow hidden one therefore lands in the real column.
    """
    best, best_score = None, 0
    for idx, (h0, h1) in enumerate(col_ranges):
        lo, hi = max(start, h0), min(start + span, h1)
        if lo < hi:
            score = sum((widths[g] if g < len(widths) else 0) + 1 for g in range(lo, hi))
            if score > best_score:
                best, best_score = idx, score
    return best


def _kind_key(header: list[str], list_type: str | None) -> str:
    """'role' (角色, deep synthesis) or 'algorithm_category' (算法类别): exactly one per row."""
    has_role, has_category = "角色" in header, "算法类别" in header
    if has_role and has_category:
        return "algorithm_category" if list_type == "algo_recommendation" else "role"
    if has_role or has_category:
        return "role" if has_role else "algorithm_category"
    return "algorithm_category" if list_type == "algo_recommendation" else "role"


def _build_rows(
    header: list[str],
    header_cells: list[_Cell],
    widths: list[int],
    raw_rows: list[_Row],
    list_type: str | None,
) -> tuple[list[dict], list[str], list[dict]]:
    col_ranges = [(c.start, c.start + c.span) for c in header_cells]
    kind_key = _kind_key(header, list_type)

    # Header column -> row key; unmapped or duplicate header cells become unknown columns.
    keys: list[str | None] = []
    for name in header:
        key = HEADER_FIELDS.get(name)
        if key in ("role", "algorithm_category") and key != kind_key or key in keys:
            key = None
        keys.append(key)
    extra_names: dict[int, str] = {}
    for idx, (name, key) in enumerate(zip(header, keys, strict=True)):
        if key is None:
            extra_names[idx] = name if name and name not in extra_names.values() else f"列{idx + 1}"
    key_index = {key: idx for idx, key in enumerate(keys) if key is not None}
    seq_idx = key_index.get("seq")

    column_cache: dict[tuple[int, int], int | None] = {}
    header_first = header[0][:1] if header else ""
    rows: list[dict] = []
    leftovers: list[dict] = []
    above: dict[int, str] = {}  # grid column -> text of the cell above (for vMerge)
    for table_row, (cells, _) in enumerate(raw_rows, 1):
        if all(not c.text for c in cells):
            continue  # fully empty row (an auto number alone does not make a row)
        if (not header_first or cells[0].text.startswith(header_first)) and _header_texts(cells) == header:
            continue  # repeated header row (one with drifted text is a leftover: it has no 备案编号)
        values: list[list[str]] = [[] for _ in header]
        stray: list[str] = []
        seq_numbered = False
        for cell in cells:
            if cell.vmerge_continue:
                text = above.get(cell.start, "")
            else:
                text = cell.text
                for g in range(cell.start, cell.start + cell.span):
                    above[g] = text
            layout = (cell.start, cell.span)
            if layout not in column_cache:
                column_cache[layout] = _column_of(cell.start, cell.span, col_ranges, widths)
            idx = column_cache[layout]
            if idx is None:
                if text:
                    stray.append(text)
            elif text:
                values[idx].append(text)
            elif idx == seq_idx and cell.numbered and not cell.vmerge_continue:
                seq_numbered = True
        texts = [" ".join(v) for v in values]

        def get(key: str, texts: list[str] = texts) -> str:
            idx = key_index.get(key)
            return "" if idx is None else texts[idx]

        raw_number = get("filing_number")
        number = filing_identity(raw_number)
        if not is_filing_number(number):  # a totals footer, a note, a half-filled row: never a filing
            shown = raw_number if len(raw_number) <= 80 else raw_number[:80] + "…"
            reason = f"备案编号 {shown!r} is not 网信算备<digits>号" if raw_number else "no 备案编号"
            text = " | ".join(t for t in [*texts, *stray] if t)
            leftover = {"table_row": table_row, "text": text[:LEFTOVER_TEXT_LIMIT], "reason": reason}
            if len(text) > LEFTOVER_TEXT_LIMIT:
                leftover["text_length"] = len(text)  # cut: the archived document holds all of it
            leftovers.append(leftover)
            continue
        row_index = len(rows) + 1
        seq = get("seq")
        seq_auto = not seq and seq_numbered
        row: dict = {
            "row_index": row_index,
            "seq": str(row_index) if seq_auto else seq,
            "seq_auto": seq_auto,
            "algorithm_name": get("algorithm_name"),
            kind_key: get(kind_key),
        }
        for key in _TAIL_KEYS:
            row[key] = get(key)
        row["filing_number"] = number
        if number != raw_number:
            row["filing_number_raw"] = raw_number
        extra = {name: texts[idx] for idx, name in extra_names.items()}
        if stray:
            extra[OUTSIDE_HEADER] = " ".join(stray)
        row["extra"] = extra
        rows.append(row)

    # Nameless header cells with no data anywhere are layout artefacts, not columns.
    unknown: list[str] = []
    for idx, name in extra_names.items():
        if header[idx] or any(r["extra"][name] for r in rows):
            unknown.append(name)
        else:
            for r in rows:
                del r["extra"][name]
    if any(OUTSIDE_HEADER in r["extra"] for r in rows):
        unknown.append(OUTSIDE_HEADER)
    return rows, unknown, leftovers
