"""API docs that work offline: Swagger UI and ReDoc served from an installed package, not a CDN.

Why: FastAPI's default ``/docs`` and ``/redoc`` pages load their JavaScript and CSS from a CDN, so on a
machine without internet (or behind a strict proxy) they are blank. The assets come from the
``fastapi-offline`` package (Swagger UI 5, which renders the OpenAPI 3.1 FastAPI emits, and ReDoc 2);
we only use its files, through FastAPI's own ``get_swagger_ui_html``/``get_redoc_html``. The pages' inline
start-up script is allowed by its hash in their Content-Security-Policy, so no ``'unsafe-inline'`` script.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from service.security import docs_csp

ASSETS = "/docs-assets"
DOCS_URL, REDOC_URL = "/docs", "/redoc"
PAGES = frozenset({DOCS_URL, REDOC_URL})  # the paths whose responses carry their own CSP
ASSETS_PACKAGE = ("fastapi_offline", "static")  # swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def inline_script_hashes(html: bytes) -> list[str]:
    """CSP source expressions (``sha256-...``) for each inline ``<script>`` of a page."""
    return [
        "sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        for body in _INLINE_SCRIPT.findall(html)
    ]


def _page(response: HTMLResponse) -> tuple[bytes, dict[str, str]]:
    body = bytes(response.body)
    return body, {
        "Content-Security-Policy": docs_csp(inline_script_hashes(body)),
        "Cache-Control": "no-cache",
    }


def install_docs(app: FastAPI) -> None:
    """Mount the packaged assets and add ``/docs`` and ``/redoc`` (the app must be created with
    ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS, StaticFiles(packages=[ASSETS_PACKAGE]), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    swagger, swagger_headers = _page(
        get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            oauth2_redirect_url=None,
        )
    )
    redoc, redoc_headers = _page(
        get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
    )

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger, headers=swagger_headers)

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc_page() -> HTMLResponse:
        return HTMLResponse(redoc, headers=redoc_headers)
