"""Reader of CAC algorithm-filing list attachments (DOCX made with WPS or Word).

The list is one table whose first row is the header (序号, 算法名称, 角色 or 算法类别, 主体名称,
应用产品, 主要用途, 备案编号, 备注), preceded by a paragraph ``附件``/``附件N`` and the list title.

``word/document.xml`` is read with lxml directly (no python-docx) so a whole batch parses in
milliseconds. Cells are mapped to header columns by grid position, so ``w:gridSpan``,
``w:gridBefore``/``w:gridAfter`` and extra narrow grid columns never shift a value into the wrong
column; ``w:vMerge`` continuation cells take the value of the cell above; an empty 序号 cell whose
paragraph is auto-numbered (``w:numPr``) gets the number Word displays (the row's position).

Cell text rule (matches the reference CSV conversions of the real files): the text of each
paragraph and of each line inside it (``w:br``/``w:cr``) is stripped of surrounding whitespace, empty
pieces are dropped and the rest are joined with one space; ``w:tab`` is a space; deleted
(``w:del``, ``w:moveFrom``) and hidden (``w:vanish``) runs are left out; full-width punctuation is
kept as is.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from posixpath import join as posix_join
from posixpath import normpath

from lxml import etree

PARSER_NAME = "cac_docx_list"
PARSER_VERSION = "1"

MAX_DOCUMENT_XML_BYTES = 200 * 1024 * 1024
"""Refuse a DOCX whose main document part is larger than this once uncompressed (ZIP bomb guard)."""

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OFFICE_DOCUMENT_REL = _R_NS + "/officeDocument"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"

W_BODY = _W + "body"
W_TBL = _W + "tbl"
W_TR = _W + "tr"
W_TC = _W + "tc"
W_P = _W + "p"
W_R = _W + "r"
W_T = _W + "t"
W_TAB = _W + "tab"
W_BR = _W + "br"
W_CR = _W + "cr"
W_NO_BREAK_HYPHEN = _W + "noBreakHyphen"
W_PPR = _W + "pPr"
W_RPR = _W + "rPr"
W_TCPR = _W + "tcPr"
W_TRPR = _W + "trPr"
W_TBLGRID = _W + "tblGrid"
W_GRIDCOL = _W + "gridCol"
W_GRIDSPAN = _W + "gridSpan"
W_GRIDBEFORE = _W + "gridBefore"
W_GRIDAFTER = _W + "gridAfter"
W_VMERGE = _W + "vMerge"
W_HMERGE = _W + "hMerge"
W_VANISH = _W + "vanish"
W_NUMPR = _W + "numPr"
W_NUMID = _W + "numId"
W_PSTYLE = _W + "pStyle"
W_VAL = _W + "val"
W_W = _W + "w"
W_STYLE = _W + "style"
W_STYLEID = _W + "styleId"
W_TYPE = _W + "type"
W_BASEDON = _W + "basedOn"

# Containers whose content is part of the surrounding text (structured tags, tracked insertions,
# hyperlinks, simple fields, ...). Anything not listed here (w:del, w:moveFrom, properties,
# bookmarks, drawings, maths) contributes no text.
_RUN_CONTAINERS = frozenset(
    _W + tag
    for tag in ("ins", "moveTo", "hyperlink", "smartTag", "sdt", "sdtContent", "customXml", "fldSimple", "dir", "bdo")
)
_BLOCK_CONTAINERS = frozenset(_W + tag for tag in ("sdt", "sdtContent", "customXml", "ins", "moveTo"))
_FALSE_VALUES = frozenset(("0", "false", "off", "none"))

# Characters stripped at the ends of every text piece, besides str.strip()'s whitespace (which
# already covers NBSP and the ideographic space).
_EXTRA_STRIP = "\u200b\u200c\u200d\u2060\ufeff"
_WS_RE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_BATCH_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月")
_LABEL_RE = re.compile(r"^附件[0-9]*[:：]?$")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

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

_ROW_TEXT_KEYS = ("algorithm_name", "entity_name", "products", "purpose", "filing_number", "remark")


class ListParseError(ValueError):
    """The bytes are not a CAC list attachment that can be read (the message says why)."""


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


# --------------------------------------------------------------------------------------------
# Package reading


def _describe_start(data: bytes) -> str:
    head = data[:16]
    return repr(head) if head else "nothing"


def _check_magic(data: bytes) -> None:
    """Reject bytes that are obviously not a DOCX, naming what they look like."""
    if not data:
        raise ListParseError("empty document (0 bytes): expected a DOCX list attachment")
    if data.startswith(b"PK\x03\x04"):
        return
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf") or data[:1024].find(b"%PDF-") >= 0:
        raise ListParseError("got a PDF document, not a DOCX: list attachments in PDF need the PDF parser")
    if head.startswith(b"<") and (b"<html" in head or b"<!doctype" in head or b"<script" in head or b"<head" in head):
        title = re.search(rb"<title[^>]*>(.*?)</title>", data[:8192], re.I | re.S)
        shown = title.group(1).decode("utf-8", "replace").strip()[:80] if title else ""
        raise ListParseError(
            "got an HTML page, not a DOCX (an error page or a web-firewall challenge; was the Referer of the "
            f"notice page sent?)" + (f"; page title: {shown!r}" if shown else "")
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ListParseError("got a legacy Word .doc (OLE2) or encrypted file, not a DOCX")
    if data.startswith((b"PK\x05\x06", b"PK\x07\x08")):
        raise ListParseError("got an empty or spanned ZIP archive, not a DOCX")
    raise ListParseError(f"not a DOCX (not a ZIP archive; {len(data)} bytes starting with {_describe_start(data)})")


def _read_member(zf: zipfile.ZipFile, name: str) -> bytes:
    """Read one ZIP member, refusing anything larger than MAX_DOCUMENT_XML_BYTES uncompressed."""
    info = zf.getinfo(name)
    if info.file_size > MAX_DOCUMENT_XML_BYTES:
        raise ListParseError(
            f"{name} would uncompress to {info.file_size} bytes (limit {MAX_DOCUMENT_XML_BYTES}): refused as a "
            "possible ZIP bomb"
        )
    with zf.open(info) as fh:  # the declared size can lie: bound the actual read as well
        data = fh.read(MAX_DOCUMENT_XML_BYTES + 1)
    if len(data) > MAX_DOCUMENT_XML_BYTES:
        raise ListParseError(f"{name} uncompresses to more than {MAX_DOCUMENT_XML_BYTES} bytes: refused")
    return data


def _main_part_name(zf: zipfile.ZipFile, names: set[str]) -> str:
    """Name of the main document part: word/document.xml, else the officeDocument relationship target."""
    if "word/document.xml" in names:
        return "word/document.xml"
    if "_rels/.rels" in names:
        try:
            rels = etree.fromstring(_read_member(zf, "_rels/.rels"), _xml_parser())
        except etree.XMLSyntaxError:
            rels = None
        if rels is not None:
            for rel in rels.iter(_PKG_REL):
                if rel.get("Type") == _OFFICE_DOCUMENT_REL:
                    target = normpath(rel.get("Target", "").lstrip("/"))
                    if target in names:
                        return target
    shown = ", ".join(sorted(names)[:8])
    raise ListParseError(f"ZIP archive has no word/document.xml, so it is not a DOCX (members: {shown})")


def _xml_parser() -> etree.XMLParser:
    # No entity expansion, no network, no DTD loading; huge_tree stays off (depth/text-size limits).
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse_xml(data: bytes, name: str) -> etree._Element:
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data[:4096]:
        raise ListParseError(f"{name} declares a DTD/entities, which a DOCX never does: refused")
    try:
        return etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        raise ListParseError(f"{name} is not well-formed XML: {exc}") from exc


def _numbered_styles(zf: zipfile.ZipFile, names: set[str], main_part: str) -> frozenset[str]:
    """Paragraph style ids that carry list numbering (directly or through w:basedOn)."""
    styles_name = posix_join(main_part.rpartition("/")[0], "styles.xml")
    if styles_name not in names:
        return frozenset()
    try:
        root = etree.fromstring(_read_member(zf, styles_name), _xml_parser())
    except (etree.XMLSyntaxError, ListParseError):
        return frozenset()
    numbered: dict[str, bool | None] = {}
    based_on: dict[str, str] = {}
    for style in root.iter(W_STYLE):
        if style.get(W_TYPE) != "paragraph":
            continue
        sid = style.get(W_STYLEID)
        if not sid:
            continue
        ppr = style.find(W_PPR)
        num = ppr.find(W_NUMPR) if ppr is not None else None
        numbered[sid] = None if num is None else _numpr_active(num)
        parent = style.find(W_BASEDON)
        if parent is not None and parent.get(W_VAL):
            based_on[sid] = parent.get(W_VAL)
    result = set()
    for sid in numbered:
        seen, cur = set(), sid
        while cur is not None and cur not in seen:
            seen.add(cur)
            if numbered.get(cur) is not None:
                if numbered[cur]:
                    result.add(sid)
                break
            cur = based_on.get(cur)
    return frozenset(result)


# --------------------------------------------------------------------------------------------
# Text extraction


def _children(el: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Children with ``tag``, looking through structured-document-tag and similar wrappers."""
    for child in el:
        ctag = child.tag
        if ctag == tag:
            yield child
        elif ctag in _BLOCK_CONTAINERS:
            yield from _children(child, tag)


