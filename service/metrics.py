"""Request counts and latencies in Prometheus text format, plus the request-body limit.

Why pure ASGI middleware (not ``BaseHTTPMiddleware``): it adds microseconds, not a task per request.
Counters live per process (one uvicorn worker = one series of counters); labels use the route template,
so unknown paths cannot blow up cardinality.
"""

from __future__ import annotations

import bisect
import json
import time
from collections import defaultdict
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Registry:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], int] = defaultdict(int)
        self.hist: dict[tuple[str, str], list[float]] = {}  # bucket counts..., sum, count

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.counts[(method, route, str(status))] += 1
        h = self.hist.get((method, route))
        if h is None:
            h = self.hist[(method, route)] = [0.0] * (len(BUCKETS) + 2)
        h[bisect.bisect_left(BUCKETS, seconds)] += 1  # non-cumulative here, cumulated on render
        h[-2] += seconds
        h[-1] += 1

    def render(self, extra: str = "") -> str:
        out = [
            "# HELP invest_api_requests_total HTTP requests by method, route template and status.",
            "# TYPE invest_api_requests_total counter",
        ]
        for (m, r, s), n in sorted(self.counts.items()):
            out.append(f'invest_api_requests_total{{method="{m}",route="{_esc(r)}",status="{s}"}} {n}')
        out += [
            "# HELP invest_api_request_duration_seconds Request latency.",
            "# TYPE invest_api_request_duration_seconds histogram",
        ]
        for (m, r), h in sorted(self.hist.items()):
            labels = f'method="{m}",route="{_esc(r)}"'
            cum = 0.0
            for b, n in zip(BUCKETS, h, strict=False):
                cum += n
                out.append(f'invest_api_request_duration_seconds_bucket{{{labels},le="{b}"}} {cum:g}')
            out.append(f'invest_api_request_duration_seconds_bucket{{{labels},le="+Inf"}} {h[-1]:g}')
            out.append(f"invest_api_request_duration_seconds_sum{{{labels}}} {h[-2]:.6f}")
            out.append(f"invest_api_request_duration_seconds_count{{{labels}}} {h[-1]:g}")
        return "\n".join(out) + "\n" + extra


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, registry: Registry) -> None:
        self.app = app
        self.registry = registry

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
            self.registry.observe(scope["method"], route, status, time.perf_counter() - t0)


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
