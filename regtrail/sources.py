"""Source registry: one folder per source under `scrapers/` with `source.yml` (metadata) and its `crawl(context)`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import scrapers

SOURCES_DIR = Path(scrapers.__file__).resolve().parent


def config_path(name: str, sources_dir: Path = SOURCES_DIR) -> Path:
    """The YAML file of one source."""
    return sources_dir / name / "source.yml"


@dataclass(frozen=True)
class Source:
    """A source: its name, its metadata (URLs, schedule, expected counts) and its crawler."""

    name: str
    config: dict[str, Any]

    @property
    def crawl(self) -> Callable[[Any], None]:
        return importlib.import_module(self.config["module"]).crawl


def load_sources() -> dict[str, Source]:
    """Every source defined by a `<name>/source.yml` file under `scrapers/`, by name."""
    sources = {}
    for path in sorted(SOURCES_DIR.glob("*/source.yml")):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        sources[config["name"]] = Source(config["name"], config)
    return sources


def get_sources(names: list[str] | None = None) -> list[Source]:
    """The named sources (all when `names` is empty); unknown names raise KeyError listing the known ones."""
    sources = load_sources()
    if not names:
        return [s for s in sources.values() if s.config.get("crawl_all", True)]
    unknown = [n for n in names if n not in sources]
    if unknown:
        raise KeyError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(sources)}")
    return [sources[n] for n in names]
