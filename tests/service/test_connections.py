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
from service.connections import ConcurrencyLimitMiddleware, WaitingConnections


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


class _Clock:
    """A loop stand-in for ``WaitingConnections``: a settable clock and the calls it was asked to make."""

    def __init__(self) -> None:
        self.now = 0.0
        self.scheduled: list[tuple[float, object]] = []  # (when, callback); when is -1 for call_soon

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: object) -> object:
        self.scheduled.append((when, callback))
        return object()

    def call_soon(self, callback: object) -> object:
        self.scheduled.append((-1.0, callback))
        return object()

    def fire(self) -> None:
        """Run the one pending call (advancing the clock to it), as the event loop would."""
        assert len(self.scheduled) == 1, f"expected one timer, got {len(self.scheduled)}"
        when, callback = self.scheduled.pop()
        self.now = max(self.now, when)
        callback()  # type: ignore[operator]


class _Conn:
    def __init__(self, name: str, closed: list[str]) -> None:
        self.name, self.closed = name, closed

    def header_timed_out(self) -> None:
        self.closed.append(self.name)


def test_waiting_connections_share_one_timer_and_expire_oldest_first() -> None:
    clock, closed = _Clock(), []
    waiting = WaitingConnections(clock, timeout=10)  # type: ignore[arg-type]
    a, b, c, d = (_Conn(n, closed) for n in "abcd")
    for conn in (a, b, c):
        waiting.add(conn)  # type: ignore[arg-type]
        clock.now += 1
    assert len(clock.scheduled) == 1 and clock.scheduled[0][0] == 10 + WaitingConnections.TICK
    waiting.discard(b)  # its request began
    waiting.add(a)  # a answered and waits again: now the newest, expiring at 13
    waiting.add(d)  # d: 13 too, after a
    assert waiting.oldest(exclude=c) is a and waiting.oldest(exclude=a) is c  # type: ignore[arg-type]
    clock.fire()  # at 10.1: nothing is due yet (b left, c is due at 12): re-armed for c
    assert closed == [] and clock.scheduled[0][0] == 12 + WaitingConnections.TICK
    clock.fire()
    assert closed == ["c"] and len(waiting) == 2 and c not in waiting
    clock.fire()
    assert closed == ["c", "a", "d"] and len(waiting) == 0 and clock.scheduled == []
    waiting.add(b)  # an empty set's next arrival arms the timer again
    assert len(clock.scheduled) == 1


def test_waiting_connections_close_a_burst_in_batches() -> None:
    clock, closed = _Clock(), []
    waiting = WaitingConnections(clock, timeout=1)  # type: ignore[arg-type]
    n = WaitingConnections.BATCH * 2 + 3
    for i in range(n):
        waiting.add(_Conn(str(i), closed))  # type: ignore[arg-type]
    clock.fire()
    assert len(closed) == WaitingConnections.BATCH and clock.scheduled[0][0] == -1  # the rest: call_soon
    clock.fire()
    clock.fire()
    assert closed == [str(i) for i in range(n)] and clock.scheduled == []


def _read_response(s: socket.socket) -> bytes:
    """One whole response (head and a ``content-length`` body) from a keep-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += s.recv(65536)
    return head + b"\r\n\r\n" + body


@pytest.mark.slow
def test_header_timeout_restarts_after_each_response(tmp_path: Path, bundle: Path) -> None:
    env = _env(tmp_path, INVEST_API_HEADER_TIMEOUT_SECONDS="2", INVEST_API_KEEP_ALIVE_SECONDS="60")
    with serve(env, "--bundle", str(bundle)) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as s:
            for _ in range(3):  # 3 x 1.5 s on one connection: longer than the timeout, never idle that long
                time.sleep(1.5)
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                assert _read_response(s).startswith(b"HTTP/1.1 200")
            deadline = time.monotonic() + 30  # then idle: closed once the timeout passes
            while not _closed_by_server(s) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert _closed_by_server(s)