def _is_on(el: etree._Element | None) -> bool:
    return el is not None and (el.get(W_VAL) or "1").lower() not in _FALSE_VALUES


def _run_text(run: etree._Element, out: list[str]) -> None:
    for child in run:
        tag = child.tag
        if tag == W_T:
            if child.text:
                out.append(child.text)
        elif tag == W_RPR:
            if _is_on(child.find(W_VANISH)):
                return
        elif tag == W_TAB:
            out.append(" ")
        elif tag == W_BR or tag == W_CR:
            out.append("\n")
        elif tag == W_NO_BREAK_HYPHEN:
            out.append("-")


def _collect_runs(el: etree._Element, out: list[str]) -> None:
    for child in el:
        tag = child.tag
        if tag == W_R:
            _run_text(child, out)
        elif tag in _RUN_CONTAINERS:
            _collect_runs(child, out)


def _paragraph_text(p: etree._Element) -> str:
    out: list[str] = []
    _collect_runs(p, out)
    return "".join(out)


def _clean(text: str) -> str:
    return text.strip().strip(_EXTRA_STRIP).strip()


def _join_pieces(texts: list[str]) -> str:
    """Strip each paragraph/line piece, drop empty ones and join the rest with one space."""
    pieces: list[str] = []
    for text in texts:
        if "\n" in text:
            for line in text.split("\n"):
                line = _clean(line)
                if line:
                    pieces.append(line)
        else:
            text = _clean(text)
            if text:
                pieces.append(text)
    return " ".join(pieces)


