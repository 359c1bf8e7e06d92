"""Data flows one way: the layers of ``docs/ARCHITECTURE.md``, checked over every import.

grimp reads every ``import`` statement of ``forecasting``, ``models`` and ``service`` (module level and
inside functions), so a lazy import cannot sneak a dependency past this test. Each module belongs to one
layer; a module may import its own layer and the layers below it, except that the layers grouped on one
line are independent of each other (training and the consumers never import one another).
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache

import pytest

from forecasting.settings import PROJECT_ROOT

# Bottom to top. A tuple of layers on one line = independent siblings at the same height.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("foundation",),
    ("engine",),
    ("data",),
    ("registry",),
    ("training", "consumers"),
    ("interface",),
)
MEMBERS: dict[str, tuple[str, ...]] = {
    "foundation": (
        "forecasting.vocabulary",
        "forecasting.errors",
        "forecasting.settings",
        "forecasting.chromium",
    ),
    "engine": (
        "models",
        "forecasting.evaluation",
        "forecasting.hierarchy",
        "forecasting.parallel",
        "forecasting.statistics",
    ),
    "data": ("forecasting.reference", "forecasting.sources", "forecasting.units", "forecasting.warehouse"),
    "registry": ("forecasting.registry",),
    "training": ("forecasting.training", "forecasting.forecast_table"),
    "consumers": (
        "forecasting.scenarios",
        "forecasting.scorecards",
        "forecasting.profiles",
        "forecasting.clusters",
        "forecasting.charts",
        "service",
    ),
    "interface": ("forecasting.cli",),
}
PACKAGE_INITS = {"forecasting", "models", "service"}  # docstring-only package modules


# Built in a fresh interpreter: inside pytest, test folders named like packages (tests/service) can extend
# a package's search path and would show up as modules of it.
_SCRIPT = """
import json, grimp
g = grimp.build_graph("forecasting", "models", "service")
edges = []
for a in sorted(g.modules):
    for b in sorted(g.find_modules_directly_imported_by(a)):
        for d in g.get_import_details(importer=a, imported=b) or [{"line_number": 0}]:
            edges.append([a, b, int(d["line_number"])])
print(json.dumps({"modules": sorted(g.modules), "edges": edges}))
"""


@cache
def graph() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def layer_of(module: str) -> str:
    best = ""
    found = None
    for layer, prefixes in MEMBERS.items():
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > len(best):
                best, found = p, layer
    if found is None:
        raise AssertionError(f"{module} is in no layer: add it to MEMBERS in tests/test_architecture.py")
    return found


def height(layer: str) -> int:
    return next(i for i, row in enumerate(LAYERS) if layer in row)


def imports() -> list[tuple[str, str, int]]:
    return [(a, b, line) for a, b, line in graph()["edges"]]


def test_every_module_has_a_layer() -> None:
    missing = [m for m in graph()["modules"] if m not in PACKAGE_INITS and not _has_layer(m)]
    assert not missing, f"modules in no layer (add them to MEMBERS): {missing}"


def _has_layer(m: str) -> bool:
    try:
        layer_of(m)
        return True
    except AssertionError:
        return False


def test_imports_only_go_down_the_layers() -> None:
    bad = []
    for importer, imported, line in imports():
        if importer in PACKAGE_INITS or imported in PACKAGE_INITS:
            continue
        a, b = layer_of(importer), layer_of(imported)
        if a == b:
            continue
        if height(b) > height(a) or (height(b) == height(a)):
            bad.append(f"{importer}:{line} ({a}) imports {imported} ({b})")
    assert not bad, "imports against the data flow:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        (
            ("forecasting.scenarios", "forecasting.scorecards", "forecasting.profiles", "service"),
            ("forecasting.training",),
        ),
        (
            ("models", "forecasting.evaluation", "forecasting.hierarchy"),
            (
                "forecasting.warehouse",
                "forecasting.training",
                "forecasting.registry",
                "forecasting.scenarios",
                "forecasting.scorecards",
                "forecasting.cli",
                "service",
            ),
        ),
        (("forecasting.registry",), ("forecasting.training", "forecasting.cli", "service")),
    ],
)
def test_forbidden_imports(importer: tuple[str, ...], forbidden: tuple[str, ...]) -> None:
    """The rules the layers imply, spelled out so a failure reads as the rule it breaks."""
    bad = [
        f"{a}:{line} imports {b}"
        for a, b, line in imports()
        if a.startswith(importer) and any(b == f or b.startswith(f + ".") for f in forbidden)
    ]
    assert not bad, "\n".join(bad)


def test_nothing_imports_the_cli_or_the_service() -> None:
    bad = [
        f"{a}:{line} imports {b}"
        for a, b, line in imports()
        if (b.startswith("forecasting.cli") and not a.startswith("forecasting.cli"))
        or (b.startswith("service") and not a.startswith("service"))
    ]
    assert not bad, "\n".join(bad)


def test_no_import_cycles() -> None:
    """Tarjan's strongly connected components over module-to-module imports."""
    edges: dict[str, set[str]] = {m: set() for m in graph()["modules"]}
    for a, b, _ in imports():
        if b not in PACKAGE_INITS:
            edges[a].add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for m in sorted(edges):
        if m not in index:
            visit(m)
    assert not cycles, f"import cycles: {cycles}"


def test_the_check_sees_imports_inside_functions() -> None:
    """Guard for the guard: a lazy import in a function body is in the graph."""
    lazy = [
        (a, b)
        for a, b, _ in imports()
        if (a, b) == ("forecasting.cli.run_cmd", "forecasting.training.pipeline")
    ]
    assert lazy, "grimp no longer reports function-level imports; the layer check would be blind"
