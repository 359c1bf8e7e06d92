"""Typed settings for every command; the one place that reads the environment.

All variables use the ``INVEST_`` prefix (``INVEST_DATA_DIR``, ``INVEST_MIRROR`` ...); the MLflow
tracking URI also honours the standard ``MLFLOW_TRACKING_URI``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_mirror() -> Path | None:
    """``../shared/data`` beside the checkout, when it exists."""
    candidate = PROJECT_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INVEST_", extra="ignore")

    data_dir: Path = Field(default=PROJECT_ROOT / "data", description="Root of all local state.")
    mirror: Path | None = Field(
        default_factory=_default_mirror,
        description="Directory holding publisher files (same relative paths as the manifest).",
    )
    warehouse_path: Path | None = Field(
        default=None, description="DuckDB file; default <data_dir>/warehouse.duckdb"
    )
    tracking_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("INVEST_TRACKING_URI", "MLFLOW_TRACKING_URI"),
        description="MLflow tracking URI; default sqlite store in <data_dir>/mlflow.db",
    )
    model_name: str = "investment-forecaster"
    partner_dir: Path | None = Field(
        default=None, description="Directory of licensed partner exports; default: synthetic demo files."
    )
    seed: int = 20261124
    dask_scheduler: str | None = Field(
        default=None,
        description="invest forecast-csv on Dask: a scheduler address (tcp://host:8786) or 'local' for a "
        "distributed.LocalCluster on this machine; default: joblib worker processes.",
    )
    user: str | None = Field(
        default=None, description="Who promotes, recorded with the reason; default: the login name."
    )

    @property
    def raw_cache(self) -> Path:
        return self.data_dir / "raw"

    @property
    def warehouse(self) -> Path:
        return self.warehouse_path or self.data_dir / "warehouse.duckdb"

    @property
    def mlflow_uri(self) -> str:
        return self.tracking_uri or f"sqlite:///{(self.data_dir / 'mlflow.db').resolve()}"

    @property
    def artifact_root(self) -> Path:
        return self.data_dir / "mlartifacts"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
