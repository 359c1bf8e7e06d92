"""Typed settings for every command, one tree: ``Settings`` and its API branch ``Settings.api``.

This module and the CLI entry point are the only places reading or writing the environment
(``tests/test_boundaries.py`` checks). All variables use the ``INVEST_`` prefix (``INVEST_DATA_DIR``,
``INVEST_MIRROR`` ...; the API's ``INVEST_API_*``); the MLflow tracking URI also honours the standard
``MLFLOW_TRACKING_URI``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_mirror() -> Path | None:
    """``../shared/data`` beside the checkout, when it exists."""
    candidate = PROJECT_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


CsvList = Annotated[list[str], NoDecode]
PROMETHEUS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class ApiSettings(BaseModel):
    """The API's branch of the settings tree (``Settings.api``; ``INVEST_API_*`` env vars).

    A plain model, not a settings class: ``Settings`` alone reads the environment, and fills this branch from
    ``INVEST_API_<FIELD>`` (see ``Settings.model_config``). The API has its own knobs (keys, limits, CORS)
    and is often deployed apart from training; shared things (tracking URI, model name, data dir) default to
    the project settings so one environment configures both.
    """

    model_config = ConfigDict(extra="ignore")
    _project: Settings | None = PrivateAttr(default=None)

    tracking_uri: str | None = Field(default=None, description="MLflow tracking URI; default: the project's.")
    model_name: str | None = Field(default=None, description="Registered model; default: the project's.")
    model_alias: str = Field(default="champion", description="Alias served (and reloaded).")
    bundle_path: Path | None = Field(
        default=None, description="Serve this local bundle folder instead of the registry (offline use)."
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Where the last loaded bundle is kept for degraded mode; default <data_dir>/api_cache.",
    )
    warehouse_path: Path | None = Field(
        default=None,
        description="DuckDB warehouse, read at load to flag a stale model; default: the project's.",
    )
    api_keys: CsvList = Field(
        default_factory=list, description="Keys for /v1 reads (comma-separated); empty = open."
    )
    admin_api_keys: CsvList = Field(default_factory=list, description="Keys for admin routes (reload).")
    cors_origins: CsvList = Field(default_factory=list, description="Allowed CORS origins; empty = CORS off.")
    max_batch: int = Field(default=1000, ge=1, description="Series ids per batch call (more -> 413).")
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, description="Request body limit (more -> 413).")
    max_page_size: int = Field(default=1000, ge=1)
    cache_max_age: int = Field(default=60, ge=0, description="Cache-Control max-age in seconds.")
    gzip_min_bytes: int = Field(
        default=1400,
        ge=0,
        description="JSON/CSV/text answers of at least this many bytes go gzip-compressed to clients that "
        "accept it (about one network packet: smaller ones gain nothing).",
    )
    scenarios_dir: Path | None = Field(
        default=None, description="Named scenario TOML files; default: the project's experiments/scenarios."
    )
    scorecards_dir: Path | None = Field(
        default=None,
        description="Scorecards written by `invest scorecards`; default <data_dir>/reports/scorecards.",
    )
    profiles_dir: Path | None = Field(
        default=None,
        description="Area profiles written by `invest profiles`; default <data_dir>/reports/profiles.",
    )
    poll_seconds: float = Field(
        default=30,
        ge=0,
        description="Check the alias every N seconds (0 = off), so a promotion is noticed within a minute "
        "by default. With several workers this is how all of them pick up a promotion; POST "
        "/v1/models/reload reaches one worker.",
    )
    auto_reload: bool = Field(
        default=True,
        description="Reload when the poll finds the alias moved. Off: only report it (/health says "
        "champion_moved: true and degraded) until an admin reload.",
    )

    # Connection bounds (``invest serve``; see service/connections.py): a slow or idle client cannot hold
    # sockets and file descriptors for ever, and load beyond the limits gets a clean 503.
    keep_alive_seconds: int = Field(
        default=5, ge=1, description="Close a keep-alive connection idle this long after a response."
    )
    header_timeout_seconds: float = Field(
        default=10,
        gt=0,
        description="A connection must send complete request headers within this many seconds of opening "
        "(or of its previous response), else it is closed: idle and header-trickling clients.",
    )
    max_header_bytes: int = Field(
        default=32 * 1024, ge=1024, description="Request line plus headers larger than this -> 431."
    )
    max_connections: int = Field(
        default=4096,
        ge=1,
        description="Open connections per worker. Past it the longest-idle connection is closed to make "
        "room; if none is idle the new one gets 503. Kept below the process's file-descriptor limit, "
        "which `invest serve` raises as far as the system allows.",
    )
    metrics_dir: Path | None = Field(
        default=None,
        # INVEST_API_METRICS_DIR arrives under its field name; PROMETHEUS_MULTIPROC_DIR by _PrometheusDir.
        validation_alias=AliasChoices("metrics_dir", PROMETHEUS_DIR),
        description="prometheus-client's multiprocess folder (``invest serve`` sets it for its workers).",
    )
    max_concurrent_requests: int = Field(
        default=256,
        ge=1,
        description="Requests in progress per worker; more -> 503 with Retry-After (/health and /metrics "
        "exempt).",
    )

    @field_validator("api_keys", "admin_api_keys", "cors_origins", mode="before")
    @classmethod
    def _split(cls, v: object) -> object:
        if isinstance(v, str):
            return [s.strip() for s in v.split(",") if s.strip()]
        return v

    def _parent(self) -> Settings:
        """The project settings this branch hangs off (``Settings.api``); a branch built on its own
        (tests, embedders) takes the process's."""
        return self._project if self._project is not None else get_settings()

    def resolved_model_name(self) -> str:
        return self.model_name or self._parent().model_name

    def resolved_tracking_uri(self) -> str:
        return self.tracking_uri or self._parent().mlflow_uri

    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or self._parent().data_dir / "api_cache"

    def resolved_warehouse(self) -> Path:
        return self.warehouse_path or self._parent().warehouse

    def resolved_written_dir(self, name: str) -> Path:
        """Where a command wrote the files the API serves (``scorecards``, ``profiles``)."""
        configured = getattr(self, f"{name}_dir")
        return Path(configured) if configured is not None else self._parent().reports_dir / name


