"""Bounded connections: idle and header-trickling sockets are closed, the connection cap makes room, and
``/health`` answers throughout (a real ``invest serve`` on loopback for the slow tests)."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import httpx
import pytest
from bundle_tiny import tiny_contents
from svc_server import serve

from forecasting.registry.store import save_contents
from service.connections import ConcurrencyLimitMiddleware


def _open_idle(base: str, n: int) -> list[socket.socket]:
    host, port = base.removeprefix("http://").split(":")
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, int(port)), timeout=5)
        socks.append(s)
    return socks


def _closed_by_server(s: socket.socket) -> bool:
    """True once the server has closed its end (EOF or reset, or a 503/431 answer then EOF)."""
    s.setblocking(False)
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return save_contents(tiny_contents(), tmp_path / "bundle")


def _env(tmp_path: Path, **limits: str) -> dict[str, str]:
    return {"INVEST_DATA_DIR": str(tmp_path), "INVEST_API_POLL_SECONDS": "0", **limits}


@pytest.mark.slow
def test_idle_sockets_are_closed_and_health_answers(tmp_path: Path, bundle: Path) -> None:
    env = _env(tmp_path, INVEST_API_HEADER_TIMEOUT_SECONDS="2")
    with serve(env, "--bundle", str(bundle)) as base:
        socks = _open_idle(base, 500)
        trickler = _open_idle(base, 1)[0]
        trickler.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
        try:
            r = httpx.get(f"{base}/health", timeout=10)
            assert r.status_code == 200 and r.json()["status"] == "ok"
            deadline = time.monotonic() + 30  # generous: the timeout is 2 s
            open_ = [s for s in socks if not _closed_by_server(s)]
            while open_ and time.monotonic() < deadline:
                time.sleep(0.5)
                open_ = [s for s in open_ if not _closed_by_server(s)]
            assert not open_, f"{len(open_)} of 500 idle sockets still open after 30 s"
            assert _closed_by_server(trickler), "a header-trickling socket outlived the header timeout"
            assert httpx.get(f"{base}/health", timeout=10).status_code == 200
        finally:
            for s in [*socks, trickler]:
                s.close()


@pytest.mark.slow
def test_connection_cap_closes_the_longest_idle_and_keeps_serving(tmp_path: Path, bundle: Path) -> None:
    env = _env(tmp_path, INVEST_API_MAX_CONNECTIONS="50", INVEST_API_HEADER_TIMEOUT_SECONDS="60")
    with serve(env, "--bundle", str(bundle)) as base:
        socks = _open_idle(base, 200)
        try:
            time.sleep(1)
            r = httpx.get(f"{base}/health", timeout=10)  # makes room by closing an idle socket
            assert r.status_code == 200
            time.sleep(0.5)
            closed = [s for s in socks if _closed_by_server(s)]
            assert len(closed) >= 150, f"only {len(closed)} of 200 idle sockets closed with a cap of 50"
            assert not any(_closed_by_server(s) for s in socks[-40:])  # the newest ones were kept
        finally:
            for s in socks:
                s.close()


@pytest.mark.slow
def test_oversized_headers_get_431(tmp_path: Path, bundle: Path) -> None:
    with serve(_env(tmp_path, INVEST_API_MAX_HEADER_BYTES="2048"), "--bundle", str(bundle)) as base:
        r = httpx.get(f"{base}/health", headers={f"x-pad-{i}": "a" * 100 for i in range(40)}, timeout=10)
        assert r.status_code == 431
        assert httpx.get(f"{base}/health", timeout=10).status_code == 200


def test_concurrency_limit_answers_503_and_exempts_health() -> None:
    release = asyncio.Event()

    async def slow_app(scope: dict, receive: object, send: object) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]

    limited = ConcurrencyLimitMiddleware(slow_app, max_requests=2)  # type: ignore[arg-type]

    async def call(path: str) -> int:
        sent: list[dict] = []

        async def send(m: dict) -> None:
            sent.append(m)

        await limited({"type": "http", "path": path}, None, send)  # type: ignore[arg-type]
        return sent[0]["status"]

    async def scenario() -> list[int]:
        first = [asyncio.create_task(call("/v1/forecasts")) for _ in range(2)]
        await asyncio.sleep(0)
        refused = await call("/v1/series")
        health = asyncio.create_task(call("/health"))
        await asyncio.sleep(0)
        release.set()
        statuses = [*(await asyncio.gather(*first)), refused, await health]
        assert limited.in_progress == 0
        return statuses

    assert asyncio.run(scenario()) == [200, 200, 503, 200]
