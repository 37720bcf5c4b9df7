"""dbt unit tests (the `unit_tests:` of dbt_project/models): the product's builds leave them out (dbt's advice:
their inputs are fixed rows, so production gains nothing from them), `make test` runs them here; each one
fails when the part of the model it covers is broken (a copy of the project with one edit, run against a
copy of the session's sample build, which holds every model the unit tests read)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.support.warehouse import REPO_ROOT, node_statuses, run_dbt, sample_build, unit_test_statuses

pytestmark = pytest.mark.dbt

MODEL = REPO_ROOT / "dbt_project" / "models" / "intermediate" / "int_filing_versions.sql"
VERSIONS = "int_filing_versions"
ORDER, PREVIOUS, CHANGED = (f"{VERSIONS}_{name}" for name in ("order", "previous_values", "changed_fields"))


def declared_unit_tests() -> set[str]:
    """Every unit test declared in the project's YAML files."""
    names = set()
    for path in (REPO_ROOT / "dbt_project" / "models").rglob("*.yml"):
        declared = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names |= {test["name"] for test in declared.get("unit_tests", [])}
    return names


def test_every_unit_test_passes_and_the_product_s_build_leaves_them_out(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    sample = sample_build(tmp_path_factory.getbasetemp())  # built as `regtrail build` builds (dbt_run.command)
    assert node_statuses(sample.work) and not unit_test_statuses(sample.work)
    build = tmp_path / "build.duckdb"
    shutil.copy2(sample.path, build)
    result = run_dbt("test", sample.home, tmp_path, build, "--select", "test_type:unit", unit_tests=True)
    assert result.returncode == 0, result.stdout[-3000:]
    statuses = unit_test_statuses(tmp_path)
    assert {ORDER, PREVIOUS, CHANGED} <= declared_unit_tests() == set(statuses)
    assert set(statuses.values()) == {"pass"}, statuses


# An edit of int_filing_versions.sql, and which of its unit tests it must fail.
BREAKS = {
    "undated lists first": ("order by published_at nulls last,", "order by published_at nulls first,",
                            {ORDER, PREVIOUS, CHANGED}),
    "previous list is the next one": ("lag(list_id) over by_version", "lead(list_id) over by_version", {PREVIOUS}),
    "a role appearing counts as a change": (
        "case when role is not null and previous_role is not null and role <> previous_role",
        "case when role is distinct from previous_role", {CHANGED}),
}


@pytest.mark.parametrize("break_name", BREAKS)
def test_a_broken_model_fails_its_unit_test(break_name: str, tmp_path: Path,
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    old, new, failing = BREAKS[break_name]
    sample = sample_build(tmp_path_factory.getbasetemp())
    project = tmp_path / "dbt_project"
    shutil.copytree(REPO_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs"))
    model = project / MODEL.relative_to(REPO_ROOT / "dbt_project")
    sql = model.read_text(encoding="utf-8")
    assert sql.count(old) == 1, f"the model no longer contains {old!r}: update this break"
    model.write_text(sql.replace(old, new), encoding="utf-8")
    build = tmp_path / "build.duckdb"
    shutil.copy2(sample.path, build)
    result = run_dbt("test", sample.home, tmp_path, build, "--select", f"{VERSIONS},test_type:unit", project=project,
                     unit_tests=True)
    assert result.returncode != 0, result.stdout[-3000:]
    statuses = {name: status for name, status in unit_test_statuses(tmp_path).items()
                if name in (ORDER, PREVIOUS, CHANGED)}
    assert statuses.keys() == {ORDER, PREVIOUS, CHANGED}, result.stdout[-3000:]
    assert {name for name, status in statuses.items() if status != "pass"} == failing, statuses
