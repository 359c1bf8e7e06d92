"""FastAPI app factory: the forecast API over the champion bundle.

Add a resource by writing ``service/routers/<name>.py`` with a ``router`` and one ``include`` line below.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Security
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from forecasting.settings import ApiSettings, get_settings
from service.compression import CompressionMiddleware
from service.connections import BoundedHTTPProtocol, ConcurrencyLimitMiddleware, Limits
from service.deps import ServiceState, require_reader
from service.docs import PAGES, install_docs
from service.head import HeadAsGetMiddleware
from service.http import cache_control
from service.lifecycle import BundleSource, LoaderSource, ModelHolder
from service.metrics import BodyLimitMiddleware, MetricsMiddleware, ServiceMetrics
from service.routers import areas, clusters, compare, forecasts, health, models, scenarios, series, workbench
from service.routers import track_record as track_record_router
from service.security import SecurityHeadersMiddleware
from service.strict_json import finite_or_text

log = logging.getLogger("service")

DESCRIPTION = """Forecasts for Midlands investment series from the champion model bundle.

Every forecast carries provenance: model name, version and alias, run id, data vintage, the series'
sources, whether its data are synthetic, and the method chosen. Responses carry an `ETag` tied to the
model version (send it back in `If-None-Match` for a 304) and `Cache-Control`. Admin routes need an
`X-API-Key` admin key. Bodies must be standard JSON (no `NaN`/`Infinity`) and at most `max_body_bytes`.
"""
TAGS = [
    {"name": "forecasts", "description": "Point forecasts, quantiles and intervals with provenance."},
    {"name": "series", "description": "The series catalogue and observed history."},
    {"name": "models", "description": "The model served; admin reload."},
    {"name": "scenarios", "description": "Scenario projections against the baseline."},
    {"name": "clusters", "description": "The 25 Midlands cluster scorecards."},
    {"name": "operations", "description": "Health (public and admin) and Prometheus metrics."},
]
WORKBENCH = """

**Workbench**: a web page for analysts over these same routes is at [`/app`](/app)."""


def create_app(settings: ApiSettings | None = None, source: BundleSource | None = None) -> FastAPI:
    """Build the app; the model loads in the lifespan (never failing start-up: /health explains).

    Without ``settings`` this is the process entry (uvicorn's factory, in each worker): the one place in
    the service that reads the settings tree. The connection limits of ``invest serve``'s protocol come
    from the same settings."""
    settings = settings or get_settings().api
    BoundedHTTPProtocol.configure(Limits.from_settings(settings))
    holder = ModelHolder(source or LoaderSource(settings), auto_reload=settings.auto_reload)
    metrics = ServiceMetrics(settings.metrics_dir)
    holder.listeners.append(metrics.update_model)

    async def poll() -> None:
        while True:
            await asyncio.sleep(settings.poll_seconds)
            if await run_in_threadpool(holder.refresh):
                log.info("alias moved: now serving %s", holder.model.key if holder.model else None)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(holder.try_load)
        poller = asyncio.create_task(poll()) if settings.poll_seconds > 0 else None
        log.info(
            "forecast API started: %s",
            holder.reason or f"serving {holder.model.key if holder.model else None}",
        )
        yield
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        metrics.close()

    app = FastAPI(
        title="Midlands investment forecasts API",
        version="1",
        description=DESCRIPTION + WORKBENCH,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # self-hosted below: the default pages load their assets from a CDN
        redoc_url=None,
    )
    app.state.service = ServiceState(
        settings=settings, holder=holder, metrics=metrics, cache_control=cache_control(settings.cache_max_age)
    )

    reader = [Security(require_reader)] if settings.api_keys else []
    app.include_router(forecasts.router, dependencies=reader)  # first: the hot path matches soonest
    app.include_router(series.router, dependencies=reader)
    app.include_router(models.router, dependencies=reader)
    app.include_router(scenarios.router, dependencies=reader)
    app.include_router(clusters.router, dependencies=reader)
    app.include_router(areas.router, dependencies=reader)
    app.include_router(compare.router, dependencies=reader)  # after forecasts: the hot path is untouched
    app.include_router(track_record_router.router, dependencies=reader)
    app.include_router(workbench.router, dependencies=reader)
    app.include_router(workbench.pages)
    app.include_router(health.router)
    install_docs(app)
    workbench.install_workbench(app)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's 422 body, made safe to serialise whatever the input was (a 422 must never be a 500)."""
        errors = [{**e, "input": finite_or_text(e.get("input"))} for e in exc.errors()]
        return JSONResponse({"detail": finite_or_text(jsonable_encoder(errors))}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": f"internal error ({type(exc).__name__})"}, status_code=500)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "If-None-Match", "Content-Type"],
            expose_headers=["ETag"],
        )
    # gzip inside HEAD handling, so HEAD gets GET's headers (Content-Encoding, Content-Length, weak ETag)
    app.add_middleware(CompressionMiddleware, minimum_size=settings.gzip_min_bytes)
    app.add_middleware(HeadAsGetMiddleware)  # HEAD = GET without the body, on every GET route
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware, own_csp=PAGES | workbench.PAGES)
    app.add_middleware(ConcurrencyLimitMiddleware, max_requests=settings.max_concurrent_requests)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app
