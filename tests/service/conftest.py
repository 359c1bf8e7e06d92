"""Service fixtures: an in-memory synthetic app (fast unit tests) and a real registry trained once.

The real one ingests the published files quick.toml needs into a temporary DuckDB warehouse, runs the
real training (``train_experiment``) into a temporary sqlite MLflow registry and promotes the version to
champion: no mocked MLflow anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from svc_registry import ADMIN_KEY, QUICK_FILES, TrainedRegistry
from svc_synthetic import make_contents

from forecasting.settings import ApiSettings, Settings
from service.app import create_app
from service.lifecycle import StaticSource


@pytest.fixture
def static_source() -> StaticSource:
    return StaticSource(make_contents())


@pytest.fixture
def client(static_source: StaticSource) -> Iterator[TestClient]:
    settings = ApiSettings(admin_api_keys=[ADMIN_KEY], max_batch=10, max_body_bytes=4096)
    with TestClient(create_app(settings, static_source)) as c:
        yield c


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> TrainedRegistry:
    from forecasting.warehouse.ingest import ingest, item_for_path
    from forecasting.warehouse.store import Warehouse

    root = tmp_path_factory.mktemp("registry")
    settings = Settings(data_dir=root, warehouse_path=root / "warehouse.duckdb")
    # the embedded store in root, whatever MLFLOW_TRACKING_URI says
    settings = settings.model_copy(update={"tracking_uri": None})
    with Warehouse(settings.warehouse) as wh:
        ingest(wh, [item_for_path(shared_data / rel) for rel in QUICK_FILES], note="service tests")
    reg = TrainedRegistry(root, settings, settings.mlflow_uri, "")
    version = reg.train()
    reg.promote(version)
    return TrainedRegistry(root, settings, settings.mlflow_uri, version)


@pytest.fixture(scope="module")
def real_client(trained: TrainedRegistry) -> Iterator[TestClient]:
    with TestClient(create_app(trained.api_settings(cache="cache-inproc"))) as c:
        yield c
