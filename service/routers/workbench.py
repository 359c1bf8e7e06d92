"""The analyst workbench: a web page at ``/app`` over the public API, served from the installed package.

Why here and why this way: analysts should not need an HTTP client or a TOML editor to read a forecast,
build a scenario or open a scorecard. The page (``service/workbench/``: HTML, CSS and plain JavaScript
modules, no build step) calls only public ``/v1`` routes, so whatever it shows a script can fetch too.
Every asset comes from this server: the page's own files from the ``service`` package, the chart library
(plotly.js) from the ``plotly`` Python wheel's ``package_data`` with year-long immutable caching under a
versioned name, and a small TOML reader/writer (smol-toml) vendored with its licence. The page has its
own Content-Security-Policy (``service.security.workbench_csp``): scripts from this origin only.

It also adds ``GET /v1/reference/names``: human names for the catalogue's ids (measures, clusters,
geography levels), so the page's search works on words rather than ids.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from forecasting.reference.clusters import load_clusters
from forecasting.reference.measures import load_measures
from service.deps import ModelDep
from service.http import revalidate
from service.schemas import Message, ReferenceNames
from service.security import workbench_csp
from service.served import ServedModel
from service.strict_json import StrictJSONRoute

APP_URL = "/app"
STATIC_URL = "/app/static"
VENDOR_URL = "/app/vendor"
PAGES = frozenset({APP_URL, APP_URL + "/"})  # responses that carry their own CSP
PACKAGE = ("service", "workbench")
YEAR = "public, max-age=31536000, immutable"

router = APIRouter(route_class=StrictJSONRoute)  # the API route (behind the read key when one is set)
pages = (
    APIRouter()
)  # the page and its vendored script: public, the page asks for a key when the API needs one

LEVEL_NAMES = {
    "world": "World",
    "country": "Country",
    "aggregate": "Group of economies",
    "uk": "United Kingdom",
    "gb": "Great Britain",
    "nation": "UK nation",
    "midlands": "Midlands",
    "itl1": "ITL1 region",
    "itl2": "ITL2 sub-region",
    "itl3": "ITL3 area",
    "county": "County",
    "combined_authority": "Combined authority",
    "lad": "Local authority",
}


def workbench_dir() -> Path:
    """The installed page files (``service/workbench``)."""
    return Path(str(resources.files(PACKAGE[0]).joinpath(PACKAGE[1])))


@cache
def plotly_js() -> tuple[str, Path, Path | None]:
    """The plotly.js bundle shipped in the ``plotly`` wheel: (versioned file name, path, licence path)."""
    dist = metadata.distribution("plotly")
    path = Path(str(dist.locate_file("plotly/package_data/plotly.min.js")))
    licence = next(
        (Path(str(dist.locate_file(f))) for f in dist.files or [] if f.name.upper().startswith("LICENSE")),
        None,
    )
    return f"plotly-{dist.version}.min.js", path, licence


@cache
def page() -> tuple[bytes, dict[str, str]]:
    """index.html with the versioned asset names filled in, and its headers (own CSP, revalidate)."""
    root = workbench_dir()
    digest = hashlib.blake2b(digest_size=6)
    for f in sorted(root.rglob("*")):
        if f.is_file():
            digest.update(f.name.encode() + f.read_bytes())
    html = (root / "index.html").read_text(encoding="utf-8")
    html = html.replace("{{plotly}}", f"{VENDOR_URL}/{plotly_js()[0]}").replace("{{v}}", digest.hexdigest())
    body = html.encode()
    if re.search(rb"<script(?![^>]*\bsrc=)[^>]*>", body) or b"https://" in body or b"http://" in body:
        raise RuntimeError("the workbench page must have no inline script and no remote URL")
    return body, {"Content-Security-Policy": workbench_csp(), "Cache-Control": "no-cache"}


class _Static(StaticFiles):
    """The page's own files: revalidated on every load (ETag), so a new release is picked up at once."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_cache(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"cache-control", b"no-cache")]
            await send(message)

        await super().__call__(scope, receive, with_cache)


def install_workbench(app: FastAPI) -> None:
    """Mount the page's static files; the routes themselves are on ``router``."""
    app.mount(STATIC_URL, _Static(packages=[PACKAGE]), name="workbench-static")


