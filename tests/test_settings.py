"""One settings module: only regtrail/settings.py reads the environment, every variable is declared and documented."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from regtrail import settings

ROOT = settings.REPO_ROOT
DOC = ROOT / "docs" / "settings.md"


def environment_reads(path: Path) -> list[str]:
    """`os.environ.get(X)`, `os.getenv(X)` and `os.environ[X]` reads of a REGTRAIL_/AIRFLOW_CTX_ name or of a
    computed name (a literal other name, such as PYTHONPATH passed on to a child, is not a setting)."""

    def is_environ(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "environ"

    def setting_like(key: ast.AST) -> bool:
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value.startswith(("REGTRAIL_", "AIRFLOW_CTX_"))
        return True

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        key = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            if (node.func.attr == "get" and is_environ(node.func.value)) or node.func.attr == "getenv":
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and is_environ(node.value) and isinstance(node.ctx, ast.Load):
            key = node.slice
        if key is not None and setting_like(key):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_only_the_settings_module_reads_the_environment() -> None:
    files = [p for top in ("regtrail", "scrapers", "dags") for p in (ROOT / top).rglob("*.py")]
    reads = [hit for path in files if path != ROOT / "regtrail" / "settings.py" for hit in environment_reads(path)]
    assert reads == []


def test_the_detector_finds_a_read(tmp_path: Path) -> None:
    probe = ROOT / "regtrail" / "_probe_settings_read.py"
    try:
        probe.write_text('import os\nA = os.environ.get("REGTRAIL_X")\nB = os.getenv("REGTRAIL_Y")\n'
                         'C = os.environ["REGTRAIL_Z"]\nD = os.environ.get("PYTHONPATH")\n', encoding="utf-8")
        assert environment_reads(probe) == [f"regtrail/{probe.name}:{n}" for n in (2, 3, 4)]
    finally:
        probe.unlink()


def test_every_variable_the_project_names_is_a_declared_setting() -> None:
    declared = {s.name for s in settings.Env.settings()}
    named = set()
    for top in ("regtrail", "scrapers", "dags", "dbt_project"):
        for path in (ROOT / top).rglob("*"):
            if path.suffix in {".py", ".sql", ".yml"} and "target" not in path.parts:
                named |= set(re.findall(r"\bREGTRAIL_[A-Z_]*[A-Z]\b", path.read_text(encoding="utf-8")))
    assert named - declared == set()


def test_a_bad_value_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGTRAIL_FLUSH_SECONDS", "soon")
    with pytest.raises(settings.SettingError, match=r"REGTRAIL_FLUSH_SECONDS='soon'"):
        _ = settings.ENV.flush_seconds
    monkeypatch.setenv("REGTRAIL_FLUSH_SECONDS", "0")
    assert settings.ENV.flush_seconds == 0.0
    monkeypatch.setenv("REGTRAIL_FULL_REFRESH", "maybe")
    with pytest.raises(settings.SettingError, match="REGTRAIL_FULL_REFRESH"):
        settings.full_refresh()
    monkeypatch.setenv("REGTRAIL_NOTIFY", " json://a/ ,  mailto://b ")
    assert settings.ENV.notify == ("json://a/", "mailto://b")


def test_paths_follow_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REGTRAIL_HOME", str(tmp_path))
    monkeypatch.delenv("REGTRAIL_BUILD_DB", raising=False)
    monkeypatch.delenv("REGTRAIL_LOG", raising=False)
    assert settings.warehouse_path() == tmp_path / "warehouse.duckdb"
    assert settings.build_db() == tmp_path / "build" / "warehouse.duckdb"
    assert settings.log_root() == tmp_path
    monkeypatch.setenv("REGTRAIL_LOG", "s3://bucket/prefix/")
    assert settings.log_root() == "s3://bucket/prefix"


def test_the_settings_reference_is_generated() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- settings-table:start -->\n", 1)[1].split("<!-- settings-table:end -->", 1)[0]
    assert table == settings.reference_table(), "run: python -m regtrail.settings (and paste into docs/settings.md)"
