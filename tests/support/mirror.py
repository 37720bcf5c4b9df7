"""What the mirror must serve, read from ../shared/cac_data and the source configs."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from regtrail import settings
from regtrail.crawl.sources import config_path

SHARED = settings.shared_dir()
CAC_DATA = SHARED / "cac_data"


def _config(name: str) -> dict:
    return yaml.safe_load((config_path(name)).read_text(encoding="utf-8"))


def _manifest(cac_data: Path = CAC_DATA) -> dict[str, dict[str, str]]:
    with open(cac_data / "manifest.csv", encoding="utf-8", newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


def _month(label: str) -> str:
    year, month = label.rstrip("月").split("年")
    return f"{year}-{int(month):02d}"


def _announced(cac_data: Path, list_type: str) -> dict[str, str | None]:
    """Batch labels of `list_type` the shared data announces (batches.csv: label -> notice URL), read directly."""
    prefix = {"deep_synthesis": "deep_synthesis", "algo_recommendation": "algorithm_recommendation"}[list_type]
    found: dict[str, str | None] = {}
    with open(cac_data / "batches.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["list_type"].startswith(prefix) and "清单" in row["batch_name"]:
                label = row["batch_name"].split("清单")[1].split(" ")[0]
                reference = row["source_url_or_reference"].split(" ")[0]
                found[label] = reference if reference.startswith("https://") else None
    return found


def expected_lists(list_type: str, cac_data: Path = CAC_DATA) -> dict[str, bool]:
    """Every batch label of `list_type` the mirror must serve -> whether a real file exists: the source config's
    lists, every file of manifest.csv and every batch batches.csv announces."""
    name = {"deep_synthesis": "cac_deep_synthesis", "algo_recommendation": "cac_algo_recommendation"}[list_type]
    config = _config(name)
    labels = {str(e["batch_label"]) for e in config.get("lists" if list_type == "algo_recommendation" else "notices")}
    files = {_month(r["batch_label"]) for r in _manifest(cac_data).values() if r["list_type"] == list_type}
    labels |= {r["batch_label"] for r in _manifest(cac_data).values() if r["list_type"] == list_type}
    labels |= set(_announced(cac_data, list_type))
    return {label: _month(label) in files for label in labels}
