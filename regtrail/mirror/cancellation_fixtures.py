"""Cancellation notices of the algorithm filing system (beian.cac.gov.cn) for the mirror.

With the shared data, the notices are the 7 real ones of `<shared>/cac_data/genai/cancellations.csv`
(read at run time): their ids, titles, dates and the 57 cancelled filings with the algorithm, role or
category, entity and product each notice names. Without it, the mirror invents notices on the dates and
counts of `scrapers/cac_cancellations/source.yml`, picking numbers from the lists it serves, and stamps
their PDFs as synthetic. Each notice is a JSON entry of the notice-list API and a PDF with the table of
cancelled filings.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from regtrail.fetch.sniff import SYNTHETIC_MARK
from regtrail.mirror.pdf_tables import PdfTable, build_table_pdf

CANCELLATIONS = Path("cac_data") / "genai" / "cancellations.csv"

HEADER = ["序号", "算法名称", "角色", "主体名称", "应用产品", "备案编号", "注销时间"]


@dataclass(frozen=True)
class Candidate:
    """A filing row of a served list: number, name, role/category, entity, products, list date, 已注销."""

    filing_number: str
    algorithm_name: str
    role: str
    entity_name: str
    products: str
    listed: dt.date
    marked_cancelled: bool


@dataclass
class NoticeFixture:
    notice_id: str
    title: str
    published: dt.date
    rows: list[Candidate]
    cancelled_text: str = ""
    synthetic: bool = False

    def __post_init__(self) -> None:
        self.cancelled_text = self.cancelled_text or f"{self.published.year}年{self.published.month}月"


def real_notices(shared_dir: Path | None) -> list[NoticeFixture] | None:
    """The real notices of the shared cancellations.csv, oldest first; None when the file is absent."""
    if shared_dir is None or not (shared_dir / CANCELLATIONS).is_file():
        return None
    notices: dict[str, NoticeFixture] = {}
    with open(shared_dir / CANCELLATIONS, encoding="utf-8", newline="") as handle:
        for row in sorted(csv.DictReader(handle), key=lambda r: (r["notice_date"], int(r["notice_seq"]))):
            notice_id = parse_qs(urlsplit(row["notice_url"]).query)["noticeId"][0]
            published = dt.date.fromisoformat(row["notice_date"])
            notice = notices.setdefault(notice_id, NoticeFixture(
                notice_id, row["notice_title_or_url"], published, [], row["cancel_month"]))
            notice.rows.append(Candidate(row["filing_number"], row["algorithm_name"], row["role_or_category"],
                                         row["entity"], row["product"], published, False))
    return sorted(notices.values(), key=lambda n: n.published)


def pick_notices(config: Mapping[str, Any], candidates: Iterable[Candidate]) -> list[NoticeFixture]:
    """One fixture per configured notice, each with `expected_count` numbers listed before its date."""
    pool = sorted({c.filing_number: c for c in candidates}.values(),
                  key=lambda c: (not c.marked_cancelled, hashlib.sha256(c.filing_number.encode()).hexdigest()))
    used: set[str] = set()
    notices = []
    for entry in sorted(config.get("cancellations", []), key=lambda e: str(e["published"])):
        published = dt.date.fromisoformat(str(entry["published"]))
        rows = [c for c in pool if c.listed < published and c.filing_number not in used][: int(entry["expected_count"])]
        used.update(c.filing_number for c in rows)
        if not rows:
            continue
        count = f"等{len(rows)}个" if len(rows) > 1 else "等"
        title = f"关于注销“{rows[0].algorithm_name}”{count}算法备案编号的公告"
        notice_id = "notice_" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"regtrail-mirror/{published}/{title}"))
        notices.append(NoticeFixture(notice_id, title, published, rows, synthetic=True))
    return notices


def notice_list_json(notices: Iterable[NoticeFixture]) -> bytes:
    """The notice-list API answer, newest first."""
    items = [
        {"noticeId": n.notice_id, "title": n.title, "publishTime": f"{n.published.isoformat()} 17:00:00",
         "noticeType": "2", "fileName": f"{n.title}.pdf"}
        for n in sorted(notices, key=lambda n: n.published, reverse=True)
    ]
    data = {"code": 200, "msg": "操作成功", "data": {"total": len(items), "pageNum": 1, "pageSize": 20, "list": items}}
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def notice_pdf(notice: NoticeFixture) -> bytes:
    """The notice's PDF: title, one paragraph, the table of cancelled filings."""
    intro = ("根据《互联网信息服务算法推荐管理规定》《互联网信息服务深度合成管理规定》等有关规定，"
             f"经备案主体申请或核实，现注销以下{len(notice.rows)}个算法备案编号。")
    rows = [[str(i), c.algorithm_name, c.role, c.entity_name, c.products or "--", c.filing_number,
             notice.cancelled_text] for i, c in enumerate(notice.rows, 1)]
    table = PdfTable(None, HEADER, rows, repeat_header=False, cut_rows={9} & set(range(len(rows))), cut_column=4)
    opening = ["互联网信息服务算法备案系统", notice.title, intro]
    return build_table_pdf(opening, [table], rows_per_page=12, title=notice.title,
                           keywords=SYNTHETIC_MARK if notice.synthetic else "")
