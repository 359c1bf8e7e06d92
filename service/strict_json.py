"""Standard JSON only: request bodies with NaN, Infinity or numbers beyond a double are a 422, not a 500.

Why: Python's ``json`` accepts ``NaN``, ``Infinity``, ``-Infinity`` and turns ``1e999`` into ``inf``. Such
a value then either slips into a float field or fails validation, and the 422 handler cannot serialise the
value it echoes: the client got a 500 and the keep-alive connection was reset. Here bodies are decoded
strictly (FastAPI's documented custom ``Request``/``APIRoute`` pattern), and every non-standard number is
reported with the path of the field that holds it, e.g. ``["body", "quantiles", 1]``.
"""

from __future__ import annotations

import email.message
import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope

MESSAGE = (
    "Input should be a finite number: NaN, Infinity and numbers too large for a double (such as 1e999) "
    "are not standard JSON"
)


class NonStandardNumbers(ValueError):
    """A JSON body held non-finite or overflowing numbers; ``errors`` name each field (FastAPI-shaped)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} non-standard JSON number(s)")
        self.errors = errors


class _Bad:
    """Stands in for a non-standard number while decoding, so its position can be found afterwards."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text[:40]


def _paths(value: Any, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, _Bad):
        return [(path, value.text)]
    if isinstance(value, dict):
        return [hit for k, v in value.items() for hit in _paths(v, (*path, k))]
    if isinstance(value, list):
        return [hit for i, v in enumerate(value) for hit in _paths(v, (*path, i))]
    return []


def loads_strict(body: bytes | str) -> Any:
    """``json.loads`` that rejects NaN, +-Infinity, floats that overflow and integers too long to parse."""
    found: list[_Bad] = []

    def bad(text: str) -> _Bad:
        b = _Bad(text)
        found.append(b)
        return b

    def parse_float(text: str) -> float | _Bad:
        value = float(text)
        return value if math.isfinite(value) else bad(text)

    def parse_int(text: str) -> int | _Bad:
        try:
            return int(text)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            return bad(text)

    data = json.loads(body, parse_constant=bad, parse_float=parse_float, parse_int=parse_int)
    if found:
        errors = [
            {"type": "finite_number", "loc": ["body", *p], "msg": MESSAGE, "input": text}
            for p, text in _paths(data, ())
        ]
        raise NonStandardNumbers(errors)
    return data


class StrictJSONRequest(Request):
    """A request whose ``json()`` is ``loads_strict`` (cached like Starlette's)."""

    def __init__(self, scope: Scope, receive: Receive) -> None:
        super().__init__(scope, receive)
        self._strict: Any = _UNSET

    async def json(self) -> Any:
        if self._strict is _UNSET:
            self._strict = loads_strict(await self.body())
        return self._strict


_UNSET: Any = object()


def _is_json(request: Request) -> bool:
    """The same content-type test FastAPI applies before it decodes a body as JSON."""
    value = request.headers.get("content-type")
    if not value:
        return False
    msg = email.message.Message()
    msg["content-type"] = value
    sub = msg.get_content_subtype()
    return msg.get_content_maintype() == "application" and (sub == "json" or sub.endswith("+json"))


class StrictJSONRoute(APIRoute):
    """Routes with a body decode it strictly; routes without one are left exactly as they were."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()
        if self.body_field is None:
            return original

        async def handler(request: Request) -> Response:
            strict = StrictJSONRequest(request.scope, request.receive)
            if _is_json(strict) and await strict.body():
                try:
                    await strict.json()
                except NonStandardNumbers as exc:
                    raise RequestValidationError(exc.errors) from None
                except Exception:  # bad syntax, encoding, nesting: FastAPI reports these as it always has
                    pass
            return await original(strict)

        return handler


def finite_or_text(value: Any) -> Any:
    """For echoing inputs in error bodies: non-finite floats become text, containers are walked."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): finite_or_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_text(v) for v in value]
    return value
