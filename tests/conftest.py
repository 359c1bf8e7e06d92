"""Shared fixtures: where the real published files are, and throwaway settings per test."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from forecasting.settings import PROJECT_ROOT, Settings

# the settings' mirror (INVEST_MIRROR, else ../shared/data beside the checkout): a git worktree elsewhere
# finds the published files through INVEST_MIRROR
SHARED_DATA = Settings().mirror or PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"published data mirror not found at {SHARED_DATA} (set INVEST_MIRROR)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def ingested(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Callable[..., Path]:
    """``ingested(files, note="")``: a warehouse holding the published ``files`` (paths in the mirror) as one
    vintage, built once per session for each set of files and note. Read it; never write to it (copy first).

    One fixture instead of a copy of the same ingest in every test module that needs real data."""
    from forecasting.warehouse.ingest import ingest, item_for_path
    from forecasting.warehouse.store import Warehouse

    built: dict[tuple[tuple[str, ...], str], Path] = {}

    def make(files: Iterable[str | Path], note: str = "") -> Path:
        key = (tuple(str(f) for f in files), note)
        if key not in built:
            path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
            with Warehouse(path) as wh:
                ingest(wh, [item_for_path(shared_data / f) for f in key[0]], note=note)
            built[key] = path
        return built[key]

    return make
