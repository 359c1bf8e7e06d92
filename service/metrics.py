"""Prometheus metrics (prometheus-client) and the request-body limit.

Why prometheus-client in multiprocess mode: with ``invest serve --workers N`` every worker is a process
with its own counters, and a scrape reaches one of them, so hand-kept per-process counters undercounted by
about N times. ``invest serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before the workers
start; each worker then writes its values to memory-mapped files there and ``/metrics`` adds them all up
with ``MultiProcessCollector``. Without that variable (tests, embedding the app) the values stay in
memory, in a registry per app.

Why pure ASGI middleware (not ``BaseHTTPMiddleware``): it adds microseconds, not a task per request. Labels
use the route template, so unknown paths cannot blow up cardinality.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from service.lifecycle import ModelHolder

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def multiprocess_dir(configured: Path | str | None) -> str | None:
    """The shared metrics folder (``ApiSettings.metrics_dir``, i.e. ``PROMETHEUS_MULTIPROC_DIR``) when
    prometheus-client runs in multiprocess mode, else None."""
    # The value class is fixed when prometheus_client is first imported: the folder only counts if the
    # variable was set by then (``invest serve`` sets it before the app is imported).
    if configured and values.ValueClass is not values.MutexValue:
        return str(configured)
    return None


class ServiceMetrics:
    """The service's metrics: request counts and latencies, and what model each worker serves."""

    def __init__(self, metrics_dir: Path | str | None = None) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess_dir = multiprocess_dir(metrics_dir)
        r = self.registry
        self.requests = Counter(
            "invest_api_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.duration = Histogram(
            "invest_api_request_duration_seconds",
            "Request latency.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=r,
        )
        # Gauges say what each worker holds; in multiprocess mode they are combined across live workers.
        self.model_loaded = Gauge(
            "invest_api_model_loaded",
            "1 when a forecast model is loaded (the minimum over workers).",
            registry=r,
            multiprocess_mode="livemin",
        )
        self.degraded = Gauge(
            "invest_api_degraded",
            "1 when serving a cached bundle or an outdated champion (the maximum over workers).",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.champion_moved = Gauge(
            "invest_api_champion_moved",
            "1 when the alias points at another version than the one served (the maximum over workers).",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.model_info = Gauge(
            "invest_api_model_info",
            "The model served (1) by each worker; earlier models read 0.",
            ["name", "version", "data_vintage"],
            registry=r,
            multiprocess_mode="liveall",
        )
        self.series = Gauge(
            "invest_api_series",
            "Series in the model served (the maximum over workers).",
            registry=r,
            multiprocess_mode="livemax",
        )
        self._info_labels: tuple[str, str, str] | None = None
        # label lookups cost a lock and a tuple build: keep the children the hot path needs
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}
        self.model_loaded.set(0)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.requests.labels(method, route, str(status))
        counter.inc()
        hkey = (method, route)
        hist = self._histograms.get(hkey)
        if hist is None:
            hist = self._histograms[hkey] = self.duration.labels(method, route)
        hist.observe(seconds)

    def update_model(self, holder: ModelHolder) -> None:
        """Set the model gauges from the holder (called after every load and alias check)."""
        m = holder.model
        self.model_loaded.set(int(m is not None))
        self.degraded.set(int(holder.status == "degraded"))
        self.champion_moved.set(int(holder.champion_moved))
        self.series.set(len(m.series) if m is not None else 0)
        labels = (m.name, m.version or "", m.data_vintage or "") if m is not None else None
        if labels != self._info_labels:
            if self._info_labels is not None:  # multiprocess files cannot drop a label set: zero it
                self.model_info.labels(*self._info_labels).set(0)
            if labels is not None:
                self.model_info.labels(*labels).set(1)
            self._info_labels = labels

    def render(self) -> bytes:
        """Prometheus text: every worker's values added up in multiprocess mode, else this process's."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        combined = CollectorRegistry()
        MultiProcessCollector(combined, path=self.multiprocess_dir)
        return generate_latest(combined)

    def close(self) -> None:
        """At worker exit: drop this process's live gauges (its counters stay counted)."""
        if self.multiprocess_dir is not None:
            mark_process_dead(os.getpid(), self.multiprocess_dir)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe(scope["method"], route, status, time.perf_counter() - t0)


class BodyLimitMiddleware:
    """413 for a body over ``max_bytes`` (declared length checked up front, streamed length counted)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for k, v in scope["headers"]:
            if k == b"content-length":
                try:
                    too_big = int(v) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await _too_large(send, self.max_bytes)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:  # FastAPI re-raises an HTTPException from body reading as is
                raise HTTPException(413, detail=f"request body larger than {self.max_bytes} bytes")
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, send_wrapper)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            await _too_large(send, self.max_bytes)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body larger than {limit} bytes"}).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
