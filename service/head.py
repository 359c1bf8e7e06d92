"""HEAD answered like GET without the body, on every GET route (``/health``, ``/app``, every ``/v1`` GET).

Why: FastAPI routes declared with ``@router.get`` answer HEAD with 405, so uptime checkers that probe with
HEAD reported the service down. Running the GET and dropping the body keeps status, ``ETag``,
``Content-Length`` and caching headers identical to GET (RFC 9110 §9.3.2).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    """Serve ``HEAD`` through the ``GET`` route; the response's headers are kept, its body dropped."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        done = False

        async def headers_only(message: Message) -> None:
            nonlocal done
            if message["type"] == "http.response.body":
                if done:
                    return
                if message.get("more_body", False):
                    return  # swallow streamed chunks; the last one ends the response
                done = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
