"""Reader of CAC algorithm-filing list attachments (DOCX made with WPS or Word).

A list attachment holds a paragraph ``附件``/``附件N``, the list title (e.g.
``境内深度合成服务算法备案清单（2023年8月）``) and one table whose first row is the header (序号,
算法名称, 角色 or 算法类别, 主体名称, 应用产品, 主要用途, 备案编号, 备注).

``word/document.xml`` is read with lxml directly (no python-docx) and each table is walked once at C
level, so a whole batch parses in milliseconds. Cells are mapped to header columns by grid position,
so ``w:gridSpan``, ``w:gridBefore`` and extra narrow grid columns never shift a value into the wrong
column; a ``w:vMerge`` continuation cell takes the value of the cell above; an empty 序号 cell whose
paragraph is auto-numbered (``w:numPr``) gets the number Word displays (the row's position).

Cell text rule (reproduces the reference CSV conversions of the real files): the text of each
paragraph, and of each line inside it (``w:br``/``w:cr``), is stripped of surrounding whitespace
(including NBSP, the ideographic space and zero-width characters), empty pieces are dropped and the
rest are joined with one space; ``w:tab`` is a space; deleted (``w:del``, ``w:moveFrom``) and hidden
(``w:vanish``) runs are left out; full-width punctuation is kept as is.
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

MAX_DOCUMENT_XML_BYTES = 64 * 1024 * 1024
"""Refuse a DOCX whose main document part is larger than this once uncompressed (the largest real list: 6 MB)."""

MAX_XML_ELEMENTS = 2_000_000
"""Refuse a part with more XML elements than this before building its tree (the largest real list has about
125,000; a tree costs roughly 200 bytes per element, a parsed cell more), so reading any DOCX stays under 1 GB."""

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_ALTERNATE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
_OFFICE_DOCUMENT_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
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
W_VMERGE = _W + "vMerge"
W_HMERGE = _W + "hMerge"
W_TBLHEADER = _W + "tblHeader"
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

# Containers whose runs are part of the paragraph text (tracked insertions, hyperlinks, structured
# tags, simple fields, ...). Anything else (w:del, w:moveFrom, properties, bookmarks, drawings,
# maths) contributes no text.
_RUN_CONTAINERS = frozenset(
    _W + tag
    for tag in (
        "ins", "moveTo", "hyperlink", "smartTag", "sdt", "sdtContent", "customXml", "fldSimple", "dir", "bdo",
    )
)  # fmt: skip
# Wrappers that may hold table rows, cells or paragraphs.
_BLOCK_CONTAINERS = frozenset(_W + tag for tag in ("sdt", "sdtContent", "customXml", "ins", "moveTo"))
_FALSE_VALUES = frozenset(("0", "false", "off", "none"))

# Elements the one-pass table walk cannot read correctly: a cell containing one is re-read by the
# careful per-paragraph path. lxml skips names absent from a document at no cost, so the common case
# pays nothing for them.
_CAREFUL_TAGS = frozenset(
    (
        W_VANISH,
        _W + "specVanish",
        _W + "del",
        _W + "moveFrom",
        _W + "txbxContent",
        _W + "ruby",
        _MC_ALTERNATE,
    )
)
_WALK_TAGS = (
    W_TR, W_TC, W_P, W_T, W_TAB, W_BR, W_CR, W_NO_BREAK_HYPHEN, W_GRIDSPAN, W_VMERGE, W_HMERGE, W_GRIDBEFORE,
    W_TBLHEADER, W_NUMID, W_TBL, *_CAREFUL_TAGS,
)  # fmt: skip
_WALK_TAGS_WITH_STYLES = (*_WALK_TAGS, W_PSTYLE)

# Empty formatting elements no path of this reader looks at (fonts, sizes, colours, spacing, alignment,
# cell widths and margins, borders). WPS writes them on every run and paragraph: in the largest real
# list they are 4.8 of its 6.2 MB of XML. They are cut from the bytes before lxml builds the tree
# (about 3x less parsing); only self-closing `<w:NAME .../>` elements go, so no text or structure does.
_UNREAD_PROPERTIES = re.compile(
    rb"<w:(?:rFonts|sz|szCs|color|lang|kern|jc|spacing|ind|keepNext|keepLines|pageBreakBefore|kinsoku|"
    rb"wordWrap|overflowPunct|topLinePunct|autoSpaceDE|autoSpaceDN|bidi|adjustRightInd|snapToGrid|"
    rb"widowControl|textAlignment|tcW|top|left|bottom|right|start|end|vAlign|b|bCs|i|iCs|shd|insideH|"
    rb"insideV)(?: [^<>]*)?/>"
)

# Stripped at the ends of every text piece besides str.strip()'s whitespace (which covers NBSP and
# the ideographic space).
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

_TAIL_KEYS = ("entity_name", "products", "purpose", "filing_number", "remark")
OUTSIDE_HEADER = "_outside_header"
"""``extra`` key for text in cells that lie outside every header column."""


class ListParseError(ValueError):
    """The bytes are not a CAC list attachment that can be read (the message says why)."""


class DocumentTooLarge(ListParseError):
    """Refused for what reading it would cost (inflated size, element count): no other parser should try it."""


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


def _check_magic(data: bytes) -> None:
    """Reject bytes that are obviously not a DOCX, naming what they look like."""
    if not data:
        raise ListParseError("empty document (0 bytes): expected a DOCX list attachment")
    if data.startswith(b"PK\x03\x04"):
        return
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf") or b"%PDF-" in data[:1024]:
        raise ListParseError("got a PDF document, not a DOCX: a PDF list needs the PDF parser")
    html_marks = (b"<html", b"<!doctype html", b"<head", b"<script", b"<body")
    if head.startswith(b"<") and any(m in head for m in html_marks):
        title = re.search(rb"<title[^>]*>(.*?)</title>", data[:16384], re.I | re.S)
        shown = title.group(1).decode("utf-8", "replace").strip()[:80] if title else ""
        raise ListParseError(
            f"got an HTML page of {len(data):,} bytes, not a DOCX" + (f"; page title: {shown!r}" if shown else "")
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ListParseError("got a legacy Word .doc (OLE2) or an encrypted document, not a DOCX")
    if data.startswith((b"PK\x05\x06", b"PK\x07\x08")):
        raise ListParseError("got an empty or split ZIP archive, not a DOCX")
    raise ListParseError(f"not a DOCX (not a ZIP archive): {len(data)} bytes starting with {data[:16]!r}")


def _read_member(zf: zipfile.ZipFile, name: str) -> bytes:
    """Read one ZIP member, refusing anything larger than MAX_DOCUMENT_XML_BYTES uncompressed.

    zipfile never returns more than the declared size (a lying header ends in a CRC error) and only
    stored or deflated members are accepted, so the declared size bounds the memory used.
    """
    info = zf.getinfo(name)
    if info.file_size > MAX_DOCUMENT_XML_BYTES:
        raise DocumentTooLarge(
            f"{name} would uncompress to {info.file_size:,} bytes (limit {MAX_DOCUMENT_XML_BYTES:,}; "
            f"{info.compress_size:,} bytes compressed): refused as a possible ZIP bomb"
        )
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ListParseError(f"{name} uses ZIP compression method {info.compress_type}; a DOCX never does")
    data = zf.read(info)
    check_xml_cost(data, name)
    return data


def check_xml_cost(xml: bytes, name: str, limit: int = MAX_XML_ELEMENTS) -> None:
    """Raise DocumentTooLarge when `xml` holds more than `limit` elements (counted on the bytes, no tree built).

    Every element has one start tag and at most one end tag, so start tags minus end tags bound the
    element count from above (comments and processing instructions count too; a DOCX has few).
    """
    elements = xml.count(b"<") - xml.count(b"</")
    if elements > limit:
        raise DocumentTooLarge(
            f"{name} holds about {elements:,} XML elements (limit {limit:,}; {len(xml):,} bytes uncompressed): "
            "refused before reading, its tree would need several GB of memory"
        )


def check_docx_cost(data: bytes, limit: int = MAX_XML_ELEMENTS) -> None:
    """Raise DocumentTooLarge when the main part of the DOCX `data` is too large to read; other errors pass.

    For readers that build the whole document (python-docx): call before handing them the bytes.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            main_part = _main_part_name(zf, names)
            info = zf.getinfo(main_part)
            if info.file_size > MAX_DOCUMENT_XML_BYTES:
                _read_member(zf, main_part)  # raises with the message
            if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                check_xml_cost(zf.read(info), main_part, limit)
    except DocumentTooLarge:
        raise
    except (ListParseError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError, ValueError,
            RuntimeError, NotImplementedError):
        return  # not a readable DOCX: the reader itself says why


