"""Fixtures for training tests: a small real warehouse, throwaway settings, synthetic panels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from training_helpers import FILES

from forecasting.settings import Settings


@pytest.fixture(scope="session")
def quick_warehouse(ingested: Callable[..., Path]) -> Path:
    """The published files quick.toml needs, ingested once per session (one vintage)."""
    return ingested(FILES, note="training tests")


@pytest.fixture()
def settings(tmp_path: Path, quick_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Embedded tracking in a fresh data dir; no tracking URI leaks in from the environment."""
    for var in ("MLFLOW_TRACKING_URI", "INVEST_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(var, raising=False)
    return Settings(data_dir=tmp_path / "data", warehouse_path=quick_warehouse, tracking_uri=None)
