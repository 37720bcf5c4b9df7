"""The CAC list-attachment parser against the real attachments and synthetic ones with every known quirk."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import re
import zipfile
from pathlib import Path

import docx
import pytest
from lxml import etree

from regtrail import settings
from regtrail.mirror.synthetic_docx import HEADERS, build_list_docx, list_title, synthetic_rows
from regtrail.parsers import docx_list
from regtrail.parsers.docx_list import ListParseError, ParsedList, parse_list_docx
from tests.support.docx import edit_document

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CAC_DATA = settings.shared_dir() / "cac_data"
REAL_FILES = sorted(p.name for p in (CAC_DATA / "original_docx").glob("*.docx"))
ROW_KEYS = {
    "row_index", "seq", "seq_auto", "algorithm_name", "entity_name", "products", "purpose", "filing_number",
    "remark", "extra",
}  # fmt: skip
CSV_FIELDS = {
    "序号": "seq", "算法名称": "algorithm_name", "角色": "role", "算法类别": "algorithm_category",
    "主体名称": "entity_name", "应用产品": "products", "主要用途": "purpose", "备案编号": "filing_number",
    "备注": "remark",
}  # fmt: skip
TYPE_CODES = {
    "生成合成类": "01", "个性化推送类": "02", "排序精选类": "03", "检索过滤类": "04", "调度决策类": "06",
}  # fmt: skip
FILING_NUMBER = re.compile(r"^网信算备\d{6}\d{7}(0[1-6])(\d{2})\d{4}号$")


def real_params() -> list:
    if not REAL_FILES:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{CAC_DATA} is not present"))]
    return REAL_FILES


def manifest() -> dict[str, dict[str, str]]:
    with open(CAC_DATA / "manifest.csv", encoding="utf-8", newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


def kind_key(list_type: str) -> str:
    return "role" if list_type == "deep_synthesis" else "algorithm_category"


def as_lists(parsed: ParsedList, list_type: str) -> list[list[str]]:
    """Parsed rows back in header order, for comparison with the rows given to the generator."""
    key = kind_key(list_type)
    return [
        [r["seq"], r["algorithm_name"], r[key], r["entity_name"], r["products"], r["purpose"],
         r["filing_number"], r["remark"]]
        for r in parsed.rows
    ]  # fmt: skip


def w(tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.Element(W + tag, {W + k: v for k, v in attrs.items()})
    el.text = text
    return el


def run(text: str, *, hidden: bool = False) -> etree._Element:
    r = w("r")
    if hidden:
        rpr = w("rPr")
        rpr.append(w("vanish"))
        r.append(rpr)
    r.append(w("t", text))
    return r


def table_rows(root: etree._Element) -> list[etree._Element]:
    return root.find(f"{W}body/{W}tbl").findall(f"{W}tr")


def set_cell_text(tc: etree._Element, *paragraph_runs: list[etree._Element]) -> None:
    """Replace the paragraphs of a cell by new ones holding the given runs."""
    for p in tc.findall(f"{W}p"):
        tc.remove(p)
    for runs in paragraph_runs:
        p = w("p")
        for r in runs:
            p.append(r)
        tc.append(p)


# --------------------------------------------------------------------------------------------
# Real attachments


@pytest.mark.parametrize("name", real_params())
def test_real_attachment_matches_reference_csv(name: str) -> None:
    meta = manifest()[name]
    parsed = parse_list_docx((CAC_DATA / "original_docx" / name).read_bytes())

    # the label is 附件/附件N without whitespace (the record contract); the manifest has the paragraph as printed
    assert parsed.attachment_label == "".join(meta["attachment_label_para"].split())
    assert parsed.title == meta["title_para"]
    assert parsed.list_type == meta["list_type"]
    assert parsed.batch_label == meta["batch_label"]
    assert "|".join(parsed.header) == meta["header"]
    assert parsed.unknown_columns == []
    assert len(parsed.rows) == int(meta["data_rows"])
    assert sum(r["seq_auto"] for r in parsed.rows) == int(meta["empty_xuhao"])
    assert sum(bool(r["remark"]) for r in parsed.rows) == int(meta["rows_with_remark"])

    with open(CAC_DATA / "csv" / f"{name[:-5]}.csv", encoding="utf-8", newline="") as fh:
        expected = list(csv.DictReader(fh))
    assert len(parsed.rows) == len(expected)
    key = kind_key(meta["list_type"])
    for row, want in zip(parsed.rows, expected, strict=True):
        assert set(row) == ROW_KEYS | {key}
        assert row["row_index"] == int(want["row_index"])
        assert row["extra"] == {}
        for column, field in CSV_FIELDS.items():
            if column not in want:
                continue
            if column == "序号" and want[column] == "":
                assert row["seq_auto"] is True and row["seq"] == str(row["row_index"]), row
                continue
            assert row[field] == want[column], (name, row["row_index"], column)
        assert row["seq_auto"] is False or want["序号"] == ""


@pytest.mark.skipif(not REAL_FILES, reason="real CAC files are not present")
def test_real_auto_numbered_batch() -> None:
    """deep_synthesis_2024-04 numbers every 序号 cell with Word list numbering (w:numPr, numId 1)."""
    path = CAC_DATA / "original_docx" / "deep_synthesis_2024-04.docx"
    if not path.exists():
        pytest.skip("deep_synthesis_2024-04.docx is not present")
    rows = parse_list_docx(path.read_bytes()).rows
    assert len(rows) == 394 and all(r["seq_auto"] for r in rows)
    assert [r["seq"] for r in rows] == [str(i) for i in range(1, 395)]


# --------------------------------------------------------------------------------------------
# Synthetic attachments: every irregularity reads back to exactly the rows given


FLAG_SETS = [
    {},
    {"auto_number": True},
    {"hidden_grid_column": True},
    {"split_paragraphs": True},
    {"auto_number": True, "hidden_grid_column": True, "split_paragraphs": True},
]


@pytest.mark.parametrize("list_type", sorted(HEADERS))
@pytest.mark.parametrize("flags", FLAG_SETS, ids=lambda f: "+".join(f) or "plain")
def test_synthetic_round_trip(list_type: str, flags: dict[str, bool]) -> None:
    rows = synthetic_rows(list_type, "2024年4月", 45, seed=7)
    # Texts with spaces, as left by a paragraph break in a real cell, split at the space.
    rows[3][4] = "示例助手(APP)、示例写作(网站)、 示例绘图(小程序)"
    data = build_list_docx(
        title=list_title(list_type, "2024年4月"), attachment_label="附件6", header=HEADERS[list_type],
        rows=rows, **flags,
    )  # fmt: skip
    parsed = parse_list_docx(data)
    assert (parsed.attachment_label, parsed.title) == ("附件6", list_title(list_type, "2024年4月"))
    assert (parsed.list_type, parsed.batch_label) == (list_type, "2024年4月")
    assert parsed.header == HEADERS[list_type] and parsed.unknown_columns == []
    assert as_lists(parsed, list_type) == rows
    assert [r["row_index"] for r in parsed.rows] == list(range(1, 46))
    assert all(r["seq_auto"] is bool(flags.get("auto_number")) for r in parsed.rows)
    assert all(set(r) == ROW_KEYS | {kind_key(list_type)} and r["extra"] == {} for r in parsed.rows)

    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    tbl = root.find(f"{W}body/{W}tbl")
    first = tbl.find(f"{W}tr")
    assert first.find(f"{W}trPr/{W}tblHeader") is not None
    grid = tbl.findall(f"{W}tblGrid/{W}gridCol")
    spans = tbl.findall(f".//{W}gridSpan")
    numbered = tbl.findall(f".//{W}numPr")
    multi_p = [tc for tc in tbl.iter(f"{W}tc") if len(tc.findall(f"{W}p")) > 1]
    assert len(grid) == 8 + bool(flags.get("hidden_grid_column"))
    assert len(spans) == (46 if flags.get("hidden_grid_column") else 0)
    assert len(numbered) == (45 if flags.get("auto_number") else 0)
    assert bool(multi_p) is bool(flags.get("split_paragraphs"))


def test_auto_number_cells_are_empty_numbered_paragraphs() -> None:
    rows = synthetic_rows("deep_synthesis", "2024年4月", 5)
    data = build_list_docx(
        title=list_title("deep_synthesis", "2024年4月"), attachment_label="附件",
        header=HEADERS["deep_synthesis"], rows=[["", *r[1:]] for r in rows], auto_number=True,
    )  # fmt: skip
    parsed = parse_list_docx(data)
    assert [(r["seq"], r["seq_auto"]) for r in parsed.rows] == [(str(i), True) for i in range(1, 6)]
    numbering = zipfile.ZipFile(io.BytesIO(data)).read("word/numbering.xml").decode()
    assert 'w:numFmt w:val="decimal"' in numbering and 'w:lvlText w:val="%1"' in numbering


def plain_docx(rows: list[list[str]], list_type: str = "deep_synthesis", **kwargs: object) -> bytes:
    return build_list_docx(
        title=kwargs.pop("title", list_title(list_type, "2023年8月")),  # type: ignore[arg-type]
        attachment_label=kwargs.pop("attachment_label", "附件"),  # type: ignore[arg-type]
        header=kwargs.pop("header", HEADERS[list_type]),  # type: ignore[arg-type]
        rows=rows,
        **kwargs,  # type: ignore[arg-type]
    )


def test_vertically_merged_cells_take_the_value_above() -> None:
    rows = synthetic_rows("deep_synthesis", "2023年8月", 6, seed=2)
    rows[2][3] = rows[3][3] = rows[4][3] = "示例合并科技有限公司"

    def merge(root: etree._Element) -> None:
        trs = table_rows(root)
        for n, tr in enumerate(trs[3:6]):  # data rows 3-5, entity column
            tc = tr.findall(f"{W}tc")[3]
            tc.find(f"{W}tcPr").append(w("vMerge", val="restart") if n == 0 else w("vMerge"))
            if n:
                set_cell_text(tc, [])

    parsed = parse_list_docx(edit_document(plain_docx(rows), merge))
    assert as_lists(parsed, "deep_synthesis") == rows


def test_repeated_header_and_empty_rows_are_skipped() -> None:
    rows = synthetic_rows("algo_recommendation", "2023年8月", 10, seed=3)

    def insert(root: etree._Element) -> None:
        trs = table_rows(root)
        header = copy.deepcopy(trs[0])
        trs[5].addnext(header)  # the header repeated mid-table (as after a page break)
        empty = copy.deepcopy(trs[2])
        for tc in empty.findall(f"{W}tc"):
            set_cell_text(tc, [])
        trs[8].addnext(empty)

    parsed = parse_list_docx(edit_document(plain_docx(rows, "algo_recommendation"), insert))
    assert as_lists(parsed, "algo_recommendation") == rows
    assert [r["row_index"] for r in parsed.rows] == list(range(1, 11))


def test_stray_spaces_and_nbsp_are_stripped_and_header_normalised() -> None:
    rows = synthetic_rows("deep_synthesis", "2023年8月", 4, seed=4)

    def pad(root: etree._Element) -> None:
        trs = table_rows(root)
        trs[0].findall(f"{W}tc")[3].find(f".//{W}t").text = "主体 名称"
        for tr in trs[1:]:
            for t in tr.iter(f"{W}t"):
                t.text = f" \u00a0{t.text}\u3000\u00a0 \u200b"
                t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")

    parsed = parse_list_docx(edit_document(plain_docx(rows), pad))
    assert parsed.header == HEADERS["deep_synthesis"]
    assert as_lists(parsed, "deep_synthesis") == rows


def test_deleted_hidden_tab_and_break_text() -> None:
    rows = synthetic_rows("deep_synthesis", "2023年8月", 3, seed=5)
    rows[0][7] = "变更内容：新增产品A(APP)"
    # a line break joins CJK to CJK with nothing (as the reference CSV of deep_synthesis_2024-10 row 448), else a space
    rows[1][7] = "第一行第二行 line3"
    rows[2][7] = "甲 乙"

    def edit(root: etree._Element) -> None:
        trs = table_rows(root)
        deleted = w("del", id="1", author="x", date="2024-01-01T00:00:00Z")
        deleted_run = w("r")
        deleted_run.append(w("delText", "删除的文字"))
        deleted.append(deleted_run)
        inserted = w("ins", id="2", author="x", date="2024-01-01T00:00:00Z")
        inserted.append(run("(APP)"))
        remark = trs[1].findall(f"{W}tc")[7]
        set_cell_text(remark, [run("变更内容："), deleted, run("新增产品A"), inserted])
        name = trs[3].findall(f"{W}tc")[1]
        set_cell_text(name, [run(rows[2][1]), run("（内部备注）", hidden=True)])
        br_run = run("第一行")
        br_run.append(w("br"))
        br_run.append(w("t", "第二行"))
        br_run.append(w("br"))
        br_run.append(w("t", "line3"))
        set_cell_text(trs[2].findall(f"{W}tc")[7], [br_run])
        tab_run = run("甲")
        tab_run.append(w("tab"))
        tab_run.append(w("t", "乙"))
        set_cell_text(trs[3].findall(f"{W}tc")[7], [tab_run])

    parsed = parse_list_docx(edit_document(plain_docx(rows), edit))
    assert as_lists(parsed, "deep_synthesis") == rows


def test_grid_before_and_spans_map_cells_by_grid_position() -> None:
    rows = synthetic_rows("deep_synthesis", "2023年8月", 4, seed=6)
    rows[1][0] = ""  # that row starts one grid column in (w:gridBefore) and has no 序号 cell

    def edit(root: etree._Element) -> None:
        tr = table_rows(root)[2]
        tr.remove(tr.findall(f"{W}tc")[0])
        tr.find(f"{W}trPr").insert(0, w("gridBefore", val="1"))

    parsed = parse_list_docx(edit_document(plain_docx(rows, hidden_grid_column=True), edit))
    assert as_lists(parsed, "deep_synthesis") == rows
    assert parsed.rows[1]["seq_auto"] is False


def test_hidden_grid_column_as_its_own_empty_cell() -> None:
    """Rows may cover the narrow grid column with a span or with a separate empty cell."""
    rows = synthetic_rows("deep_synthesis", "2023年8月", 4, seed=9)

    def edit(root: etree._Element) -> None:
        tr = table_rows(root)[2]  # its 角色 cell spans the hidden grid column
        role = tr.findall(f"{W}tc")[2]
        role.find(f"{W}tcPr").remove(role.find(f"{W}tcPr/{W}gridSpan"))
        filler = w("tc")
        filler.append(w("p"))
        role.addnext(filler)

    data = edit_document(plain_docx(rows, hidden_grid_column=True), edit)
    parsed = parse_list_docx(data)
    assert as_lists(parsed, "deep_synthesis") == rows
    assert parsed.unknown_columns == [] and all(r["extra"] == {} for r in parsed.rows)


def test_nested_table_in_a_cell_keeps_its_text_in_that_cell() -> None:
    rows = synthetic_rows("deep_synthesis", "2023年8月", 3, seed=8)

    def edit(root: etree._Element) -> None:
        remark = table_rows(root)[2].findall(f"{W}tc")[7]
        nested = w("tbl")
        cell = w("tc")
        cell.append(w("p"))
        cell[0].append(run("嵌套表格"))
        nested.append(w("tr"))
        nested[0].append(cell)
        remark.insert(1, nested)  # after the cell properties, before its paragraph
        remark.append(w("p"))  # a cell must end with a paragraph

    parsed = parse_list_docx(edit_document(plain_docx(rows), edit))
    rows[1][7] = " ".join(t for t in ("嵌套表格", rows[1][7]) if t)
    assert as_lists(parsed, "deep_synthesis") == rows


def test_unknown_columns_are_reported_not_dropped() -> None:
    header = [*HEADERS["algo_recommendation"], "联系方式"]
    rows = [[*r, f"电话{i}"] for i, r in enumerate(synthetic_rows("algo_recommendation", "2023年8月", 3))]
    parsed = parse_list_docx(plain_docx(rows, "algo_recommendation", header=header))
    assert parsed.unknown_columns == ["联系方式"]
    assert [r["extra"] for r in parsed.rows] == [{"联系方式": f"电话{i}"} for i in range(3)]
    assert as_lists(parsed, "algo_recommendation") == [r[:8] for r in rows]


def test_heading_variants() -> None:
    rows = synthetic_rows("deep_synthesis", "2023年8月", 2)
    title = "境内深度合成服务算法备案清单（2023年08月）"
    parsed = parse_list_docx(plain_docx(rows, attachment_label=None, title=title))
    assert parsed.attachment_label is None
    assert parsed.title == title
    assert (parsed.list_type, parsed.batch_label) == ("deep_synthesis", "2023年8月")
    other = parse_list_docx(plain_docx(rows, attachment_label="附件2", title="某某清单"))
    assert (other.attachment_label, other.list_type, other.batch_label) == ("附件2", None, None)


def test_header_without_role_or_category_still_gives_one_kind_key() -> None:
    header = ["序号", "算法名称", "主体名称", "应用产品", "主要用途", "备案编号", "备注"]
    rows = [["1", "算法", "示例科技有限公司", "--", "用途", "网信算备110108000000101230001号", ""]]
    parsed = parse_list_docx(plain_docx(rows, header=header))
    assert parsed.rows[0]["role"] == "" and "algorithm_category" not in parsed.rows[0]


# --------------------------------------------------------------------------------------------
# Synthetic rows and generator


@pytest.mark.parametrize("list_type", sorted(HEADERS))
def test_synthetic_rows_are_realistic_and_deterministic(list_type: str) -> None:
    rows = synthetic_rows(list_type, "2025年9月", 120, seed=1)
    assert rows == synthetic_rows(list_type, "2025年9月", 120, seed=1)
    assert rows != synthetic_rows(list_type, "2025年9月", 120, seed=2)
    assert [r[0] for r in rows] == [str(i) for i in range(1, 121)]
    numbers = [r[6] for r in rows]
    assert len(set(numbers)) == len(numbers)
    for row in rows:
        assert len(row) == 8 and row[3].startswith("示例") and row[3].endswith("有限公司")
        m = FILING_NUMBER.match(row[6])
        assert m, row[6]
        assert m.group(2) in {"24", "25"}
        if list_type == "deep_synthesis":
            assert row[2] in {"服务提供者", "服务技术支持者"} and m.group(1) == "01"
            assert (row[4] == "--") is (row[2] == "服务技术支持者")
        else:
            assert TYPE_CODES[row[2]] == m.group(1)
    remarks = [r[7] for r in rows if r[7]]
    assert remarks.count("已注销") == 1
    assert len(remarks) >= 3 and all(r == "已注销" or r.startswith("变更内容：") for r in remarks)


def test_synthetic_builder_is_deterministic_and_opens_in_python_docx() -> None:
    rows = synthetic_rows("deep_synthesis", "2024年1月", 20)
    kwargs = {"title": list_title("deep_synthesis", "2024年1月"), "attachment_label": "附件",
              "header": HEADERS["deep_synthesis"], "rows": rows, "auto_number": True,
              "hidden_grid_column": True, "split_paragraphs": True}  # fmt: skip
    data = build_list_docx(**kwargs)  # type: ignore[arg-type]
    assert data == build_list_docx(**kwargs)  # type: ignore[arg-type]
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs if p.text]
    assert texts == ["附件", list_title("deep_synthesis", "2024年1月")]
    assert len(document.tables) == 1 and len(document.tables[0].rows) == 21


# --------------------------------------------------------------------------------------------
# Bad input

WAF_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>知道创宇云防御</title></head>"
    "<body><script>var challenge='x';document.cookie='__jsl_clearance=1';location.reload();</script>"
    "</body></html>"
).encode()


def docx_without_table() -> bytes:
    document = docx.Document()
    document.add_paragraph("附件")
    document.add_paragraph("境内深度合成服务算法备案清单（2023年8月）")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_with_other_table() -> bytes:
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ["属地", "模型名称", "备案号"], strict=True):
        cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_without_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("hello.txt", "not a docx")
    return out.getvalue()


def truncated_docx() -> bytes:
    data = plain_docx(synthetic_rows("deep_synthesis", "2023年8月", 5))
    return data[: len(data) // 2]


BAD_INPUTS = {
    "pdf": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", r"PDF"),
    "html_challenge": (lambda: WAF_PAGE, r"HTML page.*知道创宇云防御"),
    "empty": (lambda: b"", r"empty document \(0 bytes\)"),
    "truncated_zip": (truncated_docx, r"corrupt or truncated ZIP"),
    "docx_without_table": (docx_without_table, r"contains no table"),
    "table_without_filing_numbers": (
        docx_with_other_table,
        r"no table with a 备案编号 column.*属地\|模型名称\|备案号",
    ),
    "zip_without_document": (zip_without_document, r"no word/document\.xml"),
    "plain_text": (lambda: "序号,算法名称\n".encode(), r"not a DOCX \(not a ZIP archive\)"),
    "legacy_doc": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, r"legacy Word \.doc"),
    "broken_xml": (
        lambda: edit_document_bytes(plain_docx([["1"] * 8]), b"<w:body>", b"<w:body><w:p>"),
        r"not well-formed XML",
    ),
}


def edit_document_bytes(data: bytes, old: bytes, new: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info)
            dst.writestr(info, blob.replace(old, new, 1) if info.filename == "word/document.xml" else blob)
    return out.getvalue()


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_raises_list_parse_error(case: str) -> None:
    make, message = BAD_INPUTS[case]
    with pytest.raises(ListParseError, match=message):
        parse_list_docx(make())


def test_zip_bomb_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    data = plain_docx(synthetic_rows("deep_synthesis", "2023年8月", 5))
    size = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml").file_size
    monkeypatch.setattr(docx_list, "MAX_DOCUMENT_XML_BYTES", size - 1)
    with pytest.raises(ListParseError, match="ZIP bomb"):
        parse_list_docx(data)
    assert docx_list.MAX_DOCUMENT_XML_BYTES == size - 1
    monkeypatch.undo()
    assert docx_list.MAX_DOCUMENT_XML_BYTES == 64 * 1024 * 1024
    assert len(parse_list_docx(data).rows) == 5


def test_parser_identity() -> None:
    assert (docx_list.PARSER_NAME, docx_list.PARSER_VERSION) == ("cac_docx_list", "2")
    assert issubclass(ListParseError, ValueError)


def test_real_files_are_not_in_the_repository() -> None:
    """The real attachments are read from ../shared at run time, never copied into the repository."""
    if not REAL_FILES:
        pytest.skip("real CAC files are not present")
    real = {row["sha256"] for row in manifest().values()}
    repo = Path(__file__).resolve().parents[1]
    skip = {".venv", ".git", "data"}
    found = [
        path
        for top in repo.iterdir()
        if top.name not in skip
        for path in ([top] if top.is_file() else top.rglob("*"))
        if path.is_file() and path.suffix.lower() in {".docx", ".csv"}
        and hashlib.sha256(path.read_bytes()).hexdigest() in real
    ]
    assert found == []
