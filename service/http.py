"""Response helpers shared by routers: conditional responses (ETag/304), field errors, parameter checks.

State and auth come from ``service.deps``; these are plain functions called inline, so the precomputed
hot-path answers stay close to a bare endpoint.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Sequence

from fastapi import HTTPException, Request
from fastapi.responses import Response

from service.deps import service_state
from service.served import ServedModel

JSON = "application/json"


def etag_for(model: ServedModel, request: Request, extra: bytes = b"") -> str:
    """Strong ETag: model key (changes with every version) + the request's path, query and body."""
    scope = request.scope
    raw = scope["path"].encode() + b"?" + scope["query_string"] + b"|" + extra
    return f'"{model.key}-{hashlib.blake2b(raw, digest_size=8).hexdigest()}"'


def _if_none_match(request: Request) -> bytes | None:
    for k, v in request.scope["headers"]:  # raw scan: cheaper than building request.headers
        if k == b"if-none-match":
            return v
    return None


def _matches(header: bytes | None, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix(b"W/") for t in header.split(b",")]
    return b"*" in tags or etag.encode() in tags


def cache_control(max_age: int) -> str:
    return f"public, max-age={max_age}, must-revalidate"


class RawResponse(Response):
    """A response built from ready bytes and header pairs (skips Starlette's header assembly)."""

    def __init__(self, body: bytes, status_code: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status_code
        self.body = body
        self.background = None
        self.raw_headers = headers


def conditional(
    request: Request,
    model: ServedModel,
    body: Callable[[], bytes],
    media_type: str = JSON,
    extra: bytes = b"",
    check: bool = True,
    etag: str | None = None,
) -> Response:
    """304 when If-None-Match matches (GET only), else the body; both with ETag, Cache-Control and the
    model version. ``etag`` may be precomputed (content digest of a precomputed body)."""
    etag = etag or etag_for(model, request, extra)
    headers = _cache_headers(request, model, etag)
    if check and _matches(_if_none_match(request), etag):
        return RawResponse(b"", 304, headers)
    content = body()
    headers += [(b"content-type", media_type.encode()), (b"content-length", str(len(content)).encode())]
    return RawResponse(content, 200, headers)


def _cache_headers(request: Request, model: ServedModel, etag: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"etag", etag.encode()),
        (b"cache-control", service_state(request).cache_control.encode()),
        (b"x-model-version", f"{model.name}/{model.version or 'local'}".encode()),
    ]


def revalidate(
    request: Request, response: Response, model: ServedModel, extra: bytes = b""
) -> Response | None:
    """For routes that return a validated model: a 304 when If-None-Match matches, else None after
    putting ETag, Cache-Control and the model version on ``response`` (FastAPI merges them)."""
    etag = etag_for(model, request, extra)
    headers = _cache_headers(request, model, etag)
    if _matches(_if_none_match(request), etag):
        return RawResponse(b"", 304, headers)
    for k, v in headers:
        response.headers[k.decode()] = v.decode()
    return None


def suggestions(series_id: str, model: ServedModel, n: int = 5) -> list[str]:
    """Close ids: same-prefix ones first (cheap), then difflib on the rest."""
    ids = model.series.keys()
    head = series_id.split(".", 1)[0]
    close = difflib.get_close_matches(
        series_id[:200], [i for i in ids if i.startswith(head)] or list(ids), n=n, cutoff=0.5
    )
    return close


def not_found(series_id: str, model: ServedModel) -> HTTPException:
    return HTTPException(
        404,
        detail={
            "message": f"unknown series {series_id[:200]!r}",
            "series_id": series_id[:200],
            "suggestions": suggestions(series_id, model),
        },
    )


def field_error(loc: Sequence[str | int], msg: str) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors (names the field)."""
    return HTTPException(422, detail=[{"loc": list(loc), "msg": msg, "type": "value_error"}])


def parse_quantiles(
    raw: Sequence[float] | str | None, model: ServedModel, loc: Sequence[str]
) -> tuple[float, ...]:
    """Comma-separated or listed probabilities, each one the bundle stores; default: all stored."""
    if raw is None:
        return model.quantiles
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    out: list[float] = []
    for p in parts:
        try:
            q = round(float(p), 6)
        except (TypeError, ValueError):
            raise field_error(loc, f"quantiles must be numbers, got {str(p)[:40]!r}") from None
        if q not in model.quantiles:
            raise field_error(
                loc, f"quantile {str(p)[:40]} is not stored; available: {list(model.quantiles)}"
            )
        out.append(q)
    if not out:
        raise field_error(loc, f"give at least one quantile; available: {list(model.quantiles)}")
    return tuple(sorted(set(out)))


def check_horizon(horizon: int | None, max_horizon: int, loc: Sequence[str], what: str) -> int:
    if horizon is None:
        return max_horizon
    if horizon > max_horizon:
        raise field_error(loc, f"horizon {horizon} is beyond the maximum {max_horizon} stored for {what}")
    return horizon
