"""Security headers on every response.

Why pure ASGI (not ``BaseHTTPMiddleware``): the headers are constant byte pairs appended to the response
start, microseconds on the hot path. The docs pages set their own ``Content-Security-Policy`` (to allow
their self-hosted script); every other response gets the strict API policy.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# JSON and CSV need nothing: no scripts, styles, frames, forms or base URLs from anywhere.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
CSP = b"content-security-policy"


def docs_csp(script_hashes: list[str]) -> str:
    """The docs pages' policy: assets from this server only, plus the page's own inline start-up script
    (by hash). Swagger UI and ReDoc set inline styles and ReDoc runs its search in a blob: worker."""
    scripts = " ".join(["'self'", *(f"'{h}'" for h in script_hashes)])
    return (
        f"default-src 'none'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def workbench_csp() -> str:
    """The workbench page's policy (``/app``): every script, style, image and font from this server, no
    inline script (the page has none: its code is in modules), API calls to this origin only. Inline
    *styles* are allowed because plotly.js positions its SVG with style attributes; an attribute cannot
    run code. ``data:``/``blob:`` images are the chart exports (PNG/SVG) the page offers to download."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


class SecurityHeadersMiddleware:
    """Adds the headers to every HTTP response; ``own_csp`` paths (the docs pages) keep the policy their
    route sets. Deciding by path, once per request, avoids scanning every response's headers."""

    def __init__(self, app: ASGIApp, csp: str = API_CSP, own_csp: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.with_csp = [*HEADERS, (CSP, csp.encode())]
        self.without_csp = list(HEADERS)
        self.own_csp = own_csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.without_csp if scope["path"] in self.own_csp else self.with_csp

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_wrapper)
