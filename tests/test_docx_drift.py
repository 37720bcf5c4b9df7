"""Lists as Word or WPS really drift: variants built at test time from the real lists in ../shared, one
structural change per file, each parsed to exactly the rows of the list as published (a row without a valid
备案编号 is a leftover, never a filing)."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from regtrail import settings
from regtrail.crawl.dryrun import parse_file
from regtrail.log import events
from regtrail.parsers.docx_list import DtdRefused, parse_list_docx
from regtrail.parsers.docx_rows import LEFTOVER_TEXT_LIMIT
from tests.support.docx import edit_document
from tests.support.fault_server import FaultServer, respond

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
CAC_DATA = settings.shared_dir() / "cac_data"
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def chosen_lists() -> list[str]:
    """The smallest real list of each type, and the smallest whose 序号 is Word auto-numbering."""
    folder = CAC_DATA / "original_docx"
    if not folder.is_dir():
        return []
    with open(CAC_DATA / "manifest.csv", encoding="utf-8", newline="") as fh:
        manifest = {row["file"]: row for row in csv.DictReader(fh)}
    by_size = sorted(folder.glob("*.docx"), key=lambda p: p.stat().st_size)
    names = [next(p.name for p in by_size if p.name.startswith(kind)) for kind in ("algo_", "deep_")]
    names.append(next(p.name for p in by_size if int(manifest[p.name]["empty_xuhao"] or 0) > 0))
    return list(dict.fromkeys(names))


LISTS = chosen_lists()


def w(tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.Element(W + tag, {W + k: v for k, v in attrs.items()})
    el.text = text
    return el


def run(text: str, tag: str = "t") -> etree._Element:
    r = w("r")
    r.append(w(tag, text))
    return r


def texts(el: etree._Element) -> str:
    return "".join(t.text or "" for t in el.iter(W + "t"))


@dataclass
class Table:
    """The list table of a real document: header row, data rows and the header position of each field."""

    tbl: etree._Element
    header: etree._Element
    rows: list[etree._Element]
    column: dict[str, int]

    def cell(self, row: etree._Element, name: str) -> etree._Element:
        return row.findall(W + "tc")[self.column[name]]

    def middle(self, offset: int = 0) -> etree._Element:
        return self.rows[len(self.rows) // 2 + offset]


def find_table(root: etree._Element) -> Table:
    tbl = next(t for t in root.iter(W + "tbl") if "备案编号" in texts(t.find(W + "tr")).replace(" ", ""))
    header, *rows = tbl.findall(W + "tr")
    names = ["".join(texts(tc).split()) for tc in header.findall(W + "tc")]
    assert all(len(r.findall(W + "tc")) == len(names) for r in rows), "the variants assume one cell per column"
    return Table(tbl, header, rows, {name: i for i, name in enumerate(names)})


def wrap(el: etree._Element, wrapper: etree._Element, inner: etree._Element | None = None) -> None:
    """Put `wrapper` where `el` is and `el` inside it (inside `inner` when given, itself inside `wrapper`)."""
    el.addprevious(wrapper)
    if inner is not None and inner.getparent() is None:
        wrapper.append(inner)
    (inner if inner is not None else wrapper).append(el)


def wrap_runs(p: etree._Element, wrapper: etree._Element) -> None:
    """Move every run of the paragraph into `wrapper`, placed where the first run was."""
    runs = p.findall(W + "r")
    runs[0].addprevious(wrapper)
    for r in runs:
        wrapper.append(r)


def first_text_paragraph(tc: etree._Element) -> etree._Element:
    return next(p for p in tc.iter(W + "p") if texts(p))


def set_text(tc: etree._Element, text: str) -> None:
    """Keep the cell's properties and first paragraph's properties, with one run holding `text`."""
    paragraphs = tc.findall(W + "p")
    for p in paragraphs[1:]:
        tc.remove(p)
    p = paragraphs[0]
    for child in list(p):
        if child.tag != W + "pPr":
            p.remove(child)
    if text:
        p.append(run(text))


# --------------------------------------------------------------------------------------------
# One structural change each. A variant returns the leftover texts it expects (none for most).


def totals_footer(t: Table) -> list[str]:
    footer = copy.deepcopy(t.rows[-1])
    cells = footer.findall(W + "tc")
    for tc in cells:
        set_text(tc, "")
    set_text(cells[0], "合计")
    set_text(cells[t.column["备案编号"]], f"共计{len(t.rows)}项")
    t.rows[-1].addnext(footer)
    return [f"合计 | 共计{len(t.rows)}项"]


def merged_note_row(t: Table) -> list[str]:
    note = copy.deepcopy(t.rows[-1])
    cells = note.findall(W + "tc")
    for tc in cells[1:]:
        note.remove(tc)
    set_text(cells[0], "注：以上排名不分先后")
    tcpr = cells[0].find(W + "tcPr")
    if tcpr is None:
        tcpr = w("tcPr")
        cells[0].insert(0, tcpr)
    tcpr.append(w("gridSpan", val=str(len(cells))))
    t.rows[-1].addnext(note)
    return ["注：以上排名不分先后"]


def half_filled_row(t: Table) -> list[str]:
    row = copy.deepcopy(t.middle())
    set_text(t.cell(row, "备案编号"), "")
    t.middle().addnext(row)
    return [" | ".join(s for s in ("".join(texts(tc).split()) and texts(tc).strip() for tc in row) if s)]


def blank_row(t: Table) -> list[str]:
    row = copy.deepcopy(t.middle())
    for tc in row.findall(W + "tc"):
        set_text(tc, "")
    t.middle().addnext(row)
    return []


def repeated_header(t: Table) -> list[str]:
    t.middle().addnext(copy.deepcopy(t.header))
    return []


def fullwidth_digits(t: Table) -> list[str]:
    tc = t.cell(t.middle(), "备案编号")
    set_text(tc, texts(tc).strip().translate(FULLWIDTH))
    return []


def nbsp_and_zero_width(t: Table) -> list[str]:
    tc = t.cell(t.middle(), "备案编号")
    number = texts(tc).strip()
    set_text(tc, f"\u00a0{number[:4]}\u200b{number[4:10]}\u00a0{number[10:]}\ufeff")
    return []


def number_split_over_runs(t: Table) -> list[str]:
    tc = t.cell(t.middle(), "备案编号")
    number = texts(tc).strip()
    set_text(tc, "")
    p = tc.find(W + "p")
    p.append(run(number[:4]))
    p.append(w("proofErr", type="spellStart"))
    p.append(w("bookmarkStart", id="90", name="_GoBack"))
    p.append(run(number[4:12]))
    p.append(w("bookmarkEnd", id="90"))
    p.append(run(number[12:]))
    return []


def nested_table_in_cell(t: Table) -> list[str]:
    """The cell's paragraphs move into a one-cell table inside it (备注 when a row has one)."""
    row, name = next(((r, "备注") for r in t.rows if texts(t.cell(r, "备注")).strip()), (t.middle(), "主要用途"))
    tc = t.cell(row, name)
    nested, inner_row, inner_cell = w("tbl"), w("tr"), w("tc")
    nested.append(inner_row)
    inner_row.append(inner_cell)
    for p in tc.findall(W + "p"):
        inner_cell.append(p)
    tc.append(nested)
    tc.append(w("p"))  # a cell ends with a paragraph
    return []


