"""Source registry: one folder per source under `scrapers/` with `source.yml` (metadata) and its `crawl(context)`.

Every `source.yml` is read here and only here, validated into `SourceConfig` (pydantic): a missing or
mistyped field, or a key no model declares, is an error naming the file and the field. Every section
is declared, so no unknown keys are allowed anywhere; the sections one source alone uses are typed
too (`lists`: cac_algo_recommendation; `notices[].attachments`: cac_genai; `cancellations`:
cac_cancellations; `outlets`, `topic_keywords`, `max_articles_per_feed`: news).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from regtrail.parsers.errors import ParseError
from regtrail.settings import REPO_ROOT, SOURCES_DIR

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the same result, several times faster


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# A date as the regulator gives it: YYYY-MM-DD, or YYYY-MM when only the month is known.
Published = Annotated[str, BeforeValidator(_iso), Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")]


class Section(BaseModel):
    """A part of a source's YAML: every key declared, none unknown."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Listing(Section):
    """Where new notices are discovered: channel listing pages (`urls`), or a JSON API (`url`)."""

    urls: list[str] = []
    title_keywords: list[str] = []
    url: str | None = None
    download_url: str | None = None
    note: str | None = None


class GenaiAttachment(Section):
    """One period's attachment of the generative-AI notice (cac_genai)."""

    period: str
    label: str | None = None
    covers: str | None = None  # the months a list covers when its title names only the last (2026年1-2月)
    published: Published
    expected_filings: int | None = None
    expected_registrations: int | None = None
    expected_ondevice: int | None = None
    summary_of: list[str] = []
    certainty: str | None = None


class Notice(Section):
    """A notice page known in advance, with what it published when that is known."""

    url: str
    title: str
    published: Published
    batch_label: str | None = None
    batch_number: int | None = None
    expected_count: int | None = None
    certainty: str | None = None
    kind: Literal["increments", "summary"] | None = None
    attachments: list[GenaiAttachment] = []


class ListEntry(Section):
    """One list attachment of a notice that gains one per batch (cac_algo_recommendation)."""

    batch_label: str
    attachment_label: str | None = None
    published: Published
    expected_count: int | None = None
    certainty: str | None = None


class Cancellation(Section):
    """A cancellation notice reported published (cac_cancellations)."""

    published: Published
    expected_count: int | None = None
    reported_title: str | None = None


class OfficialTotal(Section):
    """A cumulative total the regulator stated (cac_genai), reconciled after the list of `period`."""

    as_of: Published
    period: str
    filed: int | None = None
    registered: int | None = None
    source: str | None = None


class AcceptedDifference(Section):
    """A known, explained difference between the lists' rows and the official totals (cac_genai)."""

    table: Literal["filing", "registration", "ondevice"]
    from_period: str
    difference: int
    missing_seq: list[int] = []
    explanation: str


class Outlet(Section):
    """A news outlet: its host, its own time zone and its feeds (news)."""

    name: str
    host: str
    timezone: str = "UTC"
    shape: str | None = None
    feeds: list[str] = []


class SourceConfig(Section):
    """A source's `source.yml`."""

    name: str
    title: str
    module: str
    list_type: str | None
    publisher: str | None = None
    schedule: str | None = None
    crawl_all: bool = True
    allowed_hosts: list[str] = []
    rate_limit_per_second: float = Field(1.0, gt=0)
    listing: Listing | None = None
    notices: list[Notice] = []
    lists: list[ListEntry] = []
    cancellations: list[Cancellation] = []
    official_totals: list[OfficialTotal] = []
    accepted_differences: list[AcceptedDifference] = []
    outlets: list[Outlet] = []
    topic_keywords: list[str] = []
    max_articles_per_feed: int = Field(20, gt=0)


class SourceConfigError(ValueError):
    """A `source.yml` that does not validate: the message names the file and every bad field."""


PARSER_NAME, PARSER_VERSION = "regtrail.crawl.sources", "1"
"""The parser named on the parse failure of a document no source accepts."""


class NoSourceParses(ParseError):
    """A document handed over (`ingest`) that no source accepts."""

    parser_module = __name__


class UnknownSource(LookupError):
    """A source name no `source.yml` defines (not a KeyError: a KeyError inside a crawl is a crawl failure)."""


class BrokenSource(RuntimeError):
    """A source whose `source.yml` does not validate or whose crawler module does not import; it fails alone."""


def config_path(name: str, sources_dir: Path = SOURCES_DIR) -> Path:
    """The YAML file of one source."""
    return sources_dir / name / "source.yml"


