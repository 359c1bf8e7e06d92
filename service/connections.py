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


class WaitingConnections:
    """The connections of one server waiting for request headers, oldest first, with one timer for all.

    Why one timer: every waiting connection gets the same timeout from when it starts waiting, so the
    order they start in is the order they expire in. One timer at the oldest deadline closes the expired
    ones from the front in O(expired); a timer per connection costs a timer made and cancelled for each of
    the thousands of connections a flood opens. Expiries are gathered ``TICK`` seconds at a time (one
    wake-up closes a batch), and at most ``BATCH`` are closed per pass so accepting new connections (a
    ``/health`` probe among them) is not held up behind a burst of closes.
    """

    TICK: ClassVar[float] = 0.1
    BATCH: ClassVar[int] = 256

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self._loop = loop
        self._timeout = timeout
        self._deadlines: OrderedDict[BoundedHTTPProtocol, float] = OrderedDict()
        self._timer: asyncio.Handle | None = None

    def __len__(self) -> int:
        return len(self._deadlines)

    def __contains__(self, conn: object) -> bool:
        return conn in self._deadlines

    def add(self, conn: BoundedHTTPProtocol) -> None:
        """Start (or restart) ``conn``'s wait: it expires ``timeout`` seconds from now, after all others."""
        self._deadlines.pop(conn, None)
        deadline = self._loop.time() + self._timeout
        self._deadlines[conn] = deadline
        if self._timer is None:
            self._timer = self._loop.call_at(deadline + self.TICK, self._sweep)

    def discard(self, conn: BoundedHTTPProtocol) -> None:
        """Stop ``conn``'s wait (its request began, or it closed); the timer finds the next oldest itself."""
        self._deadlines.pop(conn, None)

    def oldest(self, exclude: BoundedHTTPProtocol) -> BoundedHTTPProtocol | None:
        """The connection that has waited longest, other than ``exclude``; None if there is none."""
        for conn in self._deadlines:
            if conn is not exclude:
                return conn
        return None

    def _sweep(self) -> None:
        self._timer = None
        now = self._loop.time()
        closed = 0
        while self._deadlines:
            conn, deadline = next(iter(self._deadlines.items()))
            if deadline > now:
                self._timer = self._loop.call_at(deadline + self.TICK, self._sweep)
                return
            if closed == self.BATCH:  # the rest after the loop has polled for I/O once
                self._timer = self._loop.call_soon(self._sweep)
                return
            del self._deadlines[conn]
            conn.header_timed_out()
            closed += 1


class BoundedHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol (httptools, else h11) with the bounds of this module's docstring.

    A connection is *waiting* while no request is in progress (just opened, or its last response sent).
    Waiting connections are kept oldest first per server (``WaitingConnections``), so one timer closes
    those past the header timeout and the connection cap closes the longest idle.
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
            waiting = WaitingConnections(self.loop, self._limits.header_timeout)
            self.server_state.invest_waiting = waiting  # type: ignore[attr-defined]
        self._waiting: WaitingConnections = waiting
        self._header_bytes = 0

    # ---- waiting state --------------------------------------------------------------------------------
    def _in_request(self) -> bool:
        cycle = self.cycle
        return cycle is not None and not cycle.response_complete

    def _start_waiting(self) -> None:
        self._header_bytes = 0
        self._waiting.add(self)

    def _stop_waiting(self) -> None:
        self._waiting.discard(self)

    def header_timed_out(self) -> None:
        """Called by ``WaitingConnections`` (which has dropped this one) once the header timeout passed."""
        if not self._in_request() and not self.transport.is_closing():
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
        other = self._waiting.oldest(exclude=self)
        if other is None:
            return False
        other._stop_waiting()
        other.transport.close()
        other.connections.discard(other)
        return True

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