def alternate_content_row(t: Table) -> list[str]:
    row = t.middle()
    alternate, choice = etree.Element(MC + "AlternateContent"), etree.Element(MC + "Choice")
    choice.set("Requires", "w14")
    fallback = etree.Element(MC + "Fallback")
    fallback.append(copy.deepcopy(row))
    wrap(row, alternate, choice)
    alternate.append(fallback)
    return []


def alternate_content_fallback_only(t: Table) -> list[str]:
    alternate, fallback = etree.Element(MC + "AlternateContent"), etree.Element(MC + "Fallback")
    wrap(t.middle(), alternate, fallback)
    return []


def tracked_deletion(t: Table) -> list[str]:
    p = first_text_paragraph(t.cell(t.middle(), "算法名称"))
    deleted = w("del", id="91", author="审核", date="2024-01-01T00:00:00Z")
    deleted.append(run("已删除的旧名称", "delText"))
    p.findall(W + "r")[0].addprevious(deleted)
    return []


def tracked_deleted_row(t: Table) -> list[str]:
    row = copy.deepcopy(t.middle())
    set_text(t.cell(row, "备案编号"), "网信算备999999999999999999999号")
    trpr = row.find(W + "trPr")
    if trpr is None:
        trpr = w("trPr")
        row.insert(1 if row.find(W + "tblPrEx") is not None else 0, trpr)
    trpr.append(w("del", id="92", author="审核", date="2024-01-01T00:00:00Z"))
    t.middle().addnext(row)
    return []


