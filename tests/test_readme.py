"""The README's promises checked against the code, so the docs cannot drift."""

from __future__ import annotations

import re

from regtrail import settings
from tests.support.cli import commands

README = (settings.REPO_ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {p.name: p.read_text(encoding="utf-8") for p in (settings.REPO_ROOT / "docs").glob("*.md")}


def _first_code_block(text: str) -> list[str]:
    block = re.search(r"```\n(.*?)```", text, re.S)
    assert block, "README has no code block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_the_two_setup_commands() -> None:
    assert _first_code_block(README) == ["make demo", "make test"]
    makefile = (settings.REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (settings.REPO_ROOT / ".ci" / "run").read_text()


def test_every_cli_command_is_documented_and_every_documented_one_exists() -> None:
    blocks = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", README, re.S))
    documented = set()
    for names in re.findall(r"^regtrail ([a-z|]+)", blocks, re.M):
        documented |= set(names.split("|"))
    assert documented == commands()
    assert "**Exit codes**" in README and "`2` usage error" in README


def test_every_setting_is_documented_and_used() -> None:
    documented = set(re.findall(r"^\| `(REGTRAIL_[A-Z_]+)`", DOCS["settings.md"], re.M))
    used = set()
    code = [*(settings.REPO_ROOT / "scrapers").rglob("*.py"), *(settings.REPO_ROOT / "regtrail").rglob("*.py"),
            *(settings.REPO_ROOT / "dags").glob("*.py")]
    for path in code:
        used |= set(re.findall(r"\"(REGTRAIL_[A-Z_]+)\"", path.read_text(encoding="utf-8")))
    assert used <= documented, used - documented


def test_the_readme_is_short_and_its_links_resolve() -> None:
    assert len(README.splitlines()) <= 250
    links = re.findall(r"\]\(([^)#]+)\)", README)
    assert links and [link for link in links if not (settings.REPO_ROOT / link).exists()] == []


def test_every_docs_page_is_in_the_site_navigation() -> None:
    nav = (settings.REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert sorted(name for name in DOCS if f" {name}" not in nav) == []