def _xml_parser() -> etree.XMLParser:
    # No entity expansion, no network, no DTD loading; huge_tree stays off (depth/text-size limits).
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, collect_ids=False)


def _parse_xml(data: bytes, name: str) -> etree._Element:
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data[:4096]:
        raise ListParseError(f"{name} declares a DTD or entities, which a DOCX never does: refused")
    try:
        return etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        raise ListParseError(f"{name} is not well-formed XML: {exc}") from exc


def _main_part_name(zf: zipfile.ZipFile, names: set[str]) -> str:
    """Name of the main document part: word/document.xml, else the officeDocument relationship target."""
    if "word/document.xml" in names:
        return "word/document.xml"
    if "_rels/.rels" in names:
        try:
            rels = _parse_xml(_read_member(zf, "_rels/.rels"), "_rels/.rels")
        except ListParseError:
            rels = None
        for rel in rels.iter(_PKG_REL) if rels is not None else ():
            if rel.get("Type") == _OFFICE_DOCUMENT_REL:
                target = normpath(rel.get("Target", "").lstrip("/"))
                if target in names:
                    return target
    shown = ", ".join(sorted(names)[:8]) or "none"
    raise ListParseError(f"ZIP archive has no word/document.xml, so it is not a DOCX (members: {shown})")


