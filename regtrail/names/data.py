"""The inputs of name translation read from files: the reviewed seeds of the dbt project and the
organisations of the real registry (`settings.shared_dir()/cac_data`), for tests and bench/names_report.py."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from regtrail import settings
from regtrail.names import OFFICIAL
from regtrail.names.glossary import BRANDS
from regtrail.names.translate import Translator, places_from_admin_codes, provinces_from_admin_codes

SEEDS = settings.seeds_dir()
OFFICIAL_SEED = SEEDS / "entity_names_official.csv"
GROUPS_SEED = SEEDS / "entity_aliases.csv"
ADMIN_CODES_SEED = SEEDS / "admin_codes.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def normalise(name: str | None) -> str | None:
    """An organisation name as the warehouse keys it (the dbt macro normalize_entity_name): full-width
    parentheses, no spaces around non-ASCII characters."""
    text = re.sub(r"\s*([^\x00-\x7F])\s*", r"\1", (name or "").replace("(", "（").replace(")", "）")).strip()
    return text or None


def official_names(path: Path = OFFICIAL_SEED) -> dict[str, str]:
    """name_zh -> name_en of the reviewed seed."""
    return {row["name_zh"]: row["name_en"] for row in _rows(path)}


def brands(path: Path = GROUPS_SEED) -> dict[str, str]:
    """Brands (glossary.BRANDS) and the group names of the groups seed, Chinese -> English (阿里巴巴 -> Alibaba)."""
    return {**BRANDS, **{row["group_name_zh"]: row["group_name_en"] for row in _rows(path)}}


def translator() -> Translator:
    """A Translator over the seeds' places and brands."""
    codes = [(row["adcode"], row["name"]) for row in _rows(ADMIN_CODES_SEED)]
    return Translator(places_from_admin_codes(codes), brands(), provinces_from_admin_codes(codes))


def english_names(names: Iterable[str], official: Mapping[str, str],
                  translate: Translator) -> dict[str, tuple[str, str]]:
    """name -> (English name, source): the official name where the seed has one, else the translation."""
    return {name: ((official[name], OFFICIAL) if official.get(name) else translate.translate(name)) for name in names}


def shared_organisations(cac_data: Path | None = None) -> Counter[str]:
    """Every organisation of the real registry -> filings (distinct 备案编号 of the DS/AR lists) plus
    generative-AI approvals (distinct numbers); organisations named only by a cancellation count 0."""
    root = cac_data or settings.shared_dir() / "cac_data"
    if not (root / "csv").is_dir():
        raise FileNotFoundError(f"no real registry lists under {root / 'csv'} (set REGTRAIL_SHARED)")
    seen: dict[str, set[str]] = {}

    def add(name: str | None, number: str | None) -> None:
        key = normalise(name)
        if key:
            seen.setdefault(key, set()).update([number] if number else [])

    for path in sorted((root / "csv").glob("*.csv")):
        for row in _rows(path):
            add(row.get("主体名称"), row.get("备案编号"))
    for name in ("genai_rows.csv", "ondevice_2026-07.csv"):
        if (root / "genai" / name).exists():
            for row in _rows(root / "genai" / name):
                add(row.get("entity"), row.get("number"))
    if (root / "genai" / "cancellations.csv").exists():
        for row in _rows(root / "genai" / "cancellations.csv"):
            add(row.get("entity"), None)
    return Counter({name: len(numbers) for name, numbers in seen.items()})
