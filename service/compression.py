"""gzip for the API's larger text answers (JSON, CSV, the page's scripts and styles), as the client asks.

Why: the catalogue pages, search results, scorecards and CSV exports are hundreds of kilobytes of very
repetitive text; gzip takes them to a fifth or less on the wire. Small answers (the hot forecast path's
typical body) stay as they are below ``minimum_size``: compressing them costs more than it saves.

How it stays correct:
- ``Accept-Encoding`` is read with its q-values: ``gzip;q=0`` or ``identity`` only means no compression,
  ``*`` counts for gzip unless gzip itself is refused;
- a compressed answer's ``ETag`` becomes weak (``W/"…"``: the bytes differ from the identity answer's, RFC
  9110 §8.8.1), and a 304 sent to a client that accepts gzip carries the same weak form; ``If-None-Match``
  compares weakly (RFC 9110 §13.1.2), so the routes' own 304 checks match either form;
- every answer that could be compressed says ``Vary: Accept-Encoding`` (compressed or not), so a shared
  cache never hands gzip to a client that did not ask for it;
- answers that already carry a ``Content-Encoding`` (the pre-compressed plotly.js), partial content, and
  binary types (PDF, PNG) pass untouched; HEAD gets GET's headers (this runs inside ``HeadAsGetMiddleware``).

brotli would save a little more, but needs a compiled extension: gzip is in the standard library and every
browser and HTTP client speaks it.
"""

from __future__ import annotations

import zlib

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COMPRESSIBLE = (
    b"application/json",
    b"application/problem+json",
    b"text/",
    b"application/javascript",
    b"image/svg+xml",
    b"application/xml",
)
THREAD_BYTES = 256 * 1024  # bigger bodies are compressed off the event loop


def accepts_gzip(header: bytes | None) -> bool:
    """True when ``Accept-Encoding`` allows gzip: listed with q > 0, or ``*`` with q > 0 and gzip not refused."""
    if not header:
        return False
    gzip_q: float | None = None
    star_q: float | None = None
    for part in header.split(b","):
        name, _, params = part.strip().partition(b";")
        q = 1.0
        for p in params.split(b";"):
            k, _, v = p.strip().partition(b"=")
            if k.strip().lower() == b"q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        token = name.strip().lower()
        if token in (b"gzip", b"x-gzip"):
            gzip_q = q
        elif token == b"*":
            star_q = q
    if gzip_q is not None:
        return gzip_q > 0
    return star_q is not None and star_q > 0


def _weak(etag: bytes) -> bytes:
    return etag if etag.startswith(b"W/") else b"W/" + etag


def _compressible(content_type: bytes) -> bool:
    ct = content_type.split(b";")[0].strip().lower()
    return any(ct.startswith(c) for c in COMPRESSIBLE)


class CompressionMiddleware:
    """gzip a response body of a compressible type once it reaches ``minimum_size`` bytes."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1400, level: int = 6) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.level = level

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == b"accept-encoding"), None)
        gzip_ok = accepts_gzip(header)
        start: Message | None = None
        eligible = False
        compressor: zlib._Compress | None = None
        passthrough = False

        async def wrapped(message: Message) -> None:
            nonlocal start, eligible, compressor, passthrough
            kind = message["type"]
            if kind == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {k.lower() for k, _ in headers}
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                status = message["status"]
                if status == 304 and gzip_ok:
                    message["headers"] = [(k, _weak(v) if k.lower() == b"etag" else v) for k, v in headers]
                    message["headers"].append((b"vary", b"Accept-Encoding"))
                    await send(message)
                    passthrough = True
                    return
                eligible = (
                    status not in (204, 206, 304)
                    and b"content-encoding" not in names
                    and _compressible(ctype)
                )
                if not eligible:
                    passthrough = True
                    await send(message)
                    return
                message["headers"] = _vary(headers)
                start = message
                return
            if passthrough or kind != "http.response.body":
                if start is not None and kind != "http.response.body":
                    await send(start)
                    start = None
                await send(message)
                return
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if start is not None:  # the first body message decides
                first, start = start, None
                if not gzip_ok or (not more and len(body) < self.minimum_size):
                    passthrough = True
                    await send(first)
                    await send(message)
                    return
                compressor = zlib.compressobj(self.level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                headers = [
                    (k, _weak(v) if k.lower() == b"etag" else v)
                    for k, v in first["headers"]
                    if k.lower() != b"content-length"
                ]
                headers.append((b"content-encoding", b"gzip"))
                data = await self._compress(compressor, body, more)
                if not more:
                    headers.append((b"content-length", str(len(data)).encode()))
                first["headers"] = headers
                await send(first)
                await send({"type": "http.response.body", "body": data, "more_body": more})
                return
            assert compressor is not None
            data = await self._compress(compressor, body, more)
            await send({"type": "http.response.body", "body": data, "more_body": more})

        await self.app(scope, receive, wrapped)

    async def _compress(self, compressor: zlib._Compress, body: bytes, more: bool) -> bytes:
        def run() -> bytes:
            out = compressor.compress(body)
            return out + compressor.flush(zlib.Z_SYNC_FLUSH if more else zlib.Z_FINISH)

        if len(body) >= THREAD_BYTES:
            return await run_in_threadpool(run)
        return run()


def _vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Add Accept-Encoding to Vary (once)."""
    for i, (k, v) in enumerate(headers):
        if k.lower() == b"vary":
            if b"accept-encoding" in v.lower() or v.strip() == b"*":
                return headers
            return [*headers[:i], (k, v + b", Accept-Encoding"), *headers[i + 1 :]]
    return [*headers, (b"vary", b"Accept-Encoding")]
