"""Table-of-records PDFs like the government's (A4 landscape, ruled tables, CJK text).

Text uses reportlab's built-in `STSong-Light` CID font, so no font file is needed. Tables are laid
out page by page, the way exported lists break: continuation pages repeat the header or not, and a
row can be cut by the page break, its rest continuing at the top of the next page with empty
序号 and id cells. Output is byte-identical for equal input (`invariant`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

FONT = "STSong-Light"


@dataclass
class PdfTable:
    """One logical table: a heading paragraph, a header row and data rows."""

    heading: str | None
    header: list[str]
    rows: list[list[str]]
    repeat_header: bool = True
    cut_rows: set[int] = field(default_factory=set)  # data rows cut by a page break (the page ends there)
    cut_column: int = 2  # the column whose text continues on the next page


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def build_table_pdf(paragraphs: Sequence[str], tables: Sequence[PdfTable], *, rows_per_page: int = 18,
                    title: str = "", keywords: str = "") -> bytes:
    """A PDF: the opening paragraphs, then each table split into pages of `rows_per_page` rows."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font()
    text = ParagraphStyle("text", fontName=FONT, fontSize=11, leading=15)
    heading = ParagraphStyle("heading", fontName=FONT, fontSize=15, leading=22, alignment=1)
    style = TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ])
    story: list = [Paragraph(p, heading if i == 1 else text) for i, p in enumerate(paragraphs)]
    for number, table in enumerate(tables):
        if number:
            story.append(PageBreak())
        if table.heading:
            story.append(Paragraph(table.heading, text))
            story.append(Spacer(1, 4))
        pages: list[list[list[str]]] = [[]]
        for index, row in enumerate(table.rows):
            if len(pages[-1]) >= rows_per_page:
                pages.append([])
            if index in table.cut_rows:  # the page ends inside this row
                text_cell = row[table.cut_column]
                half = max(1, len(text_cell) // 2)
                first = list(row)
                first[table.cut_column] = text_cell[:half]
                rest = [""] * len(row)
                rest[table.cut_column] = text_cell[half:]
                pages[-1].append(first)
                pages.append([rest])
            else:
                pages[-1].append(list(row))
        for page_number, page_rows in enumerate(pages):
            if page_number:
                story.append(PageBreak())
            data = ([table.header] if page_number == 0 or table.repeat_header else []) + page_rows
            flowable = Table(data)
            flowable.setStyle(style)
            story.append(flowable)
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=landscape(A4), invariant=1, title=title, author="", keywords=keywords,
                                 leftMargin=36, rightMargin=36, topMargin=36, bottomMargin=36)
    document.build(story)
    return out.getvalue()
