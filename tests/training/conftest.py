"""Fixtures for training tests: a small real warehouse, throwaway settings, synthetic panels."""

from __future__ import annotations

from pathlib import Path

import pytest
from training_helpers import FILES

from forecasting.settings import Settings


@pytest.fixture(scope="session")
def quick_warehouse(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The published files quick.toml needs, ingested once per session (one vintage)."""
    from forecasting.warehouse.ingest import ingest, item_for_path
    from forecasting.warehouse.store import Warehouse

    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    with Warehouse(path) as wh:
        ingest(wh, [item_for_path(shared_data / f) for f in FILES], note="training tests")
    return path


@pytest.fixture()
def settings(tmp_path: Path, quick_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Embedded tracking in a fresh data dir; no tracking URI leaks in from the environment."""
    for var in ("MLFLOW_TRACKING_URI", "INVEST_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(var, raising=False)
    return Settings(data_dir=tmp_path / "data", warehouse_path=quick_warehouse, tracking_uri=None)