def _numbered_styles(zf: zipfile.ZipFile, names: set[str], main_part: str) -> frozenset[str]:
    """Paragraph style ids that carry list numbering (directly or through w:basedOn)."""
    styles_name = posix_join(main_part.rpartition("/")[0], "styles.xml")
    if styles_name not in names:
        return frozenset()
    try:
        root = _parse_xml(_read_member(zf, styles_name), styles_name)
    except ListParseError:
        return frozenset()
    own: dict[str, bool | None] = {}  # style id -> numbering on/off, None when the style says nothing
    based_on: dict[str, str] = {}
    for style in root.iter(W_STYLE):
        sid = style.get(W_STYLEID)
        if style.get(W_TYPE) != "paragraph" or not sid:
            continue
        ppr = style.find(W_PPR)
        numpr = ppr.find(W_NUMPR) if ppr is not None else None
        num_id = numpr.find(W_NUMID) if numpr is not None else None
        own[sid] = None if num_id is None else (num_id.get(W_VAL) or "0") != "0"
        parent = style.find(W_BASEDON)
        if parent is not None and parent.get(W_VAL):
            based_on[sid] = parent.get(W_VAL)
    result = set()
    for sid in own:
        seen: set[str] = set()
        cur: str | None = sid
        while cur is not None and cur not in seen:
            seen.add(cur)
            if own.get(cur) is not None:
                if own[cur]:
                    result.add(sid)
                break
            cur = based_on.get(cur)
    return frozenset(result)


# --------------------------------------------------------------------------------------------
# Text extraction (careful path: paragraph by paragraph, honouring deletions and hidden text)