def _numpr_active(numpr: etree._Element) -> bool:
    num_id = numpr.find(W_NUMID)
    # numId 0 explicitly switches numbering off; a numPr without numId only sets the level.
    return num_id is not None and (num_id.get(W_VAL) or "0") != "0"


def _paragraph_numbered(p: etree._Element, numbered_styles: frozenset[str]) -> bool:
    ppr = p.find(W_PPR)
    if ppr is None:
        return False
    numpr = ppr.find(W_NUMPR)
    if numpr is not None:
        num_id = numpr.find(W_NUMID)
        if num_id is not None:
            return (num_id.get(W_VAL) or "0") != "0"
    if numbered_styles:
        pstyle = ppr.find(W_PSTYLE)
        return pstyle is not None and pstyle.get(W_VAL) in numbered_styles
    return False


# --------------------------------------------------------------------------------------------
# Table model


@dataclass
class _Cell:
    start: int  # first grid column
    span: int
    text: str
    vmerge_continue: bool
    numbered: bool  # an auto-numbered paragraph (only looked at when the text is empty)


def _int_val(el: etree._Element | None, default: int) -> int:
    if el is None:
        return default
    try:
        return max(int(el.get(W_VAL) or default), 0)
    except ValueError:
        return default


@dataclass(frozen=True)
class _Ctx:
    numbered_styles: frozenset[str]
    careful: bool  # the document has hidden/deleted text, text boxes or nested tables


# Markers (namespace-prefix independent) of content the fast cell-text path would misread.
_CAREFUL_MARKERS = (b"vanish", b"moveFrom", b":del ", b":del>", b"<del ", b"<del>", b"txbxContent",
                    b"AlternateContent", b"ruby", b"specVanish")


def _needs_careful_path(xml: bytes) -> bool:
    return any(m in xml for m in _CAREFUL_MARKERS) or xml.count(b"tbl>") > 2


_FAST_TAGS = (W_P, W_T, W_TAB, W_BR, W_CR, W_NO_BREAK_HYPHEN)


