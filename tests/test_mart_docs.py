"""docs/marts.md is generated from the dbt YAML of the marts: it lists every mart, and it is never stale."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from regtrail import settings
from regtrail.build import mart_docs


def test_the_mart_reference_is_what_the_yaml_says() -> None:
    assert mart_docs.DOC.read_text(encoding="utf-8") == mart_docs.render(mart_docs.marts()), (
        "docs/marts.md is stale: run `python -m regtrail.build.mart_docs`")


def test_every_mart_has_a_row_with_its_grain() -> None:
    text = mart_docs.DOC.read_text(encoding="utf-8")
    models = {p.stem for p in (settings.dbt_project_dir() / "models" / "marts").glob("*.sql")}
    assert models and models <= {m["name"] for m in mart_docs.marts()}
    for name in models | {m["name"] for m in mart_docs.PUBLISH_MARTS}:
        (row,) = [line for line in text.splitlines() if line.startswith(f"| [`{name}`]")]
        grain = row.split(" | ")[1]
        assert grain.strip(), row


def test_the_check_fails_on_a_changed_description_and_a_mart_without_yaml(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(settings.dbt_project_dir() / "models" / "marts", project / "models" / "marts")
    current = mart_docs.render(mart_docs.marts(project))
    assert current == mart_docs.render(mart_docs.marts())
    path = project / "models" / "marts" / "fct_filings.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["models"][0]["description"] = "One row per filing number and list."
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    changed = mart_docs.render(mart_docs.marts(project))
    assert changed != current and "| filing number and list |" in changed
    (project / "models" / "marts" / "fct_new.sql").write_text("select 1 as x\n", encoding="utf-8")
    try:
        mart_docs.marts(project)
    except ValueError as exc:
        assert "fct_new" in str(exc)
    else:
        raise AssertionError("a mart without YAML was not refused")


def test_the_command_checks_and_writes(tmp_path: Path) -> None:
    stale = tmp_path / "marts.md"
    stale.write_text("# old\n", encoding="utf-8")
    command = [sys.executable, "-m", "regtrail.build.mart_docs", "--output", str(stale)]
    checked = subprocess.run([*command, "--check"], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 1 and "stale" in checked.stderr
    assert subprocess.run(command, capture_output=True, text=True, timeout=60).returncode == 0
    assert subprocess.run([*command, "--check"], capture_output=True, text=True, timeout=60).returncode == 0
    assert stale.read_text(encoding="utf-8") == mart_docs.DOC.read_text(encoding="utf-8")
