"""Synthetic CAC list attachments that look like the real WPS-made DOCX files.

``build_list_docx`` lays a list out the way the published attachments do: a paragraph ``附件``/``附件N``,
the title, then one table whose first row is a repeating header (``w:tblHeader``). Flags reproduce
the irregularities of real files: Word auto-numbering in the 序号 column, an extra narrow grid column
with cells spanning two grid columns, and cell text split over several paragraphs/runs.

``synthetic_rows`` makes realistic but obviously invented rows (entities named ``示例…有限公司``) with
filing numbers in the real format, for mirror sites and tests. The real attachments are never copied.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Sequence

import docx
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Twips
from lxml import etree

from regtrail.fetch.sniff import SYNTHETIC_MARK

HEADERS: dict[str, list[str]] = {
    list_type: ["序号", "算法名称", third, "主体名称", "应用产品", "主要用途", "备案编号", "备注"]
    for list_type, third in (("deep_synthesis", "角色"), ("algo_recommendation", "算法类别"))
}
"""Column headers of each list type, as in the real attachments."""

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


# --------------------------------------------------------------------------------------------
# Synthetic rows

_REGIONS = ("110108", "110105", "110101", "310115", "310104", "310112", "440305", "440304", "330106",
            "330108", "320102", "510107", "420111", "370102")  # fmt: skip
_BRANDS = tuple(
    "星辰 云帆 墨言 灵犀 青禾 远望 知微 启明 深蓝 千帆 雅音 听澜 "
    "北辰 智元 若水 晨曦 光年 绘影 拾光 万象 清泉 松果 鲸歌 木棉".split()
)
_ENTITY_SUFFIXES = tuple(
    "科技有限公司 信息技术有限公司 网络科技有限公司 智能科技有限公司 文化传媒有限公司".split()
)
_CHANNELS = ("(APP)", "（APP）", "(网站)", "(小程序)", "(API)")
_PRODUCT_SUFFIXES = ("", "助手", "AI", "智能写作", "视频", "创作")

_DEEP_KINDS = (  # (algorithm kind, scene, input, output)
    ("文本生成", "对话生成", "用户输入的文本内容", "相应的文本回复"),
    ("大模型", "对话生成", "用户输入的问题", "与问题相关的文本回答"),
    ("图像生成", "图像生成", "用户输入的文本、图像数据", "符合用户需求的图像"),
    ("语音合成", "语音合成", "用户输入的文本数据", "模拟人声"),
    ("视频生成", "视频生成", "用户输入的文本或图片", "对应的视频内容"),
    ("数字人生成", "数字人生成", "用户上传的图片和音频", "数字人视频"),
    ("智能写作", "文本生成", "用户输入的写作主题", "文章、文案等文本"),
)
_CATEGORIES = {  # 算法类别 -> (type code, algorithm name endings, purpose template, topics)
    "个性化推送类": ("02", ("个性化推荐算法", "信息推送算法"),
               "应用于{x}推荐场景，根据用户的浏览、点击等行为，为用户推荐可能感兴趣的{x}。",
               ("资讯", "商品", "短视频", "音乐", "图书", "职位")),
    "排序精选类": ("03", ("热榜排序算法", "内容精选算法"),
              "应用于{x}榜单展示场景，根据内容的热度、时效性等指标，对{x}进行排序展示。",
              ("资讯", "商品", "短视频", "音乐")),
    "检索过滤类": ("04", ("搜索算法", "检索过滤算法"),
              "应用于搜索功能，根据用户输入的查询词，检索满足需求的{x}。", ("商品", "图书", "职位", "资讯")),
    "调度决策类": ("06", ("订单调度算法", "运力调度算法"),
              "应用于{x}场景，根据订单位置、运力等信息，进行订单分配与路径规划。",
              ("外卖配送", "生鲜配送", "同城货运", "网约车出行")),
    "生成合成类": ("01", ("文本生成算法", "智能客服算法"),
              "应用于智能客服场景，根据用户输入的{x}相关问题，生成相应的文本回复。",
              ("商品", "售后", "账户")),
}  # fmt: skip
_CATEGORY_WEIGHTS = {
    "个性化推送类": 45, "排序精选类": 12, "检索过滤类": 25, "调度决策类": 10, "生成合成类": 8,
}  # fmt: skip


class _Entity:
    def __init__(self, name: str, region: str, code: str, brand: str) -> None:
        self.name, self.region, self.code, self.brand = name, region, code, brand


def _batch_year(batch_label: str) -> int:
    m = re.fullmatch(r"(\d{4})年(\d{1,2})月", batch_label)
    if not m:
        raise ValueError(f"batch_label must look like '2023年8月', got {batch_label!r}")
    return int(m.group(1))


def synthetic_rows(list_type: str, batch_label: str, count: int, seed: int = 0) -> list[list[str]]:
    """``count`` realistic rows (in HEADERS[list_type] order) for a synthetic list.

    Entity names are obviously invented (``示例…有限公司``); filing numbers follow the real format
    (网信算备 + region + entity + type + year + sequence + 号) and are unique for a given
    (list_type, batch_label, seed); the same arguments always give the same rows. A few rows carry a
    ``变更内容：…`` remark and one (when count >= 3) ``已注销``.
    """
    if list_type not in HEADERS:
        raise ValueError(f"unknown list_type {list_type!r}; expected one of {sorted(HEADERS)}")
    if count < 0:
        raise ValueError("count must be >= 0")
    year = _batch_year(batch_label)
    rng = random.Random(f"{list_type}|{batch_label}|{seed}")

    entities: list[_Entity] = []
    used_entity_codes: set[str] = set()
    used_names: set[str] = set()

    def new_entity() -> _Entity:
        while True:
            brand = rng.choice(_BRANDS) + rng.choice(_BRANDS)
            name = f"示例{brand}{rng.choice(_ENTITY_SUFFIXES)}"
            code = f"{rng.randrange(10**7):07d}"
            if name not in used_names and code not in used_entity_codes:
                used_names.add(name)
                used_entity_codes.add(code)
                return _Entity(name, rng.choice(_REGIONS), code, brand)

    used_numbers: set[str] = set()

    def filing_number(entity: _Entity, type_code: str) -> str:
        while True:
            yy = (year - (1 if rng.random() < 0.2 else 0)) % 100
            number = f"网信算备{entity.region}{entity.code}{type_code}{yy:02d}{rng.randrange(1, 10000):04d}号"
            if number not in used_numbers:
                used_numbers.add(number)
                return number

    def products(entity: _Entity) -> str:
        names = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            product = f"{entity.brand}{rng.choice(_PRODUCT_SUFFIXES)}{rng.choice(_CHANNELS)}"
            if product not in names:
                names.append(product)
        return "、".join(names)

    rows: list[list[str]] = []
    row_entities: list[_Entity] = []
    for i in range(1, count + 1):
        # Entities file one to three algorithms: reuse the previous entity now and then.
        if entities and rng.random() < 0.3:
            entity = entities[-1]
        else:
            entity = new_entity()
            entities.append(entity)
        row_entities.append(entity)
        if list_type == "deep_synthesis":
            kind, scene, given, output = rng.choice(_DEEP_KINDS)
            supporter = rng.random() < 0.25
            role = "服务技术支持者" if supporter else "服务提供者"
            name = f"{entity.brand}{kind}算法" + ("-1" if supporter and rng.random() < 0.3 else "")
            audience = "服务于企业端客户，" if supporter else ""
            purpose = f"应用于{scene}场景，{audience}根据{given}，生成{output}。"
            row = [str(i), name, role, entity.name, "--" if supporter else products(entity), purpose,
                   filing_number(entity, "01"), ""]  # fmt: skip
        else:
            category = rng.choices(list(_CATEGORY_WEIGHTS), weights=list(_CATEGORY_WEIGHTS.values()))[0]
            type_code, names, purpose, topics = _CATEGORIES[category]
            name = f"{entity.brand}{rng.choice(names)}"
            purpose_text = purpose.format(x=rng.choice(topics))
            row = [str(i), name, category, entity.name, products(entity), purpose_text,
                   filing_number(entity, type_code), ""]  # fmt: skip
        rows.append(row)

    if count >= 3:
        remark_rows = rng.sample(range(count), k=1 + max(1, count // 15))
        rows[remark_rows[0]][7] = "已注销"
        for r in remark_rows[1:]:
            row = rows[r]
            kinds = ["entity_renamed"] + (["product_added", "product_renamed"] if row[4] != "--" else [])
            kind = rng.choice(kinds)
            if kind == "product_added":
                extra = f"{row_entities[r].brand}{rng.choice(('极速版', '国际版', '专业版'))}(APP)"
                row[4] = f"{row[4]}、{extra}"
                row[7] = f"变更内容：新增产品{extra}"
            elif kind == "product_renamed":
                old = f"{row_entities[r].brand}{rng.choice(('Lite', '旧版', '测试版'))}(网站)"
                row[7] = f"变更内容：应用产品名称由“{old}”变更为“{row[4].split('、')[0]}”"
            else:
                old = f"示例{rng.choice(_BRANDS)}{rng.choice(_BRANDS)}{rng.choice(_ENTITY_SUFFIXES)}"
                row[7] = f"变更内容：主体名称由“{old}”变更为“{row[3]}”"
    return rows