def read_config(path: Path) -> SourceConfig:
    """One `source.yml`, validated; SourceConfigError names the file and the fields."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise SourceConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        config = SourceConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in error['loc']) or '(top level)'}: {error['msg']}"
                             for error in exc.errors())
        raise SourceConfigError(f"{path}: {problems}") from None
    if config.name != path.parent.name:
        raise SourceConfigError(f"{path}: name: {config.name!r} is not its folder's name {path.parent.name!r}")
    return config


@dataclass(frozen=True)
class Source:
    """A source: its name, its metadata (URLs, schedule, expected counts) and its crawler."""

    name: str
    config: SourceConfig

    @property
    def module(self) -> ModuleType:
        """The source's crawler module (`module` in its YAML)."""
        return importlib.import_module(self.config.module)

    @property
    def crawl(self) -> Callable[[Any], None]:
        return self.module.crawl


def load_sources(sources_dir: Path = SOURCES_DIR) -> dict[str, Source]:
    """Every source defined by a `<name>/source.yml` file under `sources_dir`, by name; the first invalid
    `source.yml` raises SourceConfigError (see `load_registry` to keep the valid ones)."""
    configs = (read_config(path) for path in sorted(sources_dir.glob("*/source.yml")))
    return {config.name: Source(config.name, config) for config in configs}


@dataclass(frozen=True)
class Registry:
    """The sources of a folder: those whose `source.yml` validates, and the others (folder name -> error)."""

    sources: dict[str, Source]
    broken: dict[str, str]


def load_registry(sources_dir: Path = SOURCES_DIR) -> Registry:
    """Every source under `sources_dir`; a `source.yml` that does not validate is kept aside with its message,
    so one source's typo stops that source only."""
    sources: dict[str, Source] = {}
    broken: dict[str, str] = {}
    for path in sorted(sources_dir.glob("*/source.yml")):
        try:
            config = read_config(path)
        except SourceConfigError as exc:
            broken[path.parent.name] = str(exc)
            continue
        sources[config.name] = Source(config.name, config)
    return Registry(sources, broken)


def source_config(name: str, sources_dir: Path = SOURCES_DIR) -> SourceConfig:
    """The validated config of one source."""
    return read_config(config_path(name, sources_dir))


def get_sources(names: list[str] | None = None, sources_dir: Path = SOURCES_DIR) -> list[Source]:
    """The named sources (all valid ones with `crawl_all` when `names` is empty); an unknown name raises
    UnknownSource listing the known ones, a named source whose `source.yml` is invalid BrokenSource."""
    registry = load_registry(sources_dir)
    sources = registry.sources
    if not names:
        return [s for s in sources.values() if s.config.crawl_all]
    unknown = [n for n in names if n not in sources and n not in registry.broken]
    if unknown:
        known = sorted([*sources, *registry.broken])
        raise UnknownSource(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(known)}")
    broken = [registry.broken[n] for n in names if n in registry.broken]
    if broken:
        raise BrokenSource("; ".join(broken))
    return [sources[n] for n in names]


def broken_sources(sources_dir: Path = SOURCES_DIR) -> dict[str, str]:
    """Folder name -> validation message of every source whose `source.yml` is invalid."""
    return load_registry(sources_dir).broken


ANNOUNCED_SEED = REPO_ROOT / "dbt_project" / "seeds" / "announced_lists.csv"
ANNOUNCED_COLUMNS = ("list_id", "list_type", "batch_label", "source", "notice_url", "published", "expected_count")


def announced_lists(sources: dict[str, Source] | None = None) -> list[dict[str, Any]]:
    """Every list the sources' YAML files say the regulator announced (batches of the CAC list sources).

    The warehouse shows each of them in `fct_list_batches`, even when its notice page never loaded.
    """
    rows = []
    for source in (sources or load_sources()).values():
        config = source.config
        if not config.list_type:
            continue
        only_notice = config.notices[0].url if len(config.notices) == 1 else None
        entries = [(n.batch_label, n.url, n.published, n.expected_count) for n in config.notices if n.batch_label]
        entries += [(e.batch_label, only_notice, e.published, e.expected_count) for e in config.lists]
        for batch_label, notice_url, published, expected_count in entries:
            rows.append({
                "list_id": f"{config.list_type}:{batch_label}", "list_type": config.list_type,
                "batch_label": batch_label, "source": source.name, "notice_url": notice_url,
                "published": str(published or ""), "expected_count": expected_count,
            })
    return sorted(rows, key=lambda row: row["list_id"])


def announced_seed_text(sources: dict[str, Source] | None = None) -> str:
    """The CSV text of `dbt_project/seeds/announced_lists.csv` as the YAML files define it."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ANNOUNCED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in announced_lists(sources))
    return out.getvalue()


if __name__ == "__main__":  # python -m regtrail.crawl.sources: rewrite the seed after editing a source.yml
    ANNOUNCED_SEED.write_text(announced_seed_text(), encoding="utf-8")
    print(f"wrote {ANNOUNCED_SEED}")