def _cell_text_fast(tc: etree._Element) -> str:
    """Cell text through one C-level tree walk (valid when _needs_careful_path is false)."""
    texts: list[str] = []
    cur: list[str] = []
    for el in tc.iter(*_FAST_TAGS):
        tag = el.tag
        if tag == W_T:
            t = el.text
            if t:
                cur.append(t)
        elif tag == W_P:
            if cur:
                texts.append("".join(cur))
                cur = []
        elif tag == W_TAB:
            if el.getparent().tag == W_R:  # w:tab is also a tab stop inside w:pPr/w:tabs
                cur.append(" ")
        elif tag == W_NO_BREAK_HYPHEN:
            cur.append("-")
        else:
            cur.append("\n")
    if cur:
        texts.append("".join(cur))
    if len(texts) == 1 and "\n" not in texts[0]:
        return _clean(texts[0])
    return _join_pieces(texts)


def _cell_text_careful(tc: etree._Element) -> str:
    return _join_pieces([_paragraph_text(p) for p in _children(tc, W_P)])


def _row_cells(tr: etree._Element, ctx: _Ctx) -> tuple[list[_Cell], bool]:
    """Cells of one table row positioned on the grid, and whether the row is a repeating header."""
    col = 0
    is_header = False
    cells: list[_Cell] = []
    careful = ctx.careful
    for child in tr:
        tag = child.tag
        if tag == W_TRPR:
            col = _int_val(child.find(W_GRIDBEFORE), 0)
            is_header = _is_on(child.find(_W + "tblHeader"))
        elif tag == W_TC or tag in _BLOCK_CONTAINERS:
            for tc in [child] if tag == W_TC else _children(child, W_TC):
                span, vcont, hcont = 1, False, False
                tcpr = tc.find(W_TCPR)
                if tcpr is not None:
                    gs = tcpr.find(W_GRIDSPAN)
                    if gs is not None:
                        span = max(_int_val(gs, 1), 1)
                    vm = tcpr.find(W_VMERGE)
                    vcont = vm is not None and (vm.get(W_VAL) or "continue") == "continue"
                    hm = tcpr.find(W_HMERGE)
                    hcont = hm is not None and (hm.get(W_VAL) or "continue") == "continue"
                text = _cell_text_careful(tc) if careful else _cell_text_fast(tc)
                numbered = False
                if not text:
                    paras = _children(tc, W_P) if careful else tc.iter(W_P)
                    numbered = any(_paragraph_numbered(p, ctx.numbered_styles) for p in paras)
                if hcont and cells:  # legacy horizontal merge: widen the previous cell
                    cells[-1].span += span
                else:
                    cells.append(_Cell(col, span, text, vcont, numbered))
                col += span
    return cells, is_header


def _grid_widths(tbl: etree._Element) -> list[int]:
    grid = tbl.find(W_TBLGRID)
    widths: list[int] = []
    if grid is not None:
        for gc in grid.iter(W_GRIDCOL):
            try:
                widths.append(max(int(float(gc.get(W_W) or 0)), 0))
            except ValueError:
                widths.append(0)
    return widths


def _normalise_header(text: str) -> str:
    return _WS_RE.sub("", text)


def _header_index(row: list[_Cell]) -> list[str]:
    return [_normalise_header(c.text) for c in row]


# --------------------------------------------------------------------------------------------
# Public entry point


