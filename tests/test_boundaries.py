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
            if (
                _under(module, "forecasting.warehouse")
                and not rel.startswith(STORE_USERS)
                and not _under(module, "forecasting.warehouse.snapshot")
            ):
                bad.append(f"{rel}:{line} imports {module} (read through forecasting.warehouse.snapshot)")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in PRIVATE_ATTRS:
                bad.append(f"{rel}:{node.lineno} uses .{node.attr} (the warehouse's private connection/SQL)")
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and WAREHOUSE_SQL.search(node.value)
            ):
                bad.append(f"{rel}:{node.lineno} holds SQL against a warehouse table")
    assert not bad, "warehouse internals used outside forecasting/warehouse:\n" + "\n".join(bad)


def test_the_sql_check_sees_sql() -> None:
    """Guard for the guard: the check finds the warehouse's own SQL and connection where they belong."""
    store = sources()["forecasting/warehouse/store.py"]
    consts = [n.value for n in ast.walk(store) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert any(WAREHOUSE_SQL.search(c) for c in consts)
    assert any(isinstance(n, ast.Attribute) and n.attr == "_con" for n in ast.walk(store))


# ---- 2. one settings tree: the environment is read and written in the settings module only -------------------
# The settings module, and the CLI's entry point (which may set what its child processes read).
ENVIRONMENT_OWNERS = ("forecasting/settings.py", "forecasting/cli/app.py")
ENV_NAMES = {"environ", "getenv", "putenv", "unsetenv", "environb", "getenvb"}


def test_the_environment_is_read_only_by_the_settings() -> None:
    """``os.environ``/``os.getenv`` (and ``from os import environ``) appear only in the settings module and
    the CLI entry point: library code gets its configuration from ``Settings`` passed or built there."""
    bad = []
    for rel, tree in sources().items():
        if rel in ENVIRONMENT_OWNERS:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ENV_NAMES:
                bad.append(f"{rel}:{node.lineno} uses .{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module == "os":
                names = {a.name for a in node.names} & ENV_NAMES
                if names:
                    bad.append(f"{rel}:{node.lineno} imports {sorted(names)} from os")
    assert not bad, "environment access outside forecasting/settings.py:\n" + "\n".join(bad)


def test_one_settings_class() -> None:
    """Settings are one tree rooted at ``forecasting.settings.Settings`` (the API's branch ``.api`` is a plain
    model filled from ``INVEST_API_*``): exactly one pydantic-settings class in the packages, that one."""
    found = []
    for rel, tree in sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if "BaseSettings" in bases:
                    found.append((rel, node.name))
    assert found == [("forecasting/settings.py", "Settings")], f"one settings class wanted, found {found}"


# Who may read the process's settings (``get_settings()``): the settings module, the CLI, and the one service
# entry point (uvicorn's app factory). Library code takes ``Settings`` (or what it needs from them) as a
# parameter, so what it reads is what its caller chose, never a hidden global.
SETTINGS_READERS = ("forecasting/settings.py", "forecasting/cli/", "service/app.py")
SETTINGS_HOMES = ("forecasting.settings", "forecasting.cli.common")


def settings_reads(tree: ast.Module) -> Iterator[int]:
    """Lines importing or calling the process-wide ``get_settings`` (not a same-named local function)."""
    for node in ast.walk(tree):
        names = {a.name for a in node.names} if isinstance(node, ast.ImportFrom) else set()
        if isinstance(node, ast.ImportFrom) and node.module in SETTINGS_HOMES and "get_settings" in names:
            yield node.lineno
        if isinstance(node, ast.Attribute) and node.attr == "get_settings":
            yield node.lineno


def test_settings_are_passed_not_fetched() -> None:
    """``get_settings()`` only in the settings module, the CLI and ``service/app.py``'s ``create_app``."""
    bad = [
        f"{rel}:{line} reads the process settings"
        for rel, tree in sources().items()
        if not rel.startswith(SETTINGS_READERS)
        for line in settings_reads(tree)
    ]
    assert not bad, "pass the settings in instead:\n" + "\n".join(bad)


def test_the_settings_check_sees_a_read() -> None:
    """Guard for the guard: the CLI's reads and the app factory's are found."""
    assert list(settings_reads(sources()["service/app.py"]))
    assert list(settings_reads(sources()["forecasting/cli/run_cmd.py"]))
    assert not list(settings_reads(sources()["service/deps.py"]))  # its own dependency of that name


# ---- 3. service state: built once per served model, never in a module; routers independent -----------------
STATEFUL = ("service/", "forecasting/scenarios/")
CONTAINERS = {"dict", "list", "set", "OrderedDict", "defaultdict", "WeakKeyDictionary", "WeakValueDictionary"}


def _empty_container(value: ast.expr | None) -> bool:
    if isinstance(value, (ast.Dict, ast.List, ast.Set)) and not getattr(
        value, "keys", getattr(value, "elts", [])
    ):
        return True
    if isinstance(value, ast.Call) and not value.args and not value.keywords:
        name = getattr(value.func, "id", getattr(value.func, "attr", ""))
        return name in CONTAINERS
    return False


def test_no_module_level_caches_in_the_service_or_the_scenarios() -> None:
    """What the API derives from a model hangs off the ``ServedModel`` (``service/model_state.py``): a
    module-level dict filled at run time, or a function cache keyed by its arguments in a router, would
    outlive the model it was built from."""
    bad = []
    for rel, tree in sources().items():
        if not rel.startswith(STATEFUL):
            continue
        for node in tree.body:
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if _empty_container(value):
                bad.append(f"{rel}:{node.lineno} module-level mutable container")
            if rel.startswith("service/routers/") and isinstance(
                node, (ast.FunctionDef, ast.AsyncFunctionDef)
            ):
                cached = {
                    getattr(d.func if isinstance(d, ast.Call) else d, "id", "") for d in node.decorator_list
                } & {"cache", "lru_cache"}
                if cached and node.args.args:
                    bad.append(f"{rel}:{node.lineno} {node.name}() caches by argument")
    assert not bad, "module-level caches:\n" + "\n".join(bad)


def test_no_router_imports_another_router() -> None:
    """Routers share code through service modules (deps, catalogue_query, other_versions …), never each
    other: each router can then be included, replaced or removed alone."""
    bad = []
    for rel, tree in sources().items():
        if not rel.startswith("service/routers/") or rel.endswith("__init__.py"):
            continue
        own = "service.routers." + Path(rel).stem
        for module, line in imported_modules(tree):
            if (
                _under(module, "service.routers")
                and module not in ("service.routers",)
                and not _under(module, own)
            ):
                bad.append(f"{rel}:{line} imports {module}")
    assert not bad, "routers importing routers:\n" + "\n".join(bad)
