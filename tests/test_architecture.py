"""The package map holds: no import cycles between top-level packages, no private module used
from another package, and every import goes down the layers drawn in docs/architecture.md."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "myloware"

#: lowest first; a unit (a package, or a module at the top) imports from its layer or below
LAYERS: list[set[str]] = [
    {"myloware", "errors", "settings", "records", "logs", "loops", "lazy", "storable"},
    {"secretbox"},
    {"normalize", "schemas", "documents", "einvoice", "auth", "models", "log_context", "telemetry"},
    {"extraction", "validation"},
    {"policy", "contracts", "pipeline_template"},
    {"db"},
    {"events", "memory"},
    {"services"},
    {"agents"},
    {"workflows"},
    {"worker", "web", "temporal_client"},
    {"slack", "mail", "ui", "evaluation"},
    {"api"},
    {"runtime"},
    {"cli"},
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def _unit(parts: list[str]) -> str:
    """``myloware.<unit>…``: the top-level package or module a dotted name belongs to
    (``myloware`` itself for its ``__init__`` and attributes such as ``__version__``)."""
    return parts[1] if len(parts) > 1 and not parts[1].startswith("__") else "myloware"


def _imports() -> list[tuple[str, str, str]]:
    """(importing file, imported module, where) for every myloware import, in functions too."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        importer = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                if node.module == "myloware":
                    names = [f"myloware.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                assert isinstance(node, ast.Import | ast.ImportFrom)  # only these name modules
                if name.startswith("myloware."):
                    found.append((importer, name, f"{path.relative_to(SRC)}:{node.lineno}"))
    return found


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for importer, imported, _ in _imports():
        a, b = _unit(importer.split(".")), _unit(imported.split("."))
        if a != b:
            graph[a].add(b)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            group.append(node)
            if len(group) > 1:
                found.append(sorted(group))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_no_top_level_packages_import_each_other() -> None:
    """Following imports (function-level ones included) never leads back to where it began."""
    assert _cycles(_package_graph()) == []


def test_no_private_module_is_imported_from_another_package() -> None:
    """``myloware.x._y`` is used inside ``x`` only; other packages go through x's public names."""
    leaks = [
        f"{where} imports {imported}"
        for importer, imported, where in _imports()
        if _unit(importer.split(".")) != _unit(imported.split("."))
        and any(part.startswith("_") and part != "__init__" for part in imported.split(".")[2:])
    ]
    assert leaks == []


def test_every_import_goes_down_the_layers() -> None:
    """Each unit is in one layer and imports only from its own layer or lower ones."""
    units = {p.stem for p in SRC.glob("*.py") if p.stem != "__init__"} | {"myloware"}
    units |= {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    assert units == set(RANK), "a new package or top-level module: give it a layer"
    upward = [
        f"{where}: {_unit(importer.split('.'))} -> {imported}"
        for importer, imported, where in _imports()
        if RANK[_unit(imported.split("."))] > RANK[_unit(importer.split("."))]
    ]
    assert upward == []
