"""Source registry: one YAML file of metadata per source, one module with `crawl(context)`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SOURCES_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Source:
    """A source: its name, its metadata (URLs, schedule, expected counts) and its crawler."""

    name: str
    config: dict[str, Any]

    @property
    def crawl(self) -> Callable[[Any], None]:
        return importlib.import_module(self.config["module"]).crawl


def load_sources() -> dict[str, Source]:
    """Every source defined by a `*.yml` file in this folder, by name."""
    sources = {}
    for path in sorted(SOURCES_DIR.glob("*.yml")):
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
