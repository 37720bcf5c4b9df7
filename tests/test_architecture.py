"""The shape of the code: no import cycle between modules or between packages, and who may import whom.

The graph is read from the source (every `import`, also those inside functions), so a lazy import that
closes a cycle counts. Packages are `regtrail.<sub>` and `scrapers`; a loose module of `regtrail/` is its own node.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from regtrail import settings

ROOT = settings.REPO_ROOT
TOP_LEVEL = ("regtrail", "scrapers")

# Known package edges that would close a cycle, and framework modules that would import a source: none. The
# framework loads a source's module by the name its `source.yml` gives (importlib), as a plugin.
ALLOWED_CYCLE_EDGES: set[tuple[str, str]] = set()
ALLOWED_FRAMEWORK_TO_SOURCES: set[str] = set()


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the project by dotted name (a package by its `__init__`)."""
    found = {}
    for top in TOP_LEVEL:
        for path in (root / top).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports (a name resolves to its longest known module prefix)."""

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in filter(None, map(resolve, targets)):
                if target != name and not name.startswith(target + "."):  # a package's own submodules
                    edges[name].add(target)
    return edges


def package(module: str) -> str:
    """`regtrail.crawl.runner` -> `regtrail.crawl`; `scrapers.news.crawl` -> `scrapers`."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "regtrail" else parts[0]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    nodes = set(edges) | {t for targets in edges.values() for t in targets}
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def package_graph(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for source, targets in edges.items():
        for target in targets:
            if package(source) != package(target) and (package(source), package(target)) not in ALLOWED_CYCLE_EDGES:
                graph[package(source)].add(package(target))
    return graph


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(modules())


def test_no_import_cycle_between_modules(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_no_import_cycle_between_packages(graph: dict[str, set[str]]) -> None:
    assert cycles(package_graph(graph)) == []


def test_the_build_never_imports_the_analyst_and_the_framework_never_imports_the_sources(graph) -> None:
    offending = sorted((source, target) for source, targets in graph.items() for target in targets
                       if (package(source) == "regtrail.build" and package(target) == "regtrail.analyst")
                       or (source.startswith("regtrail.") and package(target) == "scrapers"
                           and source not in ALLOWED_FRAMEWORK_TO_SOURCES))
    assert offending == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = import_graph({"regtrail.x": Path(__file__), "regtrail.settings": ROOT / "regtrail" / "settings.py"})
    assert graph["regtrail.x"] == {"regtrail.settings"}


def test_no_loose_job_modules_at_the_top_of_the_package() -> None:
    """The jobs are folders: only settings (and the package's entry files) sit at the top of `regtrail/`."""
    loose = sorted(p.name for p in (ROOT / "regtrail").glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "settings.py"]
