"""The layering docs/architecture.md promises, checked on the source (imports read with ``ast``).

* ``events/`` and ``backtest/`` are pure: they import no other package of ours (``backtest``
  may use ``events``), no DuckDB, no network client;
* ``storage/`` owns DuckDB and every data source; it may use ``events`` (the ticker rule);
* ``jobs/`` may use all of them, but ``import duckdb`` and ``yfinance`` stay in ``storage/``;
* no module imports a module that imports it back (no import cycle), and none is over 600 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("events", "backtest", "storage", "jobs")
#: What each package may import of ours (itself always).
ALLOWED: dict[str, set[str]] = {
    "events": set(),
    "backtest": {"events"},
    "storage": {"events"},
    "jobs": {"events", "backtest", "storage"},
}
MAX_LINES = 600


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


MODULES = dict(_modules())


def _imports(path: Path, module: str) -> set[str]:
    """Every module name ``path`` imports (at any depth, TYPE_CHECKING blocks included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


IMPORTS = {name: _imports(path, name) for name, path in MODULES.items()}


def test_the_packages_exist() -> None:
    assert {n.split(".")[0] for n in MODULES} == set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_follow_the_layers(package: str) -> None:
    wrong = sorted(
        f"{name} imports {imported}"
        for name, imported_names in IMPORTS.items()
        if name.split(".")[0] == package
        for imported in imported_names
        if imported.split(".")[0] in PACKAGES
        and imported.split(".")[0] not in ALLOWED[package] | {package}
    )
    assert wrong == []


@pytest.mark.parametrize("library", ["duckdb", "yfinance", "requests"])
def test_outside_libraries_stay_in_storage(library: str) -> None:
    users = sorted(
        name
        for name, imported in IMPORTS.items()
        if any(i == library or i.startswith(library + ".") for i in imported)
        and not name.startswith("storage")
    )
    assert users == []


def test_yfinance_is_imported_in_exactly_one_module() -> None:
    users = [
        n for n, imported in IMPORTS.items() if any(i.split(".")[0] == "yfinance" for i in imported)
    ]
    assert users == ["storage.sources.yahoo"]


def _graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (names resolved to modules that exist).

    A package's ``__init__`` importing its own modules is a facade (a curated API), not a
    dependency, so those edges are left out; every other edge counts.
    """
    graph: dict[str, set[str]] = {}
    for name, imported in IMPORTS.items():
        facade = MODULES[name].name == "__init__.py"
        targets = set()
        for i in imported:
            while i and i not in MODULES:
                i = i.rpartition(".")[0]
            if not i or i == name or (facade and i.startswith(name + ".")):
                continue
            targets.add(i)
        graph[name] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_is_over_600_lines() -> None:
    long = sorted(
        f"{name} ({n} lines)"
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    )
    assert long == []


def test_dask_is_imported_in_exactly_one_module_and_only_when_used() -> None:
    """The cluster extra is optional: only ``jobs.runtime.cluster`` imports it, inside a
    function, so importing any module (that one included) works without it."""
    users = sorted(
        n
        for n, imported in IMPORTS.items()
        if any(i.split(".")[0] in ("dask", "distributed", "ray") for i in imported)
    )
    assert users == ["jobs.runtime.cluster"]
    tree = ast.parse(MODULES["jobs.runtime.cluster"].read_text(encoding="utf-8"))
    top = {
        a.name.split(".")[0]
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for a in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert not top & {"dask", "distributed"}