class _PrometheusDir(PydanticBaseSettingsSource):
    """prometheus-client's own variable, read as ``api.metrics_dir`` (below ``INVEST_API_METRICS_DIR``)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[object, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, object]:
        value = os.environ.get(PROMETHEUS_DIR)
        return {"api": {PROMETHEUS_DIR: value}} if value else {}


class Settings(BaseSettings):
    """The one settings class: every ``INVEST_*`` variable, the API's ``INVEST_API_*`` in ``.api``."""

    # ``INVEST_API_<FIELD>`` fills ``api.<field>``: the nested delimiter "_" splits once after the field
    # name ``api`` (max split 1), so field names keep their underscores (INVEST_API_POLL_SECONDS).
    model_config = SettingsConfigDict(
        env_prefix="INVEST_", extra="ignore", env_nested_delimiter="_", env_nested_max_split=1
    )

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
    api: ApiSettings = Field(default_factory=ApiSettings, description="The API's settings (INVEST_API_*).")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """pydantic-settings' order (arguments, environment, .env, secrets), then PROMETHEUS_MULTIPROC_DIR."""
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            file_secret_settings,
            _PrometheusDir(settings_cls),
        )

    @model_validator(mode="after")
    def _adopt_api(self) -> Settings:
        self.api._project = self  # the API's defaults (tracking URI, data dir ...) come from this tree
        return self

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

    @property
    def scorecards_dir(self) -> Path:
        """Where `invest scorecards` writes (and the API and `invest clusters`/`models` read) them."""
        return self.reports_dir / "scorecards"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


# ---- the environment beyond the settings fields ------------------------------------------------------------
def set_environment(values: Mapping[str, str], *, only_if_unset: bool = False) -> None:
    """Put variables into this process's environment, for what reads it outside our settings: uvicorn's
    worker processes (which start fresh and rebuild ``Settings``), prometheus-client and MLflow."""
    for key, value in values.items():
        if only_if_unset:
            os.environ.setdefault(key, value)
        else:
            os.environ[key] = value
    get_settings.cache_clear()  # the next read sees them


@contextmanager
def environment_restored(keys: tuple[str, ...]) -> Iterator[None]:
    """Put ``keys`` back as they were after the block (MLflow's URI setters write the environment)."""
    saved = {k: os.environ.get(k) for k in keys}
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
