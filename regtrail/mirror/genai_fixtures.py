"""Generative-AI service list attachments for the mirror, built from the real rows at run time.

The original attachments are not available, so each period of `scrapers/cac_genai/source.yml` gets a
list rebuilt from `<shared>/cac_data/genai/genai_rows.csv` (and `ondevice_2026-07.csv`), read at run
time and never copied: the 备案 table (属地, 模型名称, 备案单位, 备案号, 备案时间; later lists say 大模型名称
and 备案编号), from 2024年8月 the 登记 table (属地, 应用或功能名称, 登记单位, 上线编号, 登记时间), and in the
2026年8月 list a third table of on-device (手机端侧) services with the extra column 适用场景. Cells are the
rows as printed, quirks included (numbers without the 4-digit suffix, `（补登）` dates, a truncated
上线编号, swapped name/entity cells). Some periods are PDFs whose tables break across pages.

Without the shared rows the mirror invents lists of the configured sizes (`示例…有限公司`, seeded by a
few models known from public reporting) and stamps each file as synthetic (`SYNTHETIC_MARK` in the
document properties), so every row parsed from it says so in the warehouse.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regtrail.fetch.sniff import SYNTHETIC_MARK
from regtrail.mirror.pdf_tables import PdfTable, build_table_pdf

FILING_HEADER = ["序号", "属地", "模型名称", "备案单位", "备案号", "备案时间"]
LATER_FILING_HEADER = ["序号", "属地", "大模型名称", "备案单位", "备案编号", "备案时间"]
REGISTRATION_HEADER = ["序号", "属地", "应用或功能名称", "登记单位", "上线编号", "登记时间"]
ONDEVICE_HEADER = [*LATER_FILING_HEADER, "适用场景"]
HEADINGS = {"filing": "一、已备案生成式人工智能服务", "registration": "二、已登记生成式人工智能服务",
            "ondevice": "三、已备案手机端侧生成式人工智能服务"}
KINDS = ("filing", "registration", "ondevice")
# Which real attachments were PDFs is not recorded. The mirror's PDF font (reportlab's STSong-Light CID
# font) cannot carry every character of the rows (`·`, `•` are lost or changed on extraction), so the
# PDFs are lists whose rows survive it exactly (checked by tests/test_approvals_news.py).
PDF_PERIODS = {"2024年8月", "2025年1月"}
# The renamed 备案 header (大模型名称, 备案编号) is reported for "later lists"; from which one is not
# recorded: this reconstruction uses it from 2025年6月.
RENAMED_HEADER_FROM = dt.date(2025, 6, 1)
GENAI_ROWS = Path("cac_data") / "genai" / "genai_rows.csv"
ONDEVICE_ROWS = Path("cac_data") / "genai" / "ondevice_2026-07.csv"

PROVINCES = {
    "北京市": "Beijing", "上海市": "Shanghai", "广东省": "Guangdong", "浙江省": "ZheJiang", "江苏省": "Jiangsu",
    "安徽省": "Anhui", "天津市": "Tianjin", "贵州省": "Guizhou", "四川省": "Sichuan", "山东省": "Shandong",
    "湖北省": "Hubei",
}  # fmt: skip

F, R = "filing", "registration"
# (period, kind, 属地, name, entity, slug, filed) from public reporting: seeds of the synthetic lists only.
KNOWN: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("2024年4月", F, "北京市", "文心一言", "北京百度网讯科技有限公司", "WenXinYiYan", "2023-08-31"),
    ("2024年4月", F, "北京市", "智谱清言", "北京智谱华章科技有限公司", "ZhiPuQingYan", "2023-08-31"),
    ("2024年4月", F, "北京市", "云雀大模型", "北京抖音信息服务有限公司", "YunQue", "2023-08-31"),
    ("2024年4月", F, "上海市", "日日新", "上海商汤智能科技有限公司", "RiRiXin", "2023-08-31"),
    ("2024年4月", F, "安徽省", "星火认知大模型", "科大讯飞股份有限公司", "XingHuo", "2023-09-04"),
    ("2024年4月", F, "浙江省", "通义千问", "阿里巴巴达摩院（杭州）科技有限公司", "TongYiQianWen", "2023-09-12"),
    ("2024年4月", F, "贵州省", "盘古大模型", "华为云计算技术有限公司", "PanGu", "2023-09-19"),
)  # fmt: skip

_SYLLABLES = ("智", "星", "言", "云", "海", "图", "灵", "思", "明", "学", "医", "法", "书", "问", "行", "睿")
_PINYIN = {"智": "Zhi", "星": "Xing", "言": "Yan", "云": "Yun", "海": "Hai", "图": "Tu", "灵": "Ling", "思": "Si",
           "明": "Ming", "学": "Xue", "医": "Yi", "法": "Fa", "书": "Shu", "问": "Wen", "行": "Xing", "睿": "Rui"}
_MODEL_SUFFIX = ("大模型", "助手", "写作", "问答", "多模态大模型")


@dataclass
class Period:
    """One attachment of the genAI notice page, from the source config."""

    period: str
    label: str
    published: dt.date
    expected_filings: int
    expected_registrations: int
    expected_ondevice: int
    notice_url: str


@dataclass
class PeriodRows:
    """The rows of one period's attachment, by table, each row in its table's header order."""

    title: str
    tables: dict[str, list[list[str]]] = field(default_factory=lambda: {k: [] for k in KINDS})
    synthetic: bool = False


def _month_date(value: Any) -> dt.date:
    parts = [int(p) for p in str(value).split("-")]
    return dt.date(parts[0], parts[1], parts[2] if len(parts) > 2 else 1)


def periods(config: Mapping[str, Any]) -> list[Period]:
    """The incremental periods of the genAI source config, in order."""
    found = []
    for notice in config.get("notices", []):
        if notice.get("kind") != "increments":
            continue
        for entry in notice.get("attachments", []):
            found.append(Period(str(entry["period"]), str(entry["label"]), _month_date(entry["published"]),
                                int(entry.get("expected_filings") or 0), int(entry.get("expected_registrations") or 0),
                                int(entry.get("expected_ondevice") or 0), notice["url"]))
    return found


def period_label(month: str) -> str:
    """`2024-04` -> `2024年4月`."""
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


def _printed_date(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.year}/{day.month}/{day.day}"


def real_rows(shared_dir: Path | None) -> dict[str, PeriodRows] | None:
    """Every period's rows from the shared CSV files, or None when they are absent."""
    if shared_dir is None or not (shared_dir / GENAI_ROWS).is_file():
        return None
    result: dict[str, PeriodRows] = {}
    with open(shared_dir / GENAI_ROWS, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            period = period_label(row["period"])
            rows = result.setdefault(period, PeriodRows(row["list_title"]))
            rows.tables[row["table"]].append(
                [row["seq"], row["province"], row["name"], row["entity"], row["number"], row["date_raw"]])
    ondevice = shared_dir / ONDEVICE_ROWS
    if ondevice.is_file():
        with open(ondevice, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                rows = result.setdefault(period_label(row["list_period"]), PeriodRows(row["list_title"]))
                rows.tables["ondevice"].append([row["seq"], row["province"], row["model_name"], row["entity"],
                                                row["number"], _printed_date(row["date"]), row["scenario_适用场景"]])
    for rows in result.values():
        for table in rows.tables.values():
            table.sort(key=lambda r: int(r[0]))
    return result


def list_title(period: str, registrations: bool) -> str:
    what = "已备案和已登记信息" if registrations else "已备案信息"
    return f"生成式人工智能服务{what}（{period}）"


def synthetic_rows(config: Mapping[str, Any]) -> dict[str, PeriodRows]:
    """Invented rows of every configured period (for a mirror without the shared rows), marked synthetic.

    序号 runs on across periods per table; ids follow the published formats (`<省>-<拼音>-YYYYMMDD`,
    later with a 4-digit sequence; 登记 `…-YYYYMMDDSnnnn`).
    """
    rng = random.Random("regtrail-genai")
    result: dict[str, PeriodRows] = {}
    seq = dict.fromkeys(KINDS, 0)
    used: set[str] = set()
    previous = dt.date(2023, 9, 1)
    for period in periods(config):
        rows = PeriodRows(list_title(period.period, period.period != "2024年4月"), synthetic=True)
        latest = period.published - dt.timedelta(days=5)
        expected = {"filing": period.expected_filings, "registration": period.expected_registrations,
                    "ondevice": period.expected_ondevice}
        for kind in KINDS:
            specs = [(k[2], k[3], k[4], k[5], dt.date.fromisoformat(k[6])) for k in KNOWN
                     if k[0] == period.period and k[1] == kind]
            while len(specs) < expected[kind]:
                a, b = rng.sample(_SYLLABLES, 2)
                region = rng.choice(list(PROVINCES))
                entity = f"示例{region[:2]}{a}{b}{rng.choice(('科技', '信息技术', '智能科技'))}有限公司"
                filed = previous + dt.timedelta(days=rng.randrange(max(1, (latest - previous).days)))
                specs.append((region, f"{a}{b}{rng.choice(_MODEL_SUFFIX)}", entity, f"ShiLi{_PINYIN[a]}{_PINYIN[b]}",
                              filed))
            for region, name, entity, slug, filed in sorted(specs[: expected[kind]], key=lambda s: s[4]):
                seq[kind] += 1
                province = PROVINCES.get(region, "ZhongYangQiYe")
                accepted = filed - dt.timedelta(days=10)
                if kind == "registration":
                    number = f"{province}-{slug}-{filed:%Y%m%d}S{seq[kind]:04d}"
                elif period.published < dt.date(2024, 8, 1):
                    number = f"{province}-{slug}-{accepted:%Y%m%d}"
                else:
                    number = f"{province}-{slug}-{accepted:%Y%m%d}{seq[kind] % 10000:04d}"
                while number in used:
                    number += "1"
                used.add(number)
                row = [str(seq[kind]), region, name, entity, number, _printed_date(filed.isoformat())]
                rows.tables[kind].append(row + (["示例手机"] if kind == "ondevice" else []))
        result[period.period] = rows
        previous = latest
    return result


def period_rows(config: Mapping[str, Any], shared_dir: Path | None, *,
                synthetic: bool = False) -> dict[str, PeriodRows]:
    """The rows the mirror serves: the real ones unless absent (or `synthetic` is forced)."""
    real = None if synthetic else real_rows(shared_dir)
    return real if real is not None else synthetic_rows(config)


def _published(period: str) -> dt.date:
    year, month = period.rstrip("月").split("年")
    return dt.date(int(year), int(month or 12), 1)


def shown_tables(period: str, rows: PeriodRows) -> list[tuple[str, list[str], list[list[str]]]]:
    """(heading, header, rows) of the tables an attachment shows."""
    renamed = _published(period) >= RENAMED_HEADER_FROM
    shown = [(HEADINGS["filing"], LATER_FILING_HEADER if renamed else FILING_HEADER, rows.tables["filing"])]
    if rows.tables["registration"] or period != "2024年4月":
        shown.append((HEADINGS["registration"], REGISTRATION_HEADER, rows.tables["registration"]))
    if rows.tables["ondevice"]:
        shown.append((HEADINGS["ondevice"], ONDEVICE_HEADER, rows.tables["ondevice"]))
    return shown


def build_docx(label: str | None, title: str, shown: Sequence[tuple[str, list[str], list[list[str]]]], *,
               synthetic: bool = False) -> bytes:
    """A DOCX list: label paragraph, title, then one table per section with a repeating header row."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    from regtrail.mirror.synthetic_docx import _stable_zip

    document = docx.Document()
    if label:
        document.add_paragraph(label)
    document.add_paragraph(title)
    for heading, header, rows in shown:
        document.add_paragraph(heading)
        table = document.add_table(rows=1 + len(rows), cols=len(header))
        table.style = "Table Grid"
        for r, values in enumerate([header, *rows]):
            cells = table.rows[r].cells
            for c, value in enumerate(values):
                cells[c].text = value
        tr_pr = table.rows[0]._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:tblHeader"))
        tr_pr[-1].set(qn("w:val"), "true")
    out = io.BytesIO()
    document.core_properties.created = dt.datetime(2024, 1, 1)
    document.core_properties.modified = dt.datetime(2024, 1, 1)
    document.core_properties.keywords = SYNTHETIC_MARK if synthetic else ""
    document.save(out)
    return _stable_zip(out.getvalue())


# Attachments built in this process, by a digest of what they are built from: a process that starts mirrors
# again and again (a test session's worker) builds each DOCX or PDF once (about 1.5 s of CPU for all of them).
_BUILT: dict[str, bytes] = {}


def build_attachment(period: str, label: str, rows: PeriodRows, *, pdf: bool) -> bytes:
    """The attachment bytes of one period or yearly summary (the same bytes for the same inputs).

    A title that already names the attachment (`附件7：生成式…`, as printed in 2025年8月) stands alone.
    """
    inputs = json.dumps([period, label, pdf, rows.title, rows.synthetic, rows.tables], ensure_ascii=False)
    key = hashlib.sha256(inputs.encode()).hexdigest()
    if key not in _BUILT:
        _BUILT[key] = _build_attachment(period, label, rows, pdf=pdf)
    return _BUILT[key]


def _build_attachment(period: str, label: str, rows: PeriodRows, *, pdf: bool) -> bytes:
    shown = shown_tables(period, rows)
    head = [rows.title] if rows.title.startswith("附件") else [label, rows.title]
    if not pdf:
        return build_docx(head[0] if len(head) > 1 else None, rows.title, shown, synthetic=rows.synthetic)
    pdf_tables = [
        PdfTable(heading, header, table, repeat_header=(i % 2 == 1), cut_rows={17, 52, 71} & set(range(len(table))))
        for i, (heading, header, table) in enumerate(shown)
    ]
    return build_table_pdf(head, pdf_tables, title=rows.title, keywords=SYNTHETIC_MARK if rows.synthetic else "")


def summary_rows(period: str, parts: Sequence[PeriodRows]) -> PeriodRows:
    """A yearly summary: the union of the year's periods, table by table."""
    rows = PeriodRows(f"生成式人工智能服务已备案和已登记信息（{period}）", synthetic=any(p.synthetic for p in parts))
    for kind in KINDS:
        rows.tables[kind] = [r for part in parts for r in part.tables[kind]]
    return rows


def file_name(rows: PeriodRows, pdf: bool) -> str:
    return rows.title.split("：", 1)[-1] + (".pdf" if pdf else ".docx")
