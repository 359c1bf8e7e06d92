"""The typed boundaries between readers and what they read, checked over the source (issue 18).

``tests/test_architecture.py`` checks which layer may import which; these checks close the ways around a
contract that an import graph cannot see: SQL against the warehouse's tables, the environment read
outside the settings, and routers reaching into each other.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from forecasting.settings import PROJECT_ROOT

PACKAGES = ("forecasting", "models", "service")


@cache
def sources() -> dict[str, ast.Module]:
    """Every module of the packages, parsed once: relative path -> AST."""
    out = {}
    for pkg in PACKAGES:
        for path in sorted((PROJECT_ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(PROJECT_ROOT).as_posix()
            out[rel] = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    return out


def imported_modules(tree: ast.Module) -> Iterator[tuple[str, int]]:
    """Every module an ``import`` names (module level or inside a function), with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            for alias in node.names:
                yield f"{node.module}.{alias.name}", node.lineno


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


# ---- 1. the warehouse snapshot contract -------------------------------------------------------------------
WAREHOUSE = "forecasting/warehouse/"
# Who may open the store itself (ingest, vintages, the catalogue listing): the warehouse package and the CLI.
STORE_USERS = (WAREHOUSE, "forecasting/cli/")
# SQL naming one of the warehouse's tables (keywords upper case, as the project writes SQL; prose such as
# "turned into observations" is not SQL).
WAREHOUSE_SQL = re.compile(r"\b(FROM|JOIN|INSERT INTO|UPDATE|TABLE)\s+(observations|files|vintages)\b")
PRIVATE_ATTRS = {"con", "_con", "visible_sql", "_visible_sql"}


def test_only_the_warehouse_package_speaks_sql_to_the_warehouse() -> None:
    """No ``duckdb`` import, no connection, no visibility SQL and no SQL naming a warehouse table outside
    ``forecasting/warehouse``: readers go through ``forecasting.warehouse.snapshot``."""
    bad = []
    for rel, tree in sources().items():
        if rel.startswith(WAREHOUSE):
            continue
        for module, line in imported_modules(tree):
            if _under(module, "duckdb"):
                bad.append(f"{rel}:{line} imports duckdb")
            if _under(module, "forecasting.warehouse") and not rel.startswith(STORE_USERS):
                if not _under(module, "forecasting.warehouse.snapshot"):
                    bad.append(f"{rel}:{line} imports {module} (read through forecasting.warehouse.snapshot)")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in PRIVATE_ATTRS:
                bad.append(f"{rel}:{node.lineno} uses .{node.attr} (the warehouse's private connection/SQL)")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if WAREHOUSE_SQL.search(node.value):
                    bad.append(f"{rel}:{node.lineno} holds SQL against a warehouse table")
    assert not bad, "warehouse internals used outside forecasting/warehouse:\n" + "\n".join(bad)


def test_the_sql_check_sees_sql() -> None:
    """Guard for the guard: the check finds the warehouse's own SQL and connection where they belong."""
    store = sources()["forecasting/warehouse/store.py"]
    consts = [n.value for n in ast.walk(store) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert any(WAREHOUSE_SQL.search(c) for c in consts)
    assert any(isinstance(n, ast.Attribute) and n.attr == "_con" for n in ast.walk(store))
