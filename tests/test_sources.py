"""Sources: independent folders (no module of `scrapers/<source>/` imports another source), and one
loader that validates every `source.yml` for the crawler and the mirror alike."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from regtrail.crawl.sources import SOURCES_DIR, SourceConfigError, config_path, load_sources
from regtrail.mirror import site


def foreign_imports(sources_dir: Path) -> list[str]:
    """`file: module` for every import, in a source's folder, of another source's package."""
    sources = {path.parent.name for path in sources_dir.glob("*/source.yml")}
    found = []
    for source in sorted(sources):
        for path in sorted((sources_dir / source).rglob("*.py")):
            for module in _imports(path, source):
                parts = module.split(".")
                if len(parts) > 1 and parts[0] == sources_dir.name and parts[1] in sources - {source}:
                    found.append(f"{path.relative_to(sources_dir.parent)}: {module}")
    return found


def _imports(path: Path, source: str) -> list[str]:
    """Absolute names of the modules `path` imports (`from pkg import name` also yields `pkg.name`)."""
    names = []
    package = ["scrapers", source]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join([*package[: len(package) - node.level + 1], *([node.module] if node.module else [])]) \
                if node.level else node.module or ""
            names.append(base)
            names += [f"{base}.{alias.name}" for alias in node.names]
    return names


def test_no_source_imports_another_source() -> None:
    assert foreign_imports(SOURCES_DIR) == []


def test_the_check_finds_every_form_of_import(tmp_path: Path) -> None:
    root = tmp_path / "scrapers"
    for name in ("alpha", "beta", "gamma"):
        (root / name).mkdir(parents=True)
        (root / name / "source.yml").write_text(f"name: {name}\n")
    (root / "alpha" / "crawl.py").write_text("import scrapers.beta.crawl\nfrom scrapers.alpha import util\n")
    (root / "beta" / "crawl.py").write_text("from scrapers import gamma\nfrom scrapers import cac_lists\n")
    (root / "gamma" / "crawl.py").write_text("from .. import alpha\nfrom . import helpers\n")
    assert foreign_imports(root) == [
        "scrapers/alpha/crawl.py: scrapers.beta.crawl",
        "scrapers/beta/crawl.py: scrapers.gamma",
        "scrapers/gamma/crawl.py: scrapers.alpha",
    ]


def test_every_source_config_validates() -> None:
    sources = load_sources()
    assert {"adhoc", "cac_deep_synthesis", "cac_algo_recommendation", "cac_genai", "cac_cancellations",
            "news"} <= set(sources)
    genai = sources["cac_genai"].config
    assert all(a.published[:4].isdigit() for n in genai.notices for a in n.attachments)
    assert sources["news"].config.outlets[0].timezone


@pytest.mark.parametrize(("change", "field", "message"), [
    (("rate_limit_per_second: 1.0", "rate_limit_per_second: fast"), "rate_limit_per_second",
     "should be a valid number"),
    (("  published: '2023-06-20'", "  published: June 2023"), "notices.0.published", "String should match pattern"),
    (("  expected_count: 41", "  expected_count: 41\n  expected_cuont: 41"), "notices.0.expected_cuont",
     "Extra inputs are not permitted"),
    (("module: scrapers.cac_deep_synthesis.crawl", ""), "module", "Field required"),
])
def test_an_invalid_config_names_the_file_and_the_field(tmp_path: Path, change: tuple[str, str], field: str,
                                                        message: str) -> None:
    sources_dir = tmp_path / "scrapers"
    shutil.copytree(SOURCES_DIR / "cac_deep_synthesis", sources_dir / "cac_deep_synthesis")
    path = config_path("cac_deep_synthesis", sources_dir)
    text = path.read_text(encoding="utf-8")
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(SourceConfigError) as crawler_error:
        load_sources(sources_dir)
    problem = str(crawler_error.value)
    assert problem.startswith(f"{path}: {field}: ") and message in problem, problem
    with pytest.raises(SourceConfigError) as mirror_error:  # the mirror reads through the same loader
        site.load_sources(sources_dir)
    assert str(mirror_error.value) == str(crawler_error.value)


API = "regtrail.crawl.api"


def regtrail_imports(sources_dir: Path) -> list[str]:
    """`file: module` for every import of a regtrail module other than the source API, under `sources_dir`."""
    found = []
    for path in sorted(sources_dir.rglob("*.py")):
        source = path.relative_to(sources_dir).parts[0] if len(path.relative_to(sources_dir).parts) > 1 else ""
        for module in _imports(path, source):
            if module.split(".")[0] == "regtrail" and module not in (API, "regtrail.crawl") \
                    and not module.startswith(API + "."):
                found.append(f"{path.relative_to(sources_dir.parent)}: {module}")
    return found


def test_sources_import_one_regtrail_module_the_source_api() -> None:
    assert regtrail_imports(SOURCES_DIR) == []


def test_the_api_check_finds_a_deep_import(tmp_path: Path) -> None:
    root = tmp_path / "scrapers"
    (root / "alpha").mkdir(parents=True)
    (root / "alpha" / "crawl.py").write_text(
        "from regtrail.crawl.api import records, cac\nfrom regtrail.crawl import api\n"
        "from regtrail.log import records as r\nimport regtrail.parsers.docx_list\n")
    assert regtrail_imports(root) == ["scrapers/alpha/crawl.py: regtrail.log",
                                      "scrapers/alpha/crawl.py: regtrail.log.records",
                                      "scrapers/alpha/crawl.py: regtrail.parsers.docx_list"]


def test_every_source_folder_has_its_own_crawl_module() -> None:
    """One folder per source: each `source.yml` names the `crawl.py` beside it, and scrapers/ holds nothing else."""
    for name, source in load_sources().items():
        assert (SOURCES_DIR / name / "crawl.py").is_file(), name
        assert source.config.module == f"scrapers.{name}.crawl", name
        assert callable(source.crawl), name
    assert sorted(p.name for p in SOURCES_DIR.glob("*.py")) == ["__init__.py"]