def tracked_insertion(t: Table) -> list[str]:
    wrap_runs(first_text_paragraph(t.cell(t.middle(), "主体名称")), w("ins", id="93", author="审核"))
    return []


def content_control_row(t: Table) -> list[str]:
    sdt, content = w("sdt"), w("sdtContent")
    sdt.append(w("sdtPr"))
    sdt.append(content)
    wrap(t.middle(), sdt, content)
    return []


def content_control_cell(t: Table) -> list[str]:
    sdt, content = w("sdt"), w("sdtContent")
    sdt.append(w("sdtPr"))
    sdt.append(content)
    wrap(t.cell(t.middle(), "应用产品"), sdt, content)
    return []


def content_control_runs(t: Table) -> list[str]:
    sdt, content = w("sdt"), w("sdtContent")
    sdt.append(w("sdtPr"))
    sdt.append(content)
    wrap_runs(first_text_paragraph(t.cell(t.middle(), "备案编号")), content)
    content.addprevious(sdt)
    sdt.append(content)
    return []


def hyperlink(t: Table) -> list[str]:
    link = w("hyperlink", history="1")
    link.set(R_ID, "rId99")
    wrap_runs(first_text_paragraph(t.cell(t.middle(), "应用产品")), link)
    return []


def complex_field(t: Table) -> list[str]:
    p = first_text_paragraph(t.cell(t.middle(), "主体名称"))
    runs = p.findall(W + "r")
    begin, instr, separate, end = w("r"), run(' HYPERLINK "https://example.invalid/" ', "instrText"), w("r"), w("r")
    begin.append(w("fldChar", fldCharType="begin"))
    separate.append(w("fldChar", fldCharType="separate"))
    end.append(w("fldChar", fldCharType="end"))
    for r in (begin, instr, separate):
        runs[0].addprevious(r)
    runs[-1].addnext(end)
    return []


def simple_field(t: Table) -> list[str]:
    wrap_runs(first_text_paragraph(t.cell(t.middle(), "算法名称")), w("fldSimple", instr=" DOCPROPERTY 名称 "))
    return []


def smart_tag(t: Table) -> list[str]:
    tag = w("smartTag", element="PersonName")
    props = w("smartTagPr")
    props.append(w("attr", name="ProductID", val="x"))
    wrap_runs(first_text_paragraph(t.cell(t.middle(), "主体名称")), tag)
    tag.insert(0, props)
    return []


def custom_xml_row(t: Table) -> list[str]:
    wrap(t.middle(), w("customXml", element="filing"))
    return []


def custom_xml_cell(t: Table) -> list[str]:
    wrap(t.cell(t.middle(), "主要用途"), w("customXml", element="purpose"))
    return []


def vertical_merge(t: Table) -> list[str]:
    """Two neighbouring rows with the same 角色/算法类别 become one vertically merged cell."""
    name = "角色" if "角色" in t.column else "算法类别"
    above, below = next((a, b) for a, b in zip(t.rows, t.rows[1:], strict=False)
                        if texts(t.cell(a, name)).strip() and texts(t.cell(a, name)) == texts(t.cell(b, name)))
    for tc, val in ((t.cell(above, name), "restart"), (t.cell(below, name), None)):
        tcpr = tc.find(W + "tcPr")
        if tcpr is None:
            tcpr = w("tcPr")
            tc.insert(0, tcpr)
        tcpr.append(w("vMerge", **({"val": val} if val else {})))
    set_text(t.cell(below, name), "")
    return []


def grid_span(t: Table) -> list[str]:
    """A narrow grid column after the last one; every row's last cell spans into it."""
    grid = t.tbl.find(W + "tblGrid")
    grid.append(w("gridCol", w="20"))
    for row in [t.header, *t.rows]:
        tc = row.findall(W + "tc")[-1]
        tcpr = tc.find(W + "tcPr")
        if tcpr is None:
            tcpr = w("tcPr")
            tc.insert(0, tcpr)
        tcpr.insert(0, w("gridSpan", val="2"))
    return []


