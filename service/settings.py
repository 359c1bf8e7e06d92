"""Typed API settings (``INVEST_API_*`` env vars).

Why separate from ``forecasting.settings``: the API has its own knobs (keys, limits, CORS) and is often
deployed apart from training; shared things (tracking URI, model name, data dir) default to the
project settings so one environment configures both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from forecasting.settings import get_settings

CsvList = Annotated[list[str], NoDecode]


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INVEST_API_", extra="ignore")

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

    def resolved_model_name(self) -> str:
        return self.model_name or get_settings().model_name

    def resolved_tracking_uri(self) -> str:
        return self.tracking_uri or get_settings().mlflow_uri

    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or get_settings().data_dir / "api_cache"

    def resolved_warehouse(self) -> Path:
        return self.warehouse_path or get_settings().warehouse
