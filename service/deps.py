"""Typed request dependencies: every route gets the app's state through these ``Annotated`` aliases.

Why one module: routes used to fish state out of ``request.app.state`` with ``getattr`` (untyped, and a
typo is a 500 at run time). Here each piece of state has one typed accessor, and auth is a dependency whose
result (the caller) a route can name. The aliases follow FastAPI's full-stack template
(``SessionDep``, ``CurrentUser``): ``SettingsDep``, ``HolderDep``, ``ModelDep``, ``AdminDep``, ``ReaderDep``.

Every dependency is ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in the threadpool,
which would cost the hot path a thread hop per request.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from forecasting.scenarios.project import ScenarioEngine
from forecasting.settings import ApiSettings
from service.documents import DocumentCache, WrittenDir
from service.lifecycle import ModelHolder
from service.metrics import ServiceMetrics
from service.other_versions import OtherVersions
from service.served import ServedModel

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="API key (admin routes need an admin key)."
)


@dataclass
class ServiceState:
    """Everything the routes share, stored once on ``app.state.service`` by ``create_app``."""

    settings: ApiSettings
    holder: ModelHolder
    metrics: ServiceMetrics
    cache_control: str
    documents: DocumentCache = field(default_factory=DocumentCache)  # what commands wrote, parsed once


def service_state(request: Request) -> ServiceState:
    """The app's typed state (plain function: response helpers call it inline on the hot path)."""
    return request.app.state.service


async def get_state(request: Request) -> ServiceState:
    return service_state(request)


async def get_settings(request: Request) -> ApiSettings:
    return service_state(request).settings


async def get_holder(request: Request) -> ModelHolder:
    return service_state(request).holder


def no_model(holder: ModelHolder) -> HTTPException:
    """503 in plain words (never paths, SQL or exception text: those are on the admin health route)."""
    return HTTPException(
        503,
        detail=f"no forecast model is loaded: {holder.problem_text()}",
        headers={"Retry-After": "30"},
    )


async def get_model(request: Request) -> ServedModel:
    """The model for this whole request (one reference: a concurrent reload cannot change it mid-way)."""
    holder = service_state(request).holder
    model = holder.model
    if model is None:
        raise no_model(holder)
    return model


def scenario_engine(m: ServedModel) -> ScenarioEngine:
    """The model's scenario engine, built on first use and kept with the model (dropped on reload)."""
    contents = m.contents
    if contents is None:
        raise HTTPException(503, detail="the served model does not carry the bundle tables scenarios need")
    return m.state.get("scenario_engine", lambda: ScenarioEngine(contents))


def get_scenario_engine(m: Annotated[ServedModel, Depends(get_model)]) -> ScenarioEngine:
    """Plain ``def`` on purpose: the first use builds the engine (CPU), which belongs in the threadpool."""
    return scenario_engine(m)


def get_other_versions(request: Request, m: Annotated[ServedModel, Depends(get_model)]) -> OtherVersions:
    """The served model's view of the other registered versions (its bounded cache goes with the model)."""
    source = service_state(request).holder.source
    return m.state.get("other_versions", lambda: OtherVersions(source))


def _written_dir(request: Request, name: str) -> Path:
    """Where a command wrote files the API serves: the settings' ``<name>_dir`` (tests and embedders set
    ``app.state.service.settings.<name>_dir``), else ``<data_dir>/reports/<name>``."""
    return service_state(request).settings.resolved_written_dir(name)


async def get_scorecards_dir(request: Request) -> WrittenDir:
    """Where `invest scorecards` wrote its files (``reports/scorecards`` unless overridden)."""
    return WrittenDir(_written_dir(request, "scorecards"), service_state(request).documents)


async def get_profiles_dir(request: Request) -> WrittenDir:
    """Where `invest profiles` wrote its files (``reports/profiles`` unless overridden)."""
    return WrittenDir(_written_dir(request, "profiles"), service_state(request).documents)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the role their key grants and a short, non-reversible key id for logs."""

    role: Literal["admin", "reader", "anonymous"]
    key_id: str | None = None


def _key_ok(key: str, keys: Sequence[str]) -> bool:
    return any(hmac.compare_digest(key.encode(), k.encode()) for k in keys)


def _key_id(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=4).hexdigest()


async def require_admin(request: Request, key: str | None = Security(api_key_header)) -> Caller:
    """401 without a key, 403 with a key that is not an admin key (or when none is configured)."""
    if not key:
        raise HTTPException(
            401, detail="admin API key required (X-API-Key header)", headers={"WWW-Authenticate": "ApiKey"}
        )
    if not _key_ok(key, service_state(request).settings.admin_api_keys):
        raise HTTPException(403, detail="this API key is not allowed to use admin routes")
    return Caller("admin", _key_id(key))


async def require_reader(request: Request, key: str | None = Security(api_key_header)) -> Caller:
    """Mounted on the /v1 routers only when read keys are configured (an open API pays nothing)."""
    s = service_state(request).settings
    if not key:
        raise HTTPException(
            401, detail="API key required (X-API-Key header)", headers={"WWW-Authenticate": "ApiKey"}
        )
    if _key_ok(key, s.admin_api_keys):
        return Caller("admin", _key_id(key))
    if not _key_ok(key, s.api_keys):
        raise HTTPException(403, detail="unknown API key")
    return Caller("reader", _key_id(key))


StateDep = Annotated[ServiceState, Depends(get_state)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
HolderDep = Annotated[ModelHolder, Depends(get_holder)]
ModelDep = Annotated[ServedModel, Depends(get_model)]
ScenarioEngineDep = Annotated[ScenarioEngine, Depends(get_scenario_engine)]
OtherVersionsDep = Annotated[OtherVersions, Depends(get_other_versions)]
ScorecardsDirDep = Annotated[WrittenDir, Depends(get_scorecards_dir)]
ProfilesDirDep = Annotated[WrittenDir, Depends(get_profiles_dir)]
AdminDep = Annotated[Caller, Security(require_admin)]
ReaderDep = Annotated[Caller, Security(require_reader)]