VARIANTS: dict[str, Callable[[Table], list[str]]] = {f.__name__: f for f in (
    totals_footer, merged_note_row, half_filled_row, blank_row, repeated_header, fullwidth_digits,
    nbsp_and_zero_width, number_split_over_runs, nested_table_in_cell, alternate_content_row,
    alternate_content_fallback_only, tracked_deletion, tracked_deleted_row, tracked_insertion,
    content_control_row, content_control_cell, content_control_runs, hyperlink, complex_field, simple_field,
    smart_tag, custom_xml_row, custom_xml_cell, vertical_merge, grid_span)}
RAW_NUMBER_VARIANTS = {"fullwidth_digits", "nbsp_and_zero_width"}


@pytest.fixture(scope="module")
def originals() -> dict[str, tuple[bytes, list[dict]]]:
    if not LISTS:
        pytest.skip(f"{CAC_DATA} is not present")
    result = {}
    for name in LISTS:
        data = (CAC_DATA / "original_docx" / name).read_bytes()
        parsed = parse_list_docx(data)
        assert parsed.leftovers == [] and len(parsed.rows) > 5
        result[name] = (data, parsed.rows)
    return result


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("name", LISTS or ["(no real lists)"])
def test_drifted_list_parses_to_the_published_rows(
    originals: dict[str, tuple[bytes, list[dict]]], name: str, variant: str, tmp_path: Path
) -> None:
    data, want = originals[name]
    expected_leftovers: list[str] = []

    def edit(root: etree._Element) -> None:
        before = etree.tostring(root)
        expected_leftovers.extend(VARIANTS[variant](find_table(root)))
        assert etree.tostring(root) != before, "the variant changed the document"

    path = tmp_path / f"{variant}.docx"
    path.write_bytes(edit_document(data, edit))
    parsed = parse_list_docx(path.read_bytes())

    raw = {r["row_index"]: r.pop("filing_number_raw") for r in parsed.rows if "filing_number_raw" in r}
    assert parsed.rows == want
    assert [left["text"] for left in parsed.leftovers] == expected_leftovers
    assert all(left["reason"] and left["table_row"] > 0 for left in parsed.leftovers)
    if variant in RAW_NUMBER_VARIANTS:  # the number as printed is kept beside its identity
        assert len(raw) == 1 and next(iter(raw.values())) != want[next(iter(raw)) - 1]["filing_number"]
    else:
        assert raw == {}


def test_every_real_list_has_no_leftover_and_clean_numbers() -> None:
    files = sorted((CAC_DATA / "original_docx").glob("*.docx"))
    if not files:
        pytest.skip(f"{CAC_DATA} is not present")
    for path in files:
        parsed = parse_list_docx(path.read_bytes())
        assert parsed.leftovers == [], path.name
        assert not any("filing_number_raw" in r for r in parsed.rows), path.name


def test_a_huge_leftover_is_kept_cut(originals: dict[str, tuple[bytes, list[dict]]]) -> None:
    data, want = originals[LISTS[0]]

    def edit(root: etree._Element) -> None:
        table = find_table(root)
        totals_footer(table)
        set_text(table.rows[-1].getnext().findall(W + "tc")[1], "注" * 1_000_000)

    parsed = parse_list_docx(edit_document(data, edit))
    [left] = parsed.leftovers
    assert parsed.rows == want
    assert len(left["text"]) == LEFTOVER_TEXT_LIMIT and left["text_length"] > 1_000_000


def test_a_list_of_only_leftovers_has_no_filings(originals: dict[str, tuple[bytes, list[dict]]]) -> None:
    data, want = originals[LISTS[0]]

    def edit(root: etree._Element) -> None:
        table = find_table(root)
        for row in table.rows:
            set_text(table.cell(row, "备案编号"), "待定")

    parsed = parse_list_docx(edit_document(data, edit))
    assert parsed.rows == []
    assert len(parsed.leftovers) == len(want)
    assert all("待定" in left["reason"] for left in parsed.leftovers)


