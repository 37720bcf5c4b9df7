"""Synthetic CAC list attachments that look like the real WPS-made DOCX files.

``build_list_docx`` lays a list out the way the published attachments do: a paragraph ``附件``/``附件N``,
the title, then one table whose first row is a repeating header (``w:tblHeader``). Flags reproduce
the irregularities of real files: Word auto-numbering in the 序号 column, an extra narrow grid column
with cells spanning two grid columns, and cell text split over several paragraphs/runs.

``synthetic_rows`` makes realistic but obviously invented rows (entities named ``示例…有限公司``) with
filing numbers in the real format, for mirror sites and tests (it lives in
`regtrail.mirror.synthetic_filings`, re-exported here). The real attachments are never copied.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import docx
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Twips
from lxml import etree

from regtrail.fetch.sniff import SYNTHETIC_MARK
from regtrail.mirror.synthetic_filings import HEADERS, synthetic_rows

__all__ = ["HEADERS", "build_list_docx", "list_title", "synthetic_rows"]

_TITLES = {
    "deep_synthesis": "境内深度合成服务算法备案清单",
    "algo_recommendation": "境内互联网信息服务算法备案清单",
}

_COLUMN_WIDTHS = {  # twips, close to the real attachments
    "序号": 779,
    "算法名称": 1565,
    "角色": 1729,
    "算法类别": 1729,
    "主体名称": 1616,
    "应用产品": 2554,
    "主要用途": 4014,
    "备案编号": 1737,
    "备注": 1904,
}
_HIDDEN_COLUMN_WIDTH = 20
_SPLIT_MIN_CHARS = 12  # cell texts at least this long are split when split_paragraphs is set
_FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def list_title(list_type: str, batch_label: str) -> str:
    """Title paragraph of a list, e.g. '境内深度合成服务算法备案清单（2023年8月）'."""
    return f"{_TITLES[list_type]}（{batch_label}）"


# --------------------------------------------------------------------------------------------
# DOCX building


def _el(tag: str, **attrs: str) -> etree._Element:
    el = OxmlElement(tag)
    for name, value in attrs.items():
        el.set(qn(f"w:{name}"), value)
    return el


def _sub(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    el = _el(tag, **attrs)
    parent.append(el)
    return el


def _fonts(rpr: etree._Element, font: str | None, size_half_points: int) -> None:
    if font:
        _sub(rpr, "w:rFonts", ascii=font, hAnsi=font, eastAsia=font, cs=font, hint="eastAsia")
    else:
        _sub(rpr, "w:rFonts", hint="eastAsia")
    _sub(rpr, "w:sz", val=str(size_half_points))
    _sub(rpr, "w:szCs", val=str(size_half_points))


def _run(text: str, font: str | None, size: int) -> etree._Element:
    r = _el("w:r")
    _fonts(_sub(r, "w:rPr"), font, size)
    t = _sub(r, "w:t")
    t.text = text
    if text != text.strip():
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return r


def _paragraph(
    runs: Sequence[str], *, font: str | None = None, size: int = 24, center: bool = False,
    num_id: int | None = None, in_cell: bool = False,
) -> etree._Element:  # fmt: skip
    p = _el("w:p")
    ppr = _sub(p, "w:pPr")
    _sub(ppr, "w:widowControl")
    if num_id is not None:
        numpr = _sub(ppr, "w:numPr")
        _sub(numpr, "w:ilvl", val="0")
        _sub(numpr, "w:numId", val=str(num_id))
    if in_cell:
        _sub(ppr, "w:spacing", line="400", lineRule="exact")
    _sub(ppr, "w:ind", firstLine="0", firstLineChars="0")
    if center or in_cell:
        _sub(ppr, "w:jc", val="center")
    if in_cell:
        _sub(ppr, "w:textAlignment", val="center")
    _fonts(_sub(ppr, "w:rPr"), font, size)
    for text in runs:
        p.append(_run(text, font, size))
    return p


def _split_runs(text: str) -> list[str]:
    """Pieces of a run-split text (WPS splits runs at script and formatting changes)."""
    step = max(4, len(text) // 3)
    return [text[i : i + step] for i in range(0, len(text), step)]


def _cell_paragraphs(text: str, split: bool, font: str | None) -> list[etree._Element]:
    if not split or len(text) < _SPLIT_MIN_CHARS:
        return [_paragraph([text] if text else [], font=font, in_cell=True)]
    if " " in text:  # a paragraph break reads back as one space: split where the spaces are
        return [_paragraph(_split_runs(piece), font=font, in_cell=True) for piece in text.split(" ")]
    # No space to split at: several runs, then an empty trailing paragraph as WPS leaves behind.
    return [_paragraph(_split_runs(text), font=font, in_cell=True), _paragraph([], font=font, in_cell=True)]


def _cell(width: int, span: int, paragraphs: list[etree._Element]) -> etree._Element:
    tc = _el("w:tc")
    tcpr = _sub(tc, "w:tcPr")
    _sub(tcpr, "w:tcW", w=str(width), type="dxa")
    if span > 1:
        _sub(tcpr, "w:gridSpan", val=str(span))
    _sub(tcpr, "w:vAlign", val="center")
    for p in paragraphs:
        tc.append(p)
    return tc


def _row(cells: list[etree._Element], *, header: bool) -> etree._Element:
    tr = _el("w:tr")
    trpr = _sub(tr, "w:trPr")
    _sub(trpr, "w:cantSplit")
    _sub(trpr, "w:trHeight", val="403" if header else "785", hRule="atLeast")
    if header:
        _sub(trpr, "w:tblHeader")
    _sub(trpr, "w:jc", val="center")
    for tc in cells:
        tr.append(tc)
    return tr


def _table_properties(total_width: int) -> etree._Element:
    tblpr = _el("w:tblPr")
    _sub(tblpr, "w:tblStyle", val="TableGrid")
    _sub(tblpr, "w:tblW", w=str(total_width), type="dxa")
    _sub(tblpr, "w:jc", val="center")
    borders = _sub(tblpr, "w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        _sub(borders, f"w:{side}", val="single", color="auto", sz="4", space="0")
    _sub(tblpr, "w:tblLayout", type="fixed")
    mar = _sub(tblpr, "w:tblCellMar")
    for side, w in (("top", "0"), ("left", "108"), ("bottom", "0"), ("right", "108")):
        _sub(mar, f"w:{side}", w=w, type="dxa")
    return tblpr


def _add_numbering(document: docx.document.Document) -> int:
    """Add a single-level decimal list ('%1', centred, no suffix) like WPS uses for 序号; return its numId."""
    numbering = document.part.numbering_part.element
    abstract_ids = [int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))]
    num_ids = [int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))]
    abstract_id, num_id = max(abstract_ids, default=-1) + 1, max(num_ids, default=0) + 1

    abstract = _el("w:abstractNum", abstractNumId=str(abstract_id))
    _sub(abstract, "w:multiLevelType", val="singleLevel")
    lvl = _sub(abstract, "w:lvl", ilvl="0")
    _sub(lvl, "w:start", val="1")
    _sub(lvl, "w:numFmt", val="decimal")
    _sub(lvl, "w:suff", val="nothing")
    _sub(lvl, "w:lvlText", val="%1")
    _sub(lvl, "w:lvlJc", val="center")
    _sub(_sub(lvl, "w:pPr"), "w:ind", left="0", firstLine="0")
    first_num = numbering.find(qn("w:num"))  # every w:abstractNum must precede the w:num elements
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    num = _sub(numbering, "w:num", numId=str(num_id))
    _sub(num, "w:abstractNumId", val=str(abstract_id))
    return num_id


def _stable_zip(data: bytes) -> bytes:
    """Rewrite the package with fixed timestamps so equal inputs give byte-identical files."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info))
    return out.getvalue()


