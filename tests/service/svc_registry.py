"""Shared service-test helpers (kept out of conftest so test modules can import them unambiguously)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from forecasting.settings import PROJECT_ROOT, ApiSettings, Settings

ADMIN_KEY = "test-admin-key"
QUICK = PROJECT_ROOT / "experiments" / "quick.toml"
QUICK_FILES = (
    "ons_els/foreign-direct-investment.csv",
    "wdi/API_BX.KLT.DINV.CD.WD_DS2_en_csv_v2_5995288.csv",
    "wdi/wdi_fdi_net_inflows_vintage2025-10-07_subset_GBR_WLD_EUU_FRA.csv",
    "ons_business_investment/cxnv_business_investment_gfcf_quarterly.csv",
)


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

        from forecasting.registry.promotion import promote

        promote(
            MlflowClient(tracking_uri=self.uri, registry_uri=self.uri),
            self.settings.model_name,
            version,
            reason="service tests",
        )
