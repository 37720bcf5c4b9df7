"""Generative-AI service list attachments for the mirror, generated at build time.

No real attachment is available, so each period of `scrapers/cac_genai/source.yml` gets a
format-faithful list: the 备案 table (属地, 模型名称, 备案单位, 备案号, 备案时间) and, from 2024年8月, the
登记 table (属地, 应用/功能名称, 登记单位, 上线编号, 登记时间), with as many rows as batches.csv reports.
Rows known from public reporting (the first models filed on 2023/8/31, 星火 9/4, 通义千问 9/12,
盘古 9/19, …) come first; the rest are invented (`示例…有限公司`). Some periods are PDFs whose tables
break across pages, the others DOCX.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from regtrail.mirror.pdf_tables import PdfTable, build_table_pdf

FILING_HEADER = ["序号", "属地", "模型名称", "备案单位", "备案号", "备案时间"]
REGISTRATION_HEADER = ["序号", "属地", "应用/功能名称", "登记单位", "上线编号", "登记时间"]
PDF_PERIODS = {"2024年8月", "2025年3月", "2025年8月"}
NO_REGISTRATION_DATE = {"2024年8月"}  # the 登记 table of this period has no 登记时间 column

PROVINCES = {
    "北京市": "Beijing", "上海市": "Shanghai", "广东省": "Guangdong", "浙江省": "ZheJiang", "江苏省": "Jiangsu",
    "安徽省": "Anhui", "天津市": "Tianjin", "贵州省": "Guizhou", "四川省": "Sichuan", "山东省": "Shandong",
    "湖北省": "Hubei",
}  # fmt: skip

F, R = "filing", "registration"
# (period, kind, 属地, name, entity, slug, filed) from public reporting (batches.csv).
KNOWN: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("2024年4月", F, "北京市", "文心一言", "北京百度网讯科技有限公司", "WenXinYiYan", "2023-08-31"),
    ("2024年4月", F, "北京市", "智谱清言", "北京智谱华章科技有限公司", "ZhiPuQingYan", "2023-08-31"),
    ("2024年4月", F, "北京市", "云雀大模型", "北京抖音信息服务有限公司", "YunQue", "2023-08-31"),
    ("2024年4月", F, "北京市", "百川大模型", "北京百川智能科技有限公司", "BaiChuan", "2023-08-31"),
    ("2024年4月", F, "北京市", "紫东太初", "中国科学院自动化研究所", "ZiDongTaiChu", "2023-08-31"),
    ("2024年4月", F, "上海市", "abab大模型", "上海稀宇科技有限公司", "Abab", "2023-08-31"),
    ("2024年4月", F, "上海市", "日日新", "上海商汤智能科技有限公司", "RiRiXin", "2023-08-31"),
    ("2024年4月", F, "上海市", "书生·浦语", "上海人工智能创新中心", "ShuShengPuYu", "2023-08-31"),
    ("2024年4月", F, "安徽省", "星火认知大模型", "科大讯飞股份有限公司", "XingHuo", "2023-09-04"),
    ("2024年4月", F, "天津市", "360智脑", "三六零科技集团有限公司", "360ZhiNao", "2023-09-11"),
    ("2024年4月", F, "浙江省", "通义千问", "阿里巴巴达摩院（杭州）科技有限公司", "TongYiQianWen", "2023-09-12"),
    ("2024年4月", F, "广东省", "混元大模型", "深圳市腾讯计算机系统有限公司", "HunYuan", "2023-09-14"),
    ("2024年4月", F, "贵州省", "盘古大模型", "华为云计算技术有限公司", "PanGu", "2023-09-19"),
    ("2024年11月", F, "北京市", "可灵", "北京快手科技有限公司", "KeLing", "2024-10-15"),
    ("2024年11月", F, "浙江省", "通义万相", "阿里云计算有限公司", "TongYiWanXiang", "2024-10-31"),
    ("2025年6月", F, "上海市", "海螺视频大模型", "上海稀宇科技有限公司", "HaiLuoShiPin", "2025-06-10"),
    ("2025年6月", F, "上海市", "阶跃多模态大模型", "上海阶跃星辰智能科技有限公司", "JieYueDuoMoTai", "2025-06-10"),
    ("2025年6月", F, "北京市", "千帆大模型", "北京百度网讯科技有限公司", "QianFan", "2025-06-18"),
    ("2025年6月", F, "北京市", "豆包视频生成模型", "北京抖音信息服务有限公司", "DouBaoShiPin", "2025-06-18"),
    ("2025年10月", R, "上海市", "xBot智能助手", "特斯拉（上海）有限公司", "xBot", "2025-10-20"),
    ("2025年10月", R, "北京市", "奔驰虚拟助手", "梅赛德斯-奔驰（中国）汽车销售有限公司", "BenChiZhuShou", "2025-10-20"),
    ("2025年10月", R, "上海市", "沃尔沃智能助手", "沃尔沃汽车（中国）投资有限公司", "WoErWoZhuShou", "2025-10-20"),
    ("2025年10月", R, "广东省", "安利智能顾问", "安利（中国）日用品有限公司", "AnLiGuWen", "2025-10-24"),
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
    notice_url: str


def _month_date(value: Any) -> dt.date:
    text = str(value)
    parts = [int(p) for p in text.split("-")]
    return dt.date(parts[0], parts[1], parts[2] if len(parts) > 2 else 1)


def periods(config: Mapping[str, Any]) -> list[Period]:
    """The incremental periods of the genAI source config, in order."""
    found = []
    for notice in config.get("notices", []):
        if notice.get("kind") != "increments":
            continue
        for entry in notice.get("attachments", []):
            found.append(Period(str(entry["period"]), str(entry["label"]), _month_date(entry["published"]),
                                int(entry.get("expected_filings") or 0),
                                int(entry.get("expected_registrations") or 0), notice["url"]))
    return found


def generate_rows(config: Mapping[str, Any]) -> dict[str, dict[str, list[list[str]]]]:
    """Rows of every period, by period then table (`filing`, `registration`), in header order.

    序号 runs on across periods per table, as in the published lists; ids follow the published formats
    (`<省>-<拼音>-YYYYMMDD`, later with a 4-digit sequence; 登记 `…-YYYYMMDDSnnnn`).
    """
    rng = random.Random("regtrail-genai")
    result: dict[str, dict[str, list[list[str]]]] = {}
    seq = {"filing": 0, "registration": 0}
    used: set[str] = set()
    previous = dt.date(2023, 9, 1)  # the first models were approved on 2023-08-31
    for period in periods(config):
        tables: dict[str, list[list[str]]] = {"filing": [], "registration": []}
        known = [k for k in KNOWN if k[0] == period.period]
        latest = period.published - dt.timedelta(days=5)
        for kind, expected in (("filing", period.expected_filings), ("registration", period.expected_registrations)):
            specs = [(k[2], k[3], k[4], k[5], dt.date.fromisoformat(k[6])) for k in known if k[1] == kind]
            while len(specs) < expected:
                a, b = rng.sample(_SYLLABLES, 2)
                region = rng.choice(list(PROVINCES))
                name = f"{a}{b}{rng.choice(_MODEL_SUFFIX)}"
                entity = f"示例{region[:2]}{a}{b}{rng.choice(('科技', '信息技术', '智能科技'))}有限公司"
                span = max(1, (latest - previous).days)
                filed = previous + dt.timedelta(days=rng.randrange(span))
                specs.append((region, name, entity, f"ShiLi{_PINYIN[a]}{_PINYIN[b]}", filed))
            specs = specs[:expected]
            specs.sort(key=lambda s: (s[4], list(PROVINCES).index(s[0]) if s[0] in PROVINCES else 99))
            for region, name, entity, slug, filed in specs:
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
                filed_text = f"{filed.year}/{filed.month}/{filed.day}"
                tables[kind].append([str(seq[kind]), region, name, entity, number, filed_text])
        result[period.period] = tables
        previous = latest
    return result


def list_title(period: str, registrations: bool) -> str:
    what = "已备案和已登记信息" if registrations else "已备案信息"
    return f"生成式人工智能服务{what}（{period}）"


def file_name(period: str, registrations: bool, pdf: bool) -> str:
    return list_title(period, registrations) + (".pdf" if pdf else ".docx")


def _tables(period: str, tables: Mapping[str, list[list[str]]]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(heading, header, rows) of the tables an attachment shows."""
    shown = [("一、已备案生成式人工智能服务", FILING_HEADER, tables["filing"])]
    if tables["registration"] or period != "2024年4月":
        header, rows = REGISTRATION_HEADER, tables["registration"]
        if period in NO_REGISTRATION_DATE:
            header, rows = header[:-1], [r[:-1] for r in rows]
        shown.append(("二、已登记生成式人工智能服务", header, rows))
    return shown


def build_docx(label: str, title: str, shown: Sequence[tuple[str, list[str], list[list[str]]]]) -> bytes:
    """A DOCX list: label paragraph, title, then one table per section with a repeating header row."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    from regtrail.mirror.synthetic_docx import _stable_zip

    document = docx.Document()
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
    document.save(out)
    return _stable_zip(out.getvalue())


def build_attachment(period: str, label: str, tables: Mapping[str, list[list[str]]], *, pdf: bool,
                     title: str | None = None) -> bytes:
    """The attachment bytes of one period (or a summary when `title` is given)."""
    registrations = bool(tables["registration"]) or period != "2024年4月"
    title = title or list_title(period, registrations)
    shown = _tables(period, tables)
    if not pdf:
        return build_docx(label, title, shown)
    pdf_tables = [
        PdfTable(heading, header, rows, repeat_header=(i % 2 == 1), cut_rows={17, 52, 71} & set(range(len(rows))))
        for i, (heading, header, rows) in enumerate(shown)
    ]
    return build_table_pdf([label, title], pdf_tables, title=title)
