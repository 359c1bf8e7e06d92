"""Service fixtures: an in-memory synthetic app (fast unit tests) and a real registry trained once.

The real one ingests the published files quick.toml needs into a temporary DuckDB warehouse, runs the
real training (``train_experiment``) into a temporary sqlite MLflow registry and promotes the version to
champion: no mocked MLflow anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from svc_synthetic import make_contents

from forecasting.settings import PROJECT_ROOT, Settings
from service.app import create_app
from service.lifecycle import StaticSource
from service.settings import ApiSettings

ADMIN_KEY = "test-admin-key"
QUICK = PROJECT_ROOT / "experiments" / "quick.toml"
QUICK_FILES = (
    "ons_els/foreign-direct-investment.csv",
    "wdi/API_BX.KLT.DINV.CD.WD_DS2_en_csv_v2_5995288.csv",
    "wdi/wdi_fdi_net_inflows_vintage2025-10-07_subset_GBR_WLD_EUU_FRA.csv",
    "ons_business_investment/cxnv_business_investment_gfcf_quarterly.csv",
)


@pytest.fixture
def static_source() -> StaticSource:
    return StaticSource(make_contents())


@pytest.fixture
def client(static_source: StaticSource) -> Iterator[TestClient]:
    settings = ApiSettings(admin_api_keys=[ADMIN_KEY], max_batch=10, max_body_bytes=4096)
    with TestClient(create_app(settings, static_source)) as c:
        yield c


@dataclass(frozen=True)
class TrainedRegistry:
    root: Path
    settings: Settings
    uri: str
    version: str

    def api_settings(self, cache: str = "cache", **kw: object) -> ApiSettings:
        return ApiSettings(
            tracking_uri=self.uri,
            cache_dir=self.root / cache,
            warehouse_path=self.settings.warehouse,
            admin_api_keys=[ADMIN_KEY],
            **kw,
        )

    def env(self, cache: str = "cache") -> dict[str, str]:
        return {
            "INVEST_DATA_DIR": str(self.root),
            "INVEST_API_TRACKING_URI": self.uri,
            "INVEST_API_CACHE_DIR": str(self.root / cache),
            "INVEST_API_WAREHOUSE_PATH": str(self.settings.warehouse),
            "INVEST_API_ADMIN_API_KEYS": ADMIN_KEY,
        }

    def champion(self) -> str:
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        return str(client.get_model_version_by_alias(self.settings.model_name, "champion").version)

    def train(self) -> str:
        """Another real training run on the same warehouse: a new registry version (not yet champion)."""
        from forecasting.training.pipeline import train_experiment

        out = train_experiment(QUICK, settings=self.settings, show_progress=False)
        assert out.version is not None
        return out.version

    def promote(self, version: str) -> None:
        from mlflow import MlflowClient

        from forecasting.training.promotion import promote

        promote(
            MlflowClient(tracking_uri=self.uri, registry_uri=self.uri),
            self.settings.model_name,
            version,
            reason="service tests",
        )


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> TrainedRegistry:
    from forecasting.warehouse.ingest import ingest, item_for_path
    from forecasting.warehouse.store import Warehouse

    root = tmp_path_factory.mktemp("registry")
    settings = Settings(data_dir=root, warehouse_path=root / "warehouse.duckdb")
    settings = settings.model_copy(
        update={"tracking_uri": None}
    )  # embedded store in root, whatever the env says
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
