"""Request helpers shared by routers: the current model, conditional responses, errors, API keys.

Why plain functions and not FastAPI dependencies on the hot path: a dependency costs a solve per request;
these are called inline and keep the single-forecast GET close to a bare endpoint.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
from collections.abc import Callable, Sequence

from fastapi import HTTPException, Request, Security
from fastapi.responses import Response
from fastapi.security import APIKeyHeader

from service.served import ServedModel

JSON = "application/json"
api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="API key (admin routes need an admin key)."
)


def current_model(request: Request) -> ServedModel:
    """The model for this whole request (one reference: a concurrent reload cannot change it mid-way)."""
    model = request.app.state.holder.model
    if model is None:
        holder = request.app.state.holder
        raise HTTPException(
            503, detail=f"no forecast model loaded: {holder.reason}", headers={"Retry-After": "30"}
        )
    return model


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
    headers = [
        (b"etag", etag.encode()),
        (b"cache-control", request.app.state.cache_control.encode()),
        (b"x-model-version", f"{model.name}/{model.version or 'local'}".encode()),
    ]
    if check and _matches(_if_none_match(request), etag):
        return RawResponse(b"", 304, headers)
    content = body()
    headers += [(b"content-type", media_type.encode()), (b"content-length", str(len(content)).encode())]
    return RawResponse(content, 200, headers)


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


def _key_ok(key: str, keys: Sequence[str]) -> bool:
    return any(hmac.compare_digest(key.encode(), k.encode()) for k in keys)


def require_admin(request: Request, key: str | None = Security(api_key_header)) -> None:
    """401 without a key, 403 with a key that is not an admin key (or when none is configured)."""
    if not key:
        raise HTTPException(
            401, detail="admin API key required (X-API-Key header)", headers={"WWW-Authenticate": "ApiKey"}
        )
    if not _key_ok(key, request.app.state.settings.admin_api_keys):
        raise HTTPException(403, detail="this API key is not allowed to use admin routes")


def require_reader(request: Request, key: str | None = Security(api_key_header)) -> None:
    """Only mounted when read keys are configured."""
    s = request.app.state.settings
    if not key:
        raise HTTPException(
            401, detail="API key required (X-API-Key header)", headers={"WWW-Authenticate": "ApiKey"}
        )
    if not _key_ok(key, [*s.api_keys, *s.admin_api_keys]):
        raise HTTPException(403, detail="unknown API key")
