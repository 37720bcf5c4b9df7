"""Test modules share helpers only through tests/support: no test module imports another test module; the
modules conftest schedules first exist."""

from __future__ import annotations

import ast

from regtrail import settings

TESTS = settings.REPO_ROOT / "tests"


def foreign_imports(source: str) -> list[str]:
    """Modules under `tests` that this source imports (also inside functions) other than tests.support."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" if node.module == "tests" else node.module for alias in node.names]
        elif isinstance(node, ast.ImportFrom):  # relative: `from . import x`, `from .test_x import y`
            names = [f"tests.{node.module or alias.name}" for alias in node.names]
        else:
            continue
        found += [name for name in names if name.split(".")[0] == "tests"
                  and name.split(".")[:2] != ["tests", "support"]]
    return sorted(set(found))


def test_test_modules_import_helpers_from_support_only() -> None:
    offenders = {str(path.relative_to(TESTS)): found for path in sorted(TESTS.rglob("*.py"))
                 if (found := foreign_imports(path.read_text(encoding="utf-8")))}
    assert offenders == {}, "move the shared helper into tests/support/ and import it from there"


def test_the_check_finds_an_import_of_a_test_module() -> None:
    assert foreign_imports("from tests.test_publish import counts") == ["tests.test_publish"]
    assert foreign_imports("def f():\n    import tests.conftest") == ["tests.conftest"]
    assert foreign_imports("from tests import test_cli, support") == ["tests.test_cli"]
    assert foreign_imports("from .test_bomb import run_measured") == ["tests.test_bomb"]
    assert foreign_imports("from tests.support.warehouse import counts\nfrom tests.support import events") == []


def test_the_modules_scheduled_first_exist() -> None:
    """conftest.LONGEST names the modules xdist starts first: a renamed module must be renamed there too."""
    tree = ast.parse((TESTS / "conftest.py").read_text(encoding="utf-8"))
    (LONGEST,) = [ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                  and [getattr(t, "id", None) for t in node.targets] == ["LONGEST"]]
    assert len(set(LONGEST)) == len(LONGEST)
    assert [name for name in LONGEST if not (TESTS / f"{name}.py").is_file()] == []
