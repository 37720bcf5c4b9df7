"""The deep-synthesis and algorithm-recommendation lists the mirror serves, read from the shared data at run time.

The source configs (`scrapers/*/source.yml`) name the lists the crawler expects; the shared folder names what
there is: `cac_data/manifest.csv` (one row per list whose official file is available) and `cac_data/batches.csv`
(every batch known to have been announced, with its notice URL and date). `add_registry_lists` merges both into
the configs the mirror builds its pages from, so a file added to the shared folder tomorrow is served (on a notice
page of its own for a deep-synthesis batch, as a further attachment of the algorithm-recommendation page), and a
batch announced without a file is announced with an attachment that answers 404, as the live site can do.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LIST_TYPES = {"deep_synthesis": "deep_synthesis", "algo_recommendation": "algo_recommendation",
              "algorithm_recommendation": "algo_recommendation"}
NOTICE_URL = re.compile(r"https://www\.cac\.gov\.cn/\d{4}-\d{2}/\d{2}/c_\d+\.htm")
LABEL = re.compile(r"(\d{4})年(\d{1,2})月")
DS_TITLE = "国家互联网信息办公室关于发布第{n}批深度合成服务算法备案信息的公告"
DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class RegistryList:
    """One list the shared data knows of: its file (if any) and what batches.csv says of its announcement."""

    list_type: str
    batch_label: str
    file: Path | None = None
    rows: int | None = None
    notice_url: str | None = None
    published: str | None = None  # YYYY-MM-DD or YYYY-MM
    expected_count: int | None = None

    @property
    def month(self) -> str:
        year, month = LABEL.fullmatch(self.batch_label).groups()  # type: ignore[union-attr]
        return f"{year}-{int(month):02d}"


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals (十八, 二十一)."""
    if not 0 < n < 100:
        raise ValueError(f"no Chinese numeral for {n}")
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else DIGITS[tens] + "十")) + ("" if ones == 0 else DIGITS[ones])


def _label(text: str) -> str | None:
    match = LABEL.search(text)
    return f"{match[1]}年{int(match[2])}月" if match else None


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def manifest_lists(cac_data: Path) -> list[RegistryList]:
    """The lists whose official file is in `cac_data/original_docx/` (manifest.csv), in manifest order."""
    path = cac_data / "manifest.csv"
    if not path.is_file():
        return []
    found = []
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            list_type = LIST_TYPES.get(row["list_type"])
            file = cac_data / "original_docx" / row["file"]
            label = _label(row["batch_label"])
            if list_type and label and file.is_file():
                found.append(RegistryList(list_type, label, file=file, rows=_int(row.get("data_rows"))))
    return found


def announced_batches(cac_data: Path) -> list[RegistryList]:
    """The DS/AR batches batches.csv records as announced: label, notice URL, date and count where it gives them."""
    path = cac_data / "batches.csv"
    if not path.is_file():
        return []
    found = []
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            list_type = LIST_TYPES.get(row["list_type"].split(" ")[0])
            label = _label(row["batch_name"].split("清单")[-1]) if "清单" in row["batch_name"] else None
            if not (list_type and label):
                continue
            url = NOTICE_URL.search(row["source_url_or_reference"])
            published = row["publication_date"].strip()
            found.append(RegistryList(
                list_type, label, notice_url=url[0] if url else None,
                published=published if re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", published) else None,
                expected_count=_int(row["entry_count"])))
    return found


def registry_lists(shared_dir: Path | None) -> dict[tuple[str, str], RegistryList]:
    """Every DS/AR list the shared data knows of, by (list_type, batch_label): files and announcements merged."""
    if shared_dir is None:
        return {}
    cac_data = shared_dir / "cac_data"
    merged: dict[tuple[str, str], RegistryList] = {}
    for entry in announced_batches(cac_data):
        merged[(entry.list_type, entry.batch_label)] = entry
    for entry in manifest_lists(cac_data):
        known = merged.get((entry.list_type, entry.batch_label))
        merged[(entry.list_type, entry.batch_label)] = RegistryList(
            entry.list_type, entry.batch_label, file=entry.file, rows=entry.rows,
            notice_url=known.notice_url if known else None, published=known.published if known else None,
            expected_count=known.expected_count if known else None)
    return merged


def _generated_notice_url(entry: RegistryList) -> str:
    """A notice URL in the site's pattern for a batch whose real URL is not recorded (stable per batch)."""
    digits = int(hashlib.sha256(f"{entry.list_type}|{entry.batch_label}".encode()).hexdigest()[:12], 16)
    return f"https://www.cac.gov.cn/{entry.month}/15/c_{1700000000000000 + digits % 10**14}.htm"


def add_registry_lists(configs: Mapping[str, dict[str, Any]], shared_dir: Path | None) -> dict[str, dict[str, Any]]:
    """The configs with the shared data's lists that they do not name added (the configs are not changed).

    A deep-synthesis list gets a notice page of its own (URL and date from batches.csv, else made up in the
    site's pattern and dated by its month); an algorithm-recommendation list becomes the next attachment of
    the configured notice page. Lists are keyed by (list_type, batch_label).
    """
    result = {name: deepcopy(dict(config)) for name, config in configs.items()}
    extra = registry_lists(shared_dir)
    deep = result.get("deep_synthesis")
    if deep is not None:
        notices = deep.setdefault("notices", [])
        known = {str(n["batch_label"]) for n in notices}
        for entry in sorted((e for e in extra.values() if e.list_type == "deep_synthesis"), key=lambda e: e.month):
            if entry.batch_label in known:
                continue
            notices.append({"url": entry.notice_url or _generated_notice_url(entry), "title": "",
                            "published": entry.published or entry.month, "batch_label": entry.batch_label,
                            "expected_count": entry.expected_count, "certainty": "from the shared data"})
        by_date = sorted(notices, key=lambda n: dt.date.fromisoformat(_day(n["published"])))
        for number, notice in enumerate(by_date, start=1):  # the batch's ordinal, as the real titles give it
            if not notice.get("title"):
                notice["title"] = DS_TITLE.format(n=chinese_number(number))
    algo = result.get("algo_recommendation")
    if algo is not None and algo.get("notices"):
        lists = algo.setdefault("lists", [])
        known = {str(entry["batch_label"]) for entry in lists}
        for entry in sorted((e for e in extra.values() if e.list_type == "algo_recommendation"), key=lambda e: e.month):
            if entry.batch_label in known:
                continue
            lists.append({"batch_label": entry.batch_label, "attachment_label": f"附件{len(lists) + 1}",
                          "published": entry.published or entry.month, "expected_count": entry.expected_count,
                          "certainty": "from the shared data"})
    return result


def _day(value: Any) -> str:
    text = str(value)
    return text if len(text) == 10 else f"{text[:7]}-01"