DTDS = {
    "internal": b'<!DOCTYPE ROOT [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>',
    "external": b'<!DOCTYPE ROOT SYSTEM "http://127.0.0.1:9/evil.dtd">',
}


@pytest.mark.parametrize("dtd", sorted(DTDS))
@pytest.mark.parametrize("padding", [0, 5 * 1024, 64 * 1024])
@pytest.mark.parametrize("part", ["word/document.xml", "word/styles.xml"])
def test_a_dtd_is_refused_wherever_it_sits_in_the_prolog(
    originals: dict[str, tuple[bytes, list[dict]]], part: str, padding: int, dtd: str
) -> None:
    """A DOCTYPE after a comment of `padding` bytes, in the main part or the styles: refused, whatever the offset."""
    data, _ = originals[LISTS[0]]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        assert part in names
        for info in src.infolist():
            blob = src.read(info)
            if info.filename == part:
                declaration, rest = blob.split(b"?>", 1)
                root_name = rest.lstrip().split(b" ", 1)[0][1:]
                comment = b"<!--" + b"x" * padding + b"-->" if padding else b""
                blob = declaration + b"?>" + comment + DTDS[dtd].replace(b"ROOT", root_name) + rest
                assert blob.index(b"<!DOCTYPE") > padding
            dst.writestr(info, blob)
    with pytest.raises(DtdRefused, match=f"{part} declares a DTD"):
        parse_list_docx(out.getvalue())


def test_parse_emits_leftovers_on_the_list_and_clean_filings(
    originals: dict[str, tuple[bytes, list[dict]]], tmp_path: Path
) -> None:
    """What the crawler emits for a drifted list (`regtrail parse`): the footer is on the list_publication, the
    full-width number is the same filing as printed cleanly."""
    data, want = originals[LISTS[0]]
    footers: list[str] = []

    def edit(root: etree._Element) -> None:
        table = find_table(root)
        fullwidth_digits(table)
        footers.extend(totals_footer(table))

    path = tmp_path / LISTS[0]
    path.write_bytes(edit_document(data, edit))
    lines = parse_file(path)
    publication = next(line for line in lines if line["record_type"] == "list_publication")
    filings = [line for line in lines if line["record_type"] == "filing"]
    assert [left["text"] for left in publication["leftover_rows"]] == footers
    assert publication["row_count"] == len(filings) == len(want)
    assert [f["filing_number"] for f in filings] == [r["filing_number"] for r in want]
    assert [f["record_key"] for f in filings] == [r["filing_number"] for r in want]
    assert sum("filing_number_raw" in f for f in filings) == 1


def test_ingest_from_a_loopback_server_keeps_the_footer_out_of_the_filings(
    originals: dict[str, tuple[bytes, list[dict]]], tmp_path: Path
) -> None:
    """`regtrail ingest` of a drifted list served on loopback: every good row is a filing, the footer is a
    leftover on the list_publication, the run succeeds and its summary line reports the leftover."""
    data, want = originals[LISTS[0]]
    footers: list[str] = []

    def edit(root: etree._Element) -> None:
        footers.extend(totals_footer(find_table(root)))

    url = f"https://www.cac.gov.cn/files/{LISTS[0]}"
    route = respond(200, edit_document(data, edit), {"Content-Type": "application/vnd.openxmlformats-officedocument"})
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in {"REGTRAIL_MIRROR", "REGTRAIL_LOG"}}
    with FaultServer(routes={f"/www.cac.gov.cn/files/{LISTS[0]}": route}) as server:
        done = subprocess.run([sys.executable, "-m", "regtrail", "ingest", url], cwd=settings.REPO_ROOT,
                              env={**env, "REGTRAIL_HOME": str(home), "REGTRAIL_MIRROR": server.origin,
                                   "PYTHONPATH": str(settings.REPO_ROOT)},
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "1 list row(s) without a valid 备案编号" in done.stderr.splitlines()[-1]
    records = events.read_events(home, "records", "adhoc").to_pylist()
    payloads = {t: [json.loads(r["payload"]) for r in records if r["record_type"] == t] for t in ("list_publication",
                                                                                                  "filing")}
    [publication] = payloads["list_publication"]
    assert [left["text"] for left in publication["leftover_rows"]] == footers
    assert [f["filing_number"] for f in payloads["filing"]] == [r["filing_number"] for r in want]
