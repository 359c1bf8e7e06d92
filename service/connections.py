"""Bounded connections for ``invest serve``: header timeout, header size cap, connection cap, request cap.

Why: uvicorn times out a connection only *after* a response (keep-alive); a client that connects and sends
nothing, or trickles a header byte at a time, holds a socket and a file descriptor forever. Twenty thousand
of them exhausted the process's descriptors and every ``/health`` failed. Here every connection must
complete its request headers within ``header_timeout`` seconds of opening (or of its previous response),
in at most ``max_header_bytes``; past ``max_connections`` open sockets the connection that has waited
longest without a request is closed to make room (a busy server answers a clean 503 instead); and past
``max_concurrent_requests`` requests in progress the app answers 503 with ``Retry-After`` (``/health``
and ``/metrics`` exempt, so monitoring still sees the server).

The protocol class is a module-level name (``uvicorn --workers N`` passes it to each worker process by
name); it reads its limits once per process from ``ApiSettings`` (``INVEST_API_*``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, ClassVar

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from forecasting.settings import ApiSettings

log = logging.getLogger("service.connections")

# Paths never refused for load: monitoring must see an overloaded server as up.
EXEMPT_PATHS = frozenset({"/health", "/metrics"})


# Descriptors kept for everything but client sockets (the store, the warehouse, logs, metrics files).
FD_RESERVE = 256


def fd_limit() -> int | None:
    """This process's soft open-file limit (``invest serve`` raises it to the hard limit first)."""
    try:
        import resource
    except ImportError:  # not POSIX
        return None
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return None if soft == resource.RLIM_INFINITY else int(soft)


@dataclass(frozen=True)
class Limits:
    header_timeout: float
    max_header_bytes: int
    max_connections: int
    keep_alive: int = 5

    @classmethod
    def from_settings(cls, s: ApiSettings) -> Limits:
        """The settings, with the connection cap kept below the descriptor limit (else accept fails)."""
        cap = s.max_connections
        fds = fd_limit()
        if fds is not None and cap > fds - FD_RESERVE:
            cap = max(fds - FD_RESERVE, 1)
            log.warning(
                "max_connections %d exceeds what %d file descriptors allow: using %d",
                s.max_connections,
                fds,
                cap,
            )
        return cls(s.header_timeout_seconds, s.max_header_bytes, cap, s.keep_alive_seconds)


def _raw_response(status: str, message: str, retry_after: int | None = None) -> bytes:
    body = json.dumps({"detail": message}).encode()
    head = [
        f"HTTP/1.1 {status}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
    ]
    if retry_after is not None:
        head.append(f"retry-after: {retry_after}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class BoundedHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol (httptools, else h11) with the bounds of this module's docstring.

    A connection is *waiting* while no request is in progress (just opened, or its last response sent).
    Waiting connections are kept oldest first per server, so the connection cap closes the longest idle.
    """

    limits: ClassVar[Limits | None] = None

    @classmethod
    def configure(cls, limits: Limits) -> None:
        """Set the limits for this process (``create_app`` does, from its ``ApiSettings``; tests)."""
        cls.limits = limits

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if BoundedHTTPProtocol.limits is None:
            BoundedHTTPProtocol.limits = Limits.from_settings(ApiSettings())  # no app configured it: defaults
        self._limits = BoundedHTTPProtocol.limits
        self.timeout_keep_alive = self._limits.keep_alive  # uvicorn's own keep-alive timer, from our settings
        waiting = getattr(self.server_state, "invest_waiting", None)
        if waiting is None:
            waiting = OrderedDict()
            self.server_state.invest_waiting = waiting  # type: ignore[attr-defined]
        self._waiting: OrderedDict[BoundedHTTPProtocol, None] = waiting
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0

    # ---- waiting state --------------------------------------------------------------------------------
    def _in_request(self) -> bool:
        cycle = self.cycle
        return cycle is not None and not cycle.response_complete

    def _start_waiting(self) -> None:
        self._header_bytes = 0
        self._waiting[self] = None
        self._waiting.move_to_end(self)
        if self._header_timer is not None:
            self._header_timer.cancel()
        self._header_timer = self.loop.call_later(self._limits.header_timeout, self._header_timeout)

    def _stop_waiting(self) -> None:
        self._waiting.pop(self, None)
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if not self._in_request() and not self.transport.is_closing():
            self._waiting.pop(self, None)
            self.transport.close()

    # ---- protocol interface ---------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self._limits.max_connections and not self._evict_one():
            log.warning(
                "connection limit %d reached with every connection busy", self._limits.max_connections
            )
            self.connections.discard(self)
            transport.write(
                _raw_response(
                    "503 Service Unavailable",
                    f"server busy: {self._limits.max_connections} connections open; retry shortly",
                    retry_after=1,
                )
            )
            transport.close()
            return
        self._start_waiting()

    def _evict_one(self) -> bool:
        """Close the connection that has waited longest without a request; False if none is waiting."""
        for other in self._waiting:
            if other is not self:
                self._waiting.pop(other, None)
                other._stop_waiting()
                other.transport.close()
                other.connections.discard(other)
                return True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_request() or self.transport.is_closing():
            super().data_received(data)
            return
        end = data.find(b"\r\n\r\n")  # the bytes up to the end of the headers (a body is not counted)
        self._header_bytes += len(data) if end < 0 else end + 4
        if self._header_bytes > self._limits.max_header_bytes:
            self._stop_waiting()
            self.transport.write(
                _raw_response(
                    "431 Request Header Fields Too Large",
                    f"request headers larger than {self._limits.max_header_bytes} bytes",
                )
            )
            self.transport.close()
            return
        super().data_received(data)
        if self._in_request():  # the headers completed: a request is in progress
            self._stop_waiting()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self._in_request():
            self._start_waiting()


class ConcurrencyLimitMiddleware:
    """503 with ``Retry-After`` while ``max_requests`` requests are already in progress (per worker).

    Why in the app rather than uvicorn's ``--limit-concurrency``: uvicorn counts open *connections* too, so
    a few hundred idle keep-alive clients would turn every request into a 503.
    """

    def __init__(self, app: ASGIApp, max_requests: int) -> None:
        self.app = app
        self.max_requests = max_requests
        self.in_progress = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.max_requests:
            body = json.dumps(
                {"detail": f"server busy: {self.max_requests} requests in progress; retry shortly"}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"retry-after", b"1"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1