def build_list_docx(
    *,
    title: str,
    attachment_label: str | None,
    header: list[str],
    rows: list[list[str]],
    auto_number: bool = False,
    hidden_grid_column: bool = False,
    split_paragraphs: bool = False,
) -> bytes:
    """DOCX bytes of a list attachment laid out like the real WPS-made ones.

    ``rows`` are cell texts in ``header`` order. With ``auto_number`` the 序号 cells are left empty
    and auto-numbered (w:numPr); their texts in ``rows`` are not written. ``hidden_grid_column`` adds
    a narrow grid column after the third column that one cell per row spans (w:gridSpan=2), on
    alternate rows the cell before or after it. ``split_paragraphs`` splits long cell texts over
    several runs and paragraphs (at spaces, which read back as one space, or leaving a trailing empty
    paragraph).
    """
    ncols = len(header)
    if any(len(r) != ncols for r in rows):
        raise ValueError(f"every row needs {ncols} cells (one per header column)")
    seq_col = header.index("序号") if "序号" in header else None
    if auto_number and seq_col is None:
        raise ValueError("auto_number needs a 序号 column")
    if hidden_grid_column and ncols < 2:
        raise ValueError("hidden_grid_column needs at least two columns")

    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Twips(16838), Twips(11906)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Twips(1134))
    num_id = _add_numbering(document) if auto_number else None

    widths = [_COLUMN_WIDTHS.get(name, 1500) for name in header]
    hidden_after = min(2, ncols - 2)  # the narrow grid column follows this header column
    grid = list(widths)
    if hidden_grid_column:
        grid.insert(hidden_after + 1, _HIDDEN_COLUMN_WIDTH)

    tbl = _el("w:tbl")
    tbl.append(_table_properties(sum(grid)))
    tbl_grid = _sub(tbl, "w:tblGrid")
    for w in grid:
        _sub(tbl_grid, "w:gridCol", w=str(w))

    def spans(row_number: int) -> list[int]:
        """Grid span of each cell: the hidden column joins the cell before it or (odd rows) after it."""
        result = [1] * ncols
        if hidden_grid_column:
            result[hidden_after + (row_number % 2)] = 2
        return result

    def width(col: int, span: int) -> int:
        return widths[col] + (_HIDDEN_COLUMN_WIDTH if span == 2 else 0)

    header_cells = [
        _cell(width(i, s), s, [_paragraph([name], font="黑体", in_cell=True)])
        for i, (name, s) in enumerate(zip(header, spans(0), strict=True))
    ]
    tbl.append(_row(header_cells, header=True))
    for n, values in enumerate(rows, start=1):
        cells = []
        for i, (text, s) in enumerate(zip(values, spans(n), strict=True)):
            if i == seq_col and auto_number:
                paragraphs = [_paragraph([], in_cell=True, num_id=num_id)]
            else:
                paragraphs = _cell_paragraphs(text, split_paragraphs, None)
            cells.append(_cell(width(i, s), s, paragraphs))
        tbl.append(_row(cells, header=False))

    body = document.element.body
    sect_pr = body.find(qn("w:sectPr"))
    blocks = []
    if attachment_label is not None:
        blocks.append(_paragraph([attachment_label], font="黑体", size=32))
        blocks.append(_paragraph([]))
    blocks.append(_paragraph([title], font="方正小标宋简体", size=36, center=True))
    blocks.append(_paragraph([]))
    blocks.append(tbl)
    blocks.append(_paragraph([]))
    for block in blocks:
        sect_pr.addprevious(block)

    document.core_properties.author = "regtrail synthetic"
    document.core_properties.keywords = SYNTHETIC_MARK
    out = io.BytesIO()
    document.save(out)
    return _stable_zip(out.getvalue())