def parse_list_docx(data: bytes) -> ParsedList:
    """Parse a CAC list attachment (DOCX bytes) into its heading fields and data rows.

    Raises ListParseError, with a message saying what was wrong, for anything that is not a DOCX
    holding a table with a 备案编号 column.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ListParseError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    _check_magic(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            main_part = _main_part_name(zf, names)
            xml = _read_member(zf, main_part)
            numbered_styles = _numbered_styles(zf, names, main_part)
    except ListParseError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError) as exc:
        raise ListParseError(f"corrupt or truncated ZIP archive, cannot read the DOCX: {exc}") from exc
    except (RuntimeError, NotImplementedError) as exc:  # encrypted members, unsupported compression
        raise ListParseError(f"cannot read the DOCX archive: {exc}") from exc

    root = _parse_xml(xml, main_part)
    body = root.find(W_BODY)
    if body is None:
        raise ListParseError(f"{main_part} has no w:body: not a Word document")
    return _parse_body(body, _Ctx(numbered_styles, _needs_careful_path(xml)))


def _parse_body(body: etree._Element, ctx: _Ctx) -> ParsedList:
    blocks = list(_body_blocks(body))
    tables = [(i, b) for i, b in enumerate(blocks) if b.tag == W_TBL]
    if not tables:
        raise ListParseError("the DOCX contains no table, so it is not a filing list")

    main = None
    seen_headers: list[str] = []
    for pos, (block_index, tbl) in enumerate(tables):
        found = _find_header(tbl, ctx)
        if found is not None:
            main = (pos, block_index, tbl, *found)
            break
        first = next(_children(tbl, W_TR), None)
        if first is not None:
            seen_headers.append("|".join(_header_index(_row_cells(first, ctx)[0]))[:80])
    if main is None:
        raise ListParseError(
            f"no table with a 备案编号 column found ({len(tables)} table(s); first row(s): {seen_headers[:3]})"
        )
    pos, block_index, tbl, header_pos, header_cells, rows_after = main

    header = [_normalise_header(c.text) for c in header_cells]
    widths = _grid_widths(tbl)
    ncols = max([len(widths)] + [c.start + c.span for c in header_cells])
    widths = (widths + [0] * ncols)[:ncols]

    # Continuation tables (the list broken into several tables) join the main one.
    all_rows = rows_after
    for _, other in tables[pos + 1 :]:
        other_rows = [_row_cells(tr, ctx) for tr in _children(other, W_TR)]
        if other_rows and _is_continuation(other_rows, header, header_cells):
            all_rows = all_rows + other_rows

    label, title = _heading(blocks[:block_index])
    if title is None and header_pos > 0:  # title written as a merged first row of the table
        first = next(_children(tbl, W_TR))
        title = _WS_RE.sub("", "".join(c.text for c in _row_cells(first, ctx)[0])) or None
    list_type = _list_type(title)
    batch_label = _batch_label(title)
    rows, unknown = _build_rows(header, header_cells, widths, all_rows, list_type)
    return ParsedList(
        attachment_label=label,
        title=title,
        list_type=list_type,
        batch_label=batch_label,
        header=header,
        rows=rows,
        unknown_columns=unknown,
    )


def _body_blocks(body: etree._Element) -> Iterator[etree._Element]:
    for child in body:
        tag = child.tag
        if tag == W_P or tag == W_TBL:
            yield child
        elif tag in _BLOCK_CONTAINERS:
            yield from _body_blocks(child)


def _find_header(
    tbl: etree._Element, ctx: _Ctx
) -> tuple[int, list[_Cell], list[tuple[list[_Cell], bool]]] | None:
    """Locate the header row (the first row, or one of the first three when a title row precedes it)."""
    trs = list(_children(tbl, W_TR))
    for i, tr in enumerate(trs[:3]):
        cells, _ = _row_cells(tr, ctx)
        if "备案编号" in _header_index(cells):
            rest = [_row_cells(t, ctx) for t in trs[i + 1 :]]
            return i, cells, rest
    return None


def _is_continuation(rows: list[tuple[list[_Cell], bool]], header: list[str], header_cells: list[_Cell]) -> bool:
    first = rows[0][0]
    if _header_index(first) == header:
        return True
    if len(first) != len(header_cells) or "备案编号" not in header:
        return False
    fn_col = header.index("备案编号")
    return first[fn_col].text.startswith("网信算备")


def _heading(paragraphs: list[etree._Element]) -> tuple[str | None, str | None]:
    """Attachment label and title from the paragraphs before the table."""
    texts = []
    for p in paragraphs:
        if p.tag != W_P:
            continue
        text = _WS_RE.sub("", _paragraph_text(p))
        if text:
            texts.append(text)
    label = None
    label_pos = -1
    for i, text in enumerate(texts):
        norm = text.translate(_FULLWIDTH_DIGITS)
        if _LABEL_RE.match(norm):
            label, label_pos = norm.rstrip(":："), i
    after = texts[label_pos + 1 :]
    if not after:
        return label, None
    if label is not None and len(after) <= 2:
        return label, "".join(after)
    title = after[-1]
    if title.startswith(("（", "(")) and len(after) > 1:
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
    if not title:
        return None
    m = _BATCH_RE.search(title.translate(_FULLWIDTH_DIGITS))
    if not m:
        return None
    return f"{int(m.group(1))}年{int(m.group(2))}月"


def _column_of(cell: _Cell, col_ranges: list[tuple[int, int]], widths: list[int]) -> int | None:
    """Header column whose grid range overlaps the cell most (overlap weighted by grid width)."""
    best, best_score = None, 0.0
    c0, c1 = cell.start, cell.start + cell.span
    for idx, (h0, h1) in enumerate(col_ranges):
        lo, hi = max(c0, h0), min(c1, h1)
        if lo >= hi:
            continue
        # +1 keeps zero-width columns countable; real widths dominate.
        score = sum(widths[g] + 1 if g < len(widths) else 1 for g in range(lo, hi))
        if score > best_score:
            best, best_score = idx, score
    return best


def _build_rows(
    header: list[str],
    header_cells: list[_Cell],
    widths: list[int],
    raw_rows: list[tuple[list[_Cell], bool]],
    list_type: str | None,
) -> tuple[list[dict], list[str]]:
    col_ranges = [(c.start, c.start + c.span) for c in header_cells]

    # Map header columns to row keys; anything else (or a duplicate) is an unknown column.
    keys: list[str | None] = []
    used: set[str] = set()
    has_role, has_cat = "角色" in header, "算法类别" in header
    kind_key = "role" if has_role and not (has_cat and list_type == "algo_recommendation") else None
    if kind_key is None:
        kind_key = "algorithm_category" if has_cat else ("role" if list_type == "deep_synthesis" else None)
    if kind_key is None:
        kind_key = "algorithm_category" if list_type == "algo_recommendation" else "role"
    for name in header:
        key = HEADER_FIELDS.get(name)
        if key in ("role", "algorithm_category") and key != kind_key:
            key = None
        if key is None or key in used:
            keys.append(None)
        else:
            keys.append(key)
            used.add(key)
    extra_names: dict[int, str] = {}
    for idx, (name, key) in enumerate(zip(header, keys)):
        if key is None:
            extra_names[idx] = name or f"列{idx + 1}"

    column_cache: dict[tuple[int, int], int | None] = {}
    header_initials = {name[0] for name in header if name}
    rows: list[dict] = []
    above: dict[int, str] = {}  # grid column -> text of the cell above (for vMerge)
    extra_seen: set[str] = set()
    for cells, _ in raw_rows:
        if not cells:
            continue
        if all(not c.text for c in cells):
            continue  # fully empty row (auto numbers alone do not make a row)
        if any(c.text and c.text[0] in header_initials for c in cells) and _header_index(cells) == header:
            continue  # repeated header row
        values: list[list[str]] = [[] for _ in header]
        seq_numbered = False
        stray: list[str] = []
        for cell in cells:
            text = cell.text
            if cell.vmerge_continue:
                text = above.get(cell.start, "")
            else:
                for g in range(cell.start, cell.start + cell.span):
                    above[g] = text
            layout = (cell.start, cell.span)
            idx = column_cache[layout] if layout in column_cache else column_cache.setdefault(
                layout, _column_of(cell, col_ranges, widths)
            )
            if idx is None:
                if text:
                    stray.append(text)
                continue
            if text:
                values[idx].append(text)
            elif cell.numbered and keys[idx] == "seq" and not cell.vmerge_continue:
                seq_numbered = True
        row_index = len(rows) + 1
        row: dict = {"row_index": row_index}
        texts = {i: " ".join(v) for i, v in enumerate(values)}
        by_key = {key: texts[i] for i, key in enumerate(keys) if key is not None}
        seq = by_key.get("seq", "")
        seq_auto = not seq and seq_numbered
        row["seq"] = str(row_index) if seq_auto else seq
        row["seq_auto"] = seq_auto
        row["algorithm_name"] = by_key.get("algorithm_name", "")
        row[kind_key] = by_key.get(kind_key, "")
        for key in _ROW_TEXT_KEYS[1:]:
            row[key] = by_key.get(key, "")
        extra = {extra_names[i]: texts[i] for i in extra_names}
        if stray:
            extra["_outside_header"] = " ".join(stray)
        row["extra"] = {k: v for k, v in extra.items() if v or k in extra_names.values()}
        for k, v in row["extra"].items():
            if v:
                extra_seen.add(k)
        rows.append(row)

    # Nameless header cells with no data anywhere are layout artefacts, not columns.
    unknown: list[str] = []
    for idx, name in extra_names.items():
        if header[idx] or name in extra_seen:
            unknown.append(name)
        else:
            for row in rows:
                row["extra"].pop(name, None)
    if any("_outside_header" in r["extra"] for r in rows):
        unknown.append("_outside_header")
    return rows, unknown