def _children(el: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Children with ``tag``, looking through structured-document-tag and similar wrappers."""
    for child in el:
        ctag = child.tag
        if ctag == tag:
            yield child
        elif ctag in _BLOCK_CONTAINERS:
            yield from _children(child, tag)


def _is_on(el: etree._Element | None) -> bool:
    """A WordprocessingML on/off property is on when present without a false ``w:val``."""
    return el is not None and (el.get(W_VAL) or "1").lower() not in _FALSE_VALUES


def _run_text(run: etree._Element, out: list[str]) -> None:
    for child in run:
        tag = child.tag
        if tag == W_T:
            if child.text:
                out.append(child.text)
        elif tag == W_RPR:
            if _is_on(child.find(W_VANISH)) or _is_on(child.find(_W + "specVanish")):
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
        for line in text.split("\n") if "\n" in text else (text,):
            line = _clean(line)
            if line:
                pieces.append(line)
    return " ".join(pieces)


def _paragraph_numbered(p: etree._Element, numbered_styles: frozenset[str]) -> bool:
    """Whether Word shows a list number for the paragraph (direct w:numPr or a numbered style)."""
    ppr = p.find(W_PPR)
    if ppr is None:
        return False
    numpr = ppr.find(W_NUMPR)
    num_id = numpr.find(W_NUMID) if numpr is not None else None
    if num_id is not None:  # numId 0 explicitly switches numbering off
        return (num_id.get(W_VAL) or "0") != "0"
    if numbered_styles:
        pstyle = ppr.find(W_PSTYLE)
        return pstyle is not None and pstyle.get(W_VAL) in numbered_styles
    return False


def _cell_text_careful(tc: etree._Element) -> str:
    return _join_pieces([_paragraph_text(p) for p in _children(tc, W_P)])


# --------------------------------------------------------------------------------------------
# Table model


@dataclass
class _Cell:
    start: int  # first grid column
    span: int  # grid columns covered
    text: str
    vmerge_continue: bool
    numbered: bool  # an empty cell whose paragraph is auto-numbered


_Row = tuple[list[_Cell], bool]  # cells, marked as repeating header row


def _int_val(el: etree._Element, default: int) -> int:
    try:
        return max(int(el.get(W_VAL) or default), 0)
    except ValueError:
        return default


def _merge_continues(el: etree._Element) -> bool:
    return (el.get(W_VAL) or "continue") == "continue"


def _table_rows(tbl: etree._Element, numbered_styles: frozenset[str]) -> list[_Row]:
    """All rows of a table, with cells positioned on the grid."""
    rows = _table_rows_fast(tbl, numbered_styles)
    if rows is None:  # nested table somewhere: walk rows and cells structurally
        rows = [_row_cells_careful(tr, numbered_styles) for tr in _children(tbl, W_TR)]
    return rows


def _table_rows_fast(tbl: etree._Element, numbered_styles: frozenset[str]) -> list[_Row] | None:
    """One C-level walk over the table; None when it holds a nested table."""
    rows: list[_Row] = []
    cells: list[_Cell] | None = None
    is_header = False
    col = 0
    tc: etree._Element | None = None
    span, vcont, hcont, careful = 1, False, False, False
    cell_numbered = para_numbered = False
    texts: list[str] = []
    cur: list[str] = []

    def close_cell() -> None:
        nonlocal tc, col, cell_numbered
        if tc is None or cells is None:
            return
        if careful:
            text = _cell_text_careful(tc)
            numbered = not text and any(_paragraph_numbered(p, numbered_styles) for p in _children(tc, W_P))
        else:
            if cur:
                texts.append("".join(cur))
            if len(texts) == 1 and "\n" not in texts[0]:
                text = _clean(texts[0])
            else:
                text = _join_pieces(texts)
            numbered = not text and (cell_numbered or para_numbered)
        if hcont and cells:  # legacy horizontal merge: widen the previous cell
            cells[-1].span += span
        else:
            cells.append(_Cell(col, span, text, vcont, numbered))
        col += span
        tc = None

    walk_tags = _WALK_TAGS_WITH_STYLES if numbered_styles else _WALK_TAGS
    for el in tbl.iter(*walk_tags):
        tag = el.tag
        if tag == W_T:
            t = el.text
            if t:
                cur.append(t)
        elif tag == W_P:
            if cur:
                texts.append("".join(cur))
                cur = []
            cell_numbered = cell_numbered or para_numbered
            para_numbered = False
        elif tag == W_TC:
            close_cell()
            tc = el
            span, vcont, hcont, careful = 1, False, False, False
            cell_numbered = para_numbered = False
            texts, cur = [], []
        elif tag == W_TR:
            close_cell()
            if cells is not None:
                rows.append((cells, is_header))
            cells, is_header, col = [], False, 0
        elif tag == W_TAB:
            if el.getparent().tag == W_R:  # w:tab is also a tab stop inside w:pPr/w:tabs
                cur.append(" ")
        elif tag == W_BR or tag == W_CR:
            cur.append("\n")
        elif tag == W_NO_BREAK_HYPHEN:
            cur.append("-")
        elif tag == W_NUMID:
            para_numbered = (el.get(W_VAL) or "0") != "0"
        elif tag == W_PSTYLE:
            para_numbered = el.get(W_VAL) in numbered_styles
        elif tag == W_GRIDSPAN:
            span = max(_int_val(el, 1), 1)
        elif tag == W_VMERGE:
            vcont = _merge_continues(el)
        elif tag == W_HMERGE:
            hcont = _merge_continues(el)
        elif tag == W_GRIDBEFORE:
            if tc is None:
                col = _int_val(el, 0)
        elif tag == W_TBLHEADER:
            is_header = _is_on(el)
        elif tag == W_TBL:
            if el is not tbl:
                return None
        elif tag in _CAREFUL_TAGS:
            careful = True
    close_cell()
    if cells is not None:
        rows.append((cells, is_header))
    return rows


def _row_cells_careful(tr: etree._Element, numbered_styles: frozenset[str]) -> _Row:
    """One row read element by element (used for tables that contain nested tables)."""
    col = 0
    is_header = False
    cells: list[_Cell] = []
    for child in tr:
        if child.tag == W_TRPR:
            for prop in child:
                if prop.tag == W_GRIDBEFORE:
                    col = _int_val(prop, 0)
                elif prop.tag == W_TBLHEADER:
                    is_header = _is_on(prop)
    for tc in _children(tr, W_TC):
        span, vcont, hcont = 1, False, False
        tcpr = tc.find(W_TCPR)
        for prop in tcpr if tcpr is not None else ():
            if prop.tag == W_GRIDSPAN:
                span = max(_int_val(prop, 1), 1)
            elif prop.tag == W_VMERGE:
                vcont = _merge_continues(prop)
            elif prop.tag == W_HMERGE:
                hcont = _merge_continues(prop)
        text = _cell_text_careful(tc)
        numbered = not text and any(_paragraph_numbered(p, numbered_styles) for p in _children(tc, W_P))
        if hcont and cells:
            cells[-1].span += span
        else:
            cells.append(_Cell(col, span, text, vcont, numbered))
        col += span
    return cells, is_header


def _grid_widths(tbl: etree._Element) -> list[int]:
    grid = tbl.find(W_TBLGRID)
    widths: list[int] = []
    for gc in grid.iter(W_GRIDCOL) if grid is not None else ():
        try:
            widths.append(max(int(float(gc.get(W_W) or 0)), 0))
        except ValueError:
            widths.append(0)
    return widths


def _normalise_header(text: str) -> str:
    return _WS_RE.sub("", text)


def _header_texts(cells: list[_Cell]) -> list[str]:
    return [_normalise_header(c.text) for c in cells]


# --------------------------------------------------------------------------------------------
# Public entry point


def parse_list_docx(data: bytes) -> ParsedList:
    """Parse a CAC list attachment (DOCX bytes) into its heading fields and data rows.

    Raises ListParseError, with a message saying what was wrong, for anything that is not a DOCX
    holding a table with a 备案编号 column.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ListParseError(f"expected the document bytes, got {type(data).__name__}")
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
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError, ValueError) as exc:
        raise ListParseError(f"corrupt or truncated ZIP archive, cannot read the DOCX: {exc}") from exc
    except (RuntimeError, NotImplementedError) as exc:  # encrypted members, unsupported features
        raise ListParseError(f"cannot read the DOCX archive: {exc}") from exc

    root = _parse_xml(_UNREAD_PROPERTIES.sub(b"", xml), main_part)
    body = root.find(W_BODY)
    if body is None:
        raise ListParseError(f"{main_part} has no w:body: not a Word document")
    return _parse_body(body, numbered_styles)


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
    rows, unknown = _build_rows(header, header_cells, widths, data_rows, list_type)
    return ParsedList(
        attachment_label=label,
        title=title,
        list_type=list_type,
        batch_label=_batch_label(title),
        header=header,
        rows=rows,
        unknown_columns=unknown,
    )


def _is_continuation(first: list[_Cell], header: list[str], header_cells: list[_Cell]) -> bool:
    if _header_texts(first) == header:
        return True
    if [(c.start, c.span) for c in first] != [(c.start, c.span) for c in header_cells]:
        return False
    return first[header.index("备案编号")].text.startswith("网信算备")


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
) -> tuple[list[dict], list[str]]:
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
    header_initials = {name[0] for name in header if name}
    rows: list[dict] = []
    above: dict[int, str] = {}  # grid column -> text of the cell above (for vMerge)
    for cells, _ in raw_rows:
        if all(not c.text for c in cells):
            continue  # fully empty row (an auto number alone does not make a row)
        if any(c.text and c.text[0] in header_initials for c in cells) and _header_texts(cells) == header:
            continue  # repeated header row
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
    return rows, unknown