@pages.get(APP_URL, include_in_schema=False)
@pages.get(APP_URL + "/", include_in_schema=False)
async def workbench_page() -> HTMLResponse:
    body, headers = page()
    return HTMLResponse(body, headers=headers)


@pages.get(VENDOR_URL + "/{name}", include_in_schema=False)
async def vendor(name: str) -> Response:
    """plotly.js and its licence from the installed wheel (versioned name: cached for a year)."""
    js_name, js_path, licence = plotly_js()
    if name == js_name:
        return FileResponse(js_path, media_type="text/javascript", headers={"Cache-Control": YEAR})
    if name == "plotly-LICENSE.txt" and licence is not None:
        return FileResponse(licence, media_type="text/plain", headers={"Cache-Control": "no-cache"})
    raise HTTPException(404, detail=f"no vendored file {name[:80]!r}")


# ---- human names for the catalogue's ids ------------------------------------------------------------------
def _short_name(description: str) -> str:
    """ "Inward FDI international investment position (stock) at end of year, ..." -> up to the bracket."""
    return re.split(r" \(|;", description, maxsplit=1)[0].strip().rstrip(",")


def cluster_name(cluster: str, known: dict[str, str]) -> str:
    """A cluster id, or a slice of the catalogue (``sic-29``, ``ind-<slug>``, ``partner-<slug>``), in words."""
    if cluster == "all":
        return "All industries"
    if cluster in known:
        return known[cluster]
    kind, _, rest = cluster.partition("-")
    words = rest.replace("-", " ").strip()
    if kind == "sic":
        return f"SIC {rest}"
    if kind == "ind":
        return f"Industry group: {words.capitalize()}"
    if kind == "partner":
        return f"Partner area: {words.title()}"
    return cluster


_names_cache: dict[str, dict[str, Any]] = {}


def reference_names(m: ServedModel) -> dict[str, Any]:
    """Names for every measure, cluster and level of the served catalogue (cached per model)."""
    hit = _names_cache.get(m.key)
    if hit is not None:
        return hit
    measures = load_measures()
    known = {c.id: c.name for c in load_clusters()}
    used_measures = sorted({str(r.get("measure")) for r in m.catalogue if r.get("measure")})
    out_measures: dict[str, dict[str, Any]] = {}
    for mid in used_measures:
        ms = measures.get(mid)
        if ms is None:
            out_measures[mid] = {"name": mid, "description": "", "unit": "", "frequency": "", "quantity": ""}
            continue
        out_measures[mid] = {
            "name": _short_name(ms.description) or mid,
            "description": ms.description,
            "unit": ms.unit,
            "frequency": ms.frequency,
            "quantity": ms.quantity,
        }
    # two measures with one short name (current prices / chained volume ...) are told apart by unit
    seen: dict[str, list[str]] = {}
    for mid, v in out_measures.items():
        seen.setdefault(v["name"], []).append(mid)
    for mids in seen.values():
        if len(mids) > 1:
            for mid in mids:
                v = out_measures[mid]
                v["name"] = f"{v['name']} ({v['unit']}, {v['frequency']})"
    clusters = sorted({str(r.get("cluster")) for r in m.catalogue if r.get("cluster")})
    levels = sorted({str(r.get("geography_level")) for r in m.catalogue if r.get("geography_level")})
    body = {
        "measures": out_measures,
        "clusters": {c: cluster_name(c, known) for c in clusters},
        "levels": {lv: LEVEL_NAMES.get(lv, lv) for lv in levels},
    }
    _names_cache.clear()  # one model at a time
    _names_cache[m.key] = body
    return body


@router.get(
    "/v1/reference/names",
    response_model=ReferenceNames,
    tags=["series"],
    summary="Human names for the catalogue's measures, clusters and geography levels",
    responses={503: {"model": Message, "description": "No model loaded."}},
)
def names(request: Request, response: Response, m: ModelDep) -> Any:
    """Measure names and units, cluster names (the 25 clusters, SIC and industry slices) and level names
    for every value in the served catalogue: what a person searches by, beside the ids scripts use."""
    if (not_modified := revalidate(request, response, m)) is not None:
        return not_modified
    return reference_names(m)
