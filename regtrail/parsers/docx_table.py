"""Cell text and table rows of a WordprocessingML table (a one-pass walk, and a careful path for odd cells)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from regtrail.parsers.docx_xml import (
    _BLOCK_CONTAINERS,
    _CAREFUL_TAGS,
    _EXTRA_STRIP,
    _FALSE_VALUES,
    _MC_ALTERNATE,
    _RUN_CONTAINERS,
    _W,
    _WALK_TAGS,
    _WALK_TAGS_WITH_STYLES,
    _WS_RE,
    MC_CHOICE,
    MC_FALLBACK,
    W_BR,
    W_CR,
    W_DEL,
    W_GRIDBEFORE,
    W_GRIDCOL,
    W_GRIDSPAN,
    W_HMERGE,
    W_NO_BREAK_HYPHEN,
    W_NUMID,
    W_NUMPR,
    W_P,
    W_PPR,
    W_PSTYLE,
    W_R,
    W_RPR,
    W_T,
    W_TAB,
    W_TBL,
    W_TBLGRID,
    W_TBLHEADER,
    W_TC,
    W_TR,
    W_VAL,
    W_VANISH,
    W_VMERGE,
    W_W,
)

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
            out.append(_BREAK)
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


_BREAK = "\x0b"
"""A w:br/w:cr line break in gathered text (a character XML 1.0 text cannot hold); "\n" separates paragraphs."""


def _is_cjk(ch: str) -> bool:
    """CJK ideographs and punctuation, kana, hangul and full-width forms: scripts written without spaces."""
    return "\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uf900" <= ch <= "\uffef"


def _join_lines(lines: list[str]) -> str:
    """The lines of one paragraph, stripped; joined with a space, or with nothing between two CJK characters."""
    result = ""
    for line in lines:
        line = _clean(line)
        if line:
            if result and not (_is_cjk(result[-1]) and _is_cjk(line[0])):
                result += " "
            result += line
    return result


def _join_text(text: str) -> str:
    """Cell text from its gathered pieces: paragraphs (and lines of text holding a newline) stripped, empty
    ones dropped, the rest joined with one space; line breaks inside a paragraph as `_join_lines`."""
    if "\n" not in text and _BREAK not in text:
        return _clean(text)
    pieces = []
    for part in text.split("\n"):
        part = _join_lines(part.split(_BREAK)) if _BREAK in part else _clean(part)
        if part:
            pieces.append(part)
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
    return _join_text("\n".join(_paragraph_text(p) for p in _children(tc, W_P)))


# --------------------------------------------------------------------------------------------
# Table model


@dataclass(slots=True)
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
    if rows is None:  # a table nested in a cell: its paragraphs become the cell's, then one more walk
        _flatten_nested_tables(tbl)
        rows = _table_rows_fast(tbl, numbered_styles)
        assert rows is not None, "no nested table is left"
    return rows


def _splice(el: etree._Element, children: list[etree._Element]) -> None:
    """Replace `el` in its parent by `children` (moved, in order)."""
    parent = el.getparent()
    if parent is None:
        return
    index = parent.index(el)
    parent.remove(el)
    parent[index:index] = children


def _flatten_nested_tables(tbl: etree._Element) -> None:
    """Replace every table nested in a cell of `tbl` by its paragraphs, so its text belongs to that cell."""
    for inner in [t for t in tbl.iter(W_TBL) if t is not tbl]:
        _splice(inner, list(inner.iter(W_P)))


def resolve_alternate_content(root: etree._Element) -> None:
    """Keep one branch of each mc:AlternateContent in place of it: the first mc:Choice, else mc:Fallback."""
    for alternate in list(root.iter(_MC_ALTERNATE)):
        chosen = alternate.find(MC_CHOICE)
        if chosen is None:
            chosen = alternate.find(MC_FALLBACK)
        _splice(alternate, list(chosen) if chosen is not None else [])


def _table_rows_fast(tbl: etree._Element, numbered_styles: frozenset[str]) -> list[_Row] | None:
    """One C-level walk over the table; None when it holds a nested table. Tracked row deletions are left out.

    The text of a cell is gathered as one list of pieces where a paragraph start, like w:br, is a line
    break (the cell text rule treats paragraphs and lines alike).
    """
    rows: list[_Row] = []
    cells: list[_Cell] = []
    in_row = is_header = deleted = False
    col = 0
    tc: etree._Element | None = None
    span, vcont, hcont, careful = 1, False, False, False
    cell_numbered = para_numbered = False
    parts: list[str] = []

    def close_cell() -> None:
        nonlocal col
        if careful:
            text = _cell_text_careful(tc)
            numbered = not text and any(_paragraph_numbered(p, numbered_styles) for p in _children(tc, W_P))
        else:
            text = "".join(parts)
            text = _join_text(text)
            numbered = not text and (cell_numbered or para_numbered)
        if hcont and cells:  # legacy horizontal merge: widen the previous cell
            cells[-1].span += span
        else:
            cells.append(_Cell(col, span, text, vcont, numbered))
        col += span

    walk_tags = _WALK_TAGS_WITH_STYLES if numbered_styles else _WALK_TAGS
    for el in tbl.iter(*walk_tags):
        tag = el.tag
        if tag == W_T:
            t = el.text
            if t:
                parts.append(t)
        elif tag == W_P:
            if parts:
                parts.append("\n")
            if para_numbered:
                cell_numbered, para_numbered = True, False
        elif tag == W_TC:
            if tc is not None:
                close_cell()
            tc = el
            span, vcont, hcont, careful = 1, False, False, False
            cell_numbered = para_numbered = False
            parts = []
        elif tag == W_TR:
            if tc is not None:
                close_cell()
                tc = None
            if in_row and not deleted:
                rows.append((cells, is_header))
            cells, in_row, is_header, deleted, col = [], True, False, False, 0
        elif tag == W_TAB:
            if el.getparent().tag == W_R:  # w:tab is also a tab stop inside w:pPr/w:tabs
                parts.append(" ")
        elif tag == W_BR or tag == W_CR:
            parts.append(_BREAK)
        elif tag == W_NO_BREAK_HYPHEN:
            parts.append("-")
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
        elif tag == W_DEL and tc is None:  # w:trPr/w:del: a row deleted with changes tracked
            deleted = True
        elif tag in _CAREFUL_TAGS:
            careful = True
    if tc is not None:
        close_cell()
    if in_row and not deleted:
        rows.append((cells, is_header))
    return rows


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
