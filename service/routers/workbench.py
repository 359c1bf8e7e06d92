"""The analyst workbench: a web page at ``/app`` over the public API, served from the installed package.

Why here and why this way: analysts should not need an HTTP client or a TOML editor to read a forecast,
build a scenario or open a scorecard. The page (``service/workbench/``: HTML, CSS and plain JavaScript
modules, no build step) calls only public ``/v1`` routes, so whatever it shows a script can fetch too.
Every asset comes from this server: the page's own files from the ``service`` package, the chart library
(plotly.js's basic dist, vendored from npm with its licence) with year-long immutable caching under a
versioned name, and a small TOML reader/writer (smol-toml) vendored with its licence. The page has its
own Content-Security-Policy (``service.security.workbench_csp``): scripts from this origin only.

It also adds ``GET /v1/reference/names`` (human names for the catalogue's ids: measures with their price
basis, clusters, geography levels), ``GET /v1/reference/search?q=`` (series by words: names, descriptions,
abbreviations both ways such as FDI and GVA, place names of local and combined authorities, counties and
ITL areas mapped to codes and the areas above them, one or two typing slips) and
``GET /v1/reference/series/{id}`` (one series' distinct title), so the page's first chart and its search
need no 1.4 MB catalogue. Plotly's bundle and the page's own files go gzip-compressed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi import Path as FPath
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Receive, Scope, Send

from forecasting.reference.clusters import load_clusters
from forecasting.reference.geography import load_geography
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


PLOTLY_DIR = "plotly.js-basic-dist-min"  # under vendor/: plotly.js's "basic" dist (scatter, bar, pie)


@cache
def plotly_js() -> tuple[str, Path, Path | None]:
    """The vendored plotly.js basic bundle: (versioned file name, path, licence path). Every chart here is a
    scatter trace, and the basic dist is a quarter of the full bundle (1.2 MB against 4.8 MB) to fetch,
    parse and run before the chart turns interactive."""
    folder = workbench_dir() / "vendor" / PLOTLY_DIR
    version = json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"]
    return f"plotly-basic-{version}.min.js", folder / "plotly-basic.min.js", folder / "LICENSE"


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
    """Mount the page's static files (gzip-compressed for browsers that accept it); the routes themselves
    are on ``router``."""
    app.mount(
        STATIC_URL, GZipMiddleware(_Static(packages=[PACKAGE]), minimum_size=512), name="workbench-static"
    )


@pages.get(APP_URL, include_in_schema=False)
@pages.get(APP_URL + "/", include_in_schema=False)
async def workbench_page() -> HTMLResponse:
    body, headers = page()
    return HTMLResponse(body, headers=headers)


@cache
def plotly_gzip() -> bytes:
    """The plotly.js bundle gzip-compressed once per process (1.2 MB -> about 0.4 MB on the wire)."""
    return gzip.compress(plotly_js()[1].read_bytes(), compresslevel=6, mtime=0)


def _accepts_gzip(request: Request) -> bool:
    return any(
        part.split(";")[0].strip() == "gzip" and not part.replace(" ", "").endswith("q=0")
        for part in request.headers.get("accept-encoding", "").split(",")
    )


@pages.get(VENDOR_URL + "/{name}", include_in_schema=False)
async def vendor(name: str, request: Request) -> Response:
    """plotly.js and its licence from the installed wheel (versioned name: cached for a year); the bundle
    compressed for browsers that accept gzip (every browser does), as it is by far the page's largest file."""
    js_name, js_path, licence = plotly_js()
    if name == js_name:
        if _accepts_gzip(request):
            body = await run_in_threadpool(plotly_gzip)
            headers = {"Cache-Control": YEAR, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            return Response(body, media_type="text/javascript", headers=headers)
        return FileResponse(
            js_path, media_type="text/javascript", headers={"Cache-Control": YEAR, "Vary": "Accept-Encoding"}
        )
    if name == "plotly-LICENSE.txt" and licence is not None:
        return FileResponse(licence, media_type="text/plain", headers={"Cache-Control": "no-cache"})
    raise HTTPException(404, detail=f"no vendored file {name[:80]!r}")


# ---- human names for the catalogue's ids ------------------------------------------------------------------
# parenthetical or trailing notes that say where a figure comes from, not what it is
_SOURCE_NOTE = re.compile(
    r"\b(ONS|CDID|WDI|World Bank|Table [A-Z]?\d|release|official statistics|partner|QNA|Federal Reserve|"
    r"fDi|Beauhurst|Data City|open data|BoP|BPM|DBT|DIT|ELS|MM23|H\.10)\b"
)
PRICE_BASIS = {
    "current": "current prices",
    "chained_volume": "chained volume (real terms)",
    "index": "index",
    "none": "",
}
SEASONAL = {"sa": "seasonally adjusted", "nsa": "not seasonally adjusted", "none": ""}
FREQUENCY = {"A": "annual", "Q": "quarterly", "M": "monthly"}


def _short_name(description: str) -> str:
    """A measure's name in words: its description without the notes on where it comes from.

    "UK business investment excluding the exceptional (BNFL) asset transfer, current prices, seasonally
    adjusted" keeps every word that says what is measured (a cut name misleads); "(ONS CDID NPEK: QNA ...)",
    "; BPM5 basis to 2011" and ", ONS business demography" go: the source is shown beside the series."""
    text = re.sub(
        r"\s*\(([^()]*)\)", lambda m: "" if _SOURCE_NOTE.search(m.group(1)) else m.group(0), description
    )
    text = text.split(";", 1)[0]
    parts = [p.strip() for p in text.split(",")]
    kept = [parts[0], *(p for p in parts[1:] if p and not _SOURCE_NOTE.search(p))]
    return ", ".join(kept).strip().rstrip(",")


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


def _basis_words(name: str, price_basis: str, seasonal: str) -> list[str]:
    """Price basis and seasonal adjustment, unless the name says them already."""
    low = name.lower()
    out = []
    pb = PRICE_BASIS.get(price_basis, price_basis)
    if pb and pb.split()[0] not in low and not (price_basis == "current" and "nominal" in low):
        out.append(pb)
    sa = SEASONAL.get(seasonal, "")
    if sa and sa not in low:
        out.append(sa)
    return out


def reference_names(m: ServedModel) -> dict[str, Any]:
    """Names for every measure, cluster and level of the served catalogue (built once per served model and
    kept with it: ``ServedModel.state``)."""
    return m.state.get("reference_names", lambda: _reference_names(m))


def _reference_names(m: ServedModel) -> dict[str, Any]:
    measures = load_measures()
    known = {c.id: c.name for c in load_clusters()}
    used_measures = sorted({str(r.get("measure")) for r in m.catalogue if r.get("measure")})
    out_measures: dict[str, dict[str, Any]] = {}
    for mid in used_measures:
        ms = measures.get(mid)
        if ms is None:
            out_measures[mid] = {
                "name": mid,
                "description": "",
                "unit": "",
                "frequency": "",
                "quantity": "",
                "price_basis": "",
                "basis": "",
            }
            continue
        name = _short_name(ms.description) or mid
        basis = ", ".join(_basis_words(name, ms.price_basis, ms.seasonal_adjustment))
        out_measures[mid] = {
            "name": name,
            "description": ms.description,
            "unit": ms.unit,
            "frequency": ms.frequency,
            "quantity": ms.quantity,
            "price_basis": ms.price_basis,
            "basis": basis,
        }
    # two measures with one name (current prices / chained volume ...) are told apart by basis, unit, frequency
    seen: dict[str, list[str]] = {}
    for mid, v in out_measures.items():
        seen.setdefault(v["name"], []).append(mid)
    for mids in seen.values():
        if len(mids) > 1:
            for mid in mids:
                v = out_measures[mid]
                extra = [x for x in (v["basis"], FREQUENCY.get(v["frequency"], "")) if x]
                v["name"] = f"{v['name']} ({', '.join(extra) or v['unit']})"
    clusters = sorted({str(r.get("cluster")) for r in m.catalogue if r.get("cluster")})
    levels = sorted({str(r.get("geography_level")) for r in m.catalogue if r.get("geography_level")})
    body = {
        "measures": out_measures,
        "clusters": {c: cluster_name(c, known) for c in clusters},
        "levels": {lv: LEVEL_NAMES.get(lv, lv) for lv in levels},
    }
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


# ---- search by words: names, descriptions, abbreviations, places, typos --------------------------------------
# An abbreviation and its words are one thing to a reader: either form finds the other.
SYNONYMS: dict[str, str] = {
    "fdi": "foreign direct investment",
    "gva": "gross value added",
    "gdp": "gross domestic product",
    "gfcf": "gross fixed capital formation",
    "cpi": "consumer prices index",
    "berd": "business enterprise research development",
    "r&d": "research development",
    "rd": "research development",
    "cvm": "chained volume",
    "cp": "current prices",
    "real": "chained volume",
    "nominal": "current prices",
    "sa": "seasonally adjusted",
    "nsa": "not seasonally adjusted",
    "ca": "combined authority",
    "la": "local authority",
    "lad": "local authority",
    "wm": "west midlands",
    "em": "east midlands",
    "wmca": "west midlands combined authority",
    "uk": "united kingdom",
    "jobs": "employment",
    "employees": "employment",
    "firms": "businesses",
    "companies": "businesses",
    "enterprises": "businesses",
    "stock": "position",
    "quarterly": "quarterly",
}
STOPWORDS = frozenset({"of", "the", "in", "and", "for", "by", "a", "an", "to", "on", "at", "per", "with"})
MAX_RESULTS = 200
_WORD = re.compile(r"[a-z0-9&]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _expand(words: list[str]) -> list[str]:
    """Words plus the long form of every abbreviation among them (and the abbreviation of every long form)."""
    out = list(words)
    joined = " ".join(words)
    for short, long in SYNONYMS.items():
        if short in words:
            out.extend(long.split())
        if f" {long} " in f" {joined} ":
            out.append(short)
    return out


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (adjacent swaps count one), giving up above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _tolerance(word: str) -> int:
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


@dataclass
class _Index:
    """The served catalogue as searchable words, with the place names of the geography tables."""

    rows: list[dict[str, Any]]
    words: list[set[str]]  # per row
    vocabulary: set[str]
    places: dict[str, list[str]]  # normalised place name -> codes
    place_words: int  # the longest place name, in words
    ancestors: dict[str, list[str]]


def _describe(row: Mapping[str, Any], names: dict[str, Any]) -> dict[str, Any]:
    """A series as a person reads it: a title that tells it apart (area, cluster, basis, frequency)."""
    m = names["measures"].get(str(row.get("measure")), {})
    area = str(row.get("geography_name") or row.get("geography"))
    cluster = str(row.get("cluster") or "all")
    cluster_words = names["clusters"].get(cluster, cluster)
    freq = FREQUENCY.get(str(row.get("frequency")), str(row.get("frequency")))
    name = m.get("name") or str(row.get("measure"))
    title = f"{name} — {area}" + ("" if cluster == "all" else f" — {cluster_words}")
    detail = [x for x in (m.get("basis"), freq) if x]
    return {
        "series_id": str(row["series_id"]),
        "title": f"{title} ({', '.join(detail)})" if detail else title,
        "measure": str(row.get("measure")),
        "measure_name": name,
        "measure_description": m.get("description", ""),
        "unit": str(row.get("unit") or m.get("unit") or ""),
        "price_basis": m.get("price_basis", ""),
        "basis": m.get("basis", ""),
        "geography": str(row.get("geography")),
        "geography_name": area,
        "geography_level": str(row.get("geography_level") or ""),
        "level_name": names["levels"].get(str(row.get("geography_level")), str(row.get("geography_level"))),
        "cluster": cluster,
        "cluster_name": cluster_words,
        "frequency": str(row.get("frequency")),
        "frequency_name": freq,
        "is_synthetic": bool(row.get("is_synthetic")),
        "source": row.get("source"),
    }


def search_index(m: ServedModel) -> _Index:
    """Built once per served model and kept with it (``ServedModel.state``): every series' words (names,
    description, area, cluster, ids, synonyms)."""
    return m.state.get("search_index", lambda: _search_index(m))


def _search_index(m: ServedModel) -> _Index:
    names = reference_names(m)
    geo = load_geography()
    rows = [_describe(r, names) for r in m.catalogue if r.get("series_id")]
    words = []
    for r in rows:
        text = " ".join(
            str(r[k])
            for k in (
                "measure_name",
                "measure_description",
                "geography_name",
                "geography",
                "level_name",
                "cluster_name",
                "cluster",
                "series_id",
                "frequency_name",
                "basis",
                "unit",
            )
        )
        words.append(set(_expand(_words(text.replace("_", " ").replace(".", " ")))))
    places: dict[str, list[str]] = {}
    for code, a in geo.areas.items():
        if a.status == "current":
            places.setdefault(" ".join(_words(a.name)), []).append(code)
    for name, code in geo.aliases.get("name", {}).items():
        places.setdefault(" ".join(_words(name)), []).append(code)
    ancestors = {code: [code, *geo.ancestors(code)] for code in geo.areas}
    index = _Index(
        rows=rows,
        words=words,
        vocabulary=set().union(*words) if words else set(),
        places=places,
        place_words=max((len(k.split()) for k in places), default=1),
        ancestors=ancestors,
    )
    return index


def _find_places(words: list[str], index: _Index) -> tuple[list[str], list[str], list[str]]:
    """Place names in the query (longest first, typos allowed in long names): (codes, names, other words)."""
    codes: list[str] = []
    found: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(words):
        hit = None
        for n in range(min(index.place_words, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + n])
            if phrase in index.places:
                hit = (n, phrase)
                break
            if n == 1 and len(phrase) >= 6:  # one long word: "birmingam", "leicstershire"
                close = [p for p in index.places if " " not in p and _edit_distance(phrase, p, 1) <= 1]
                if len(close) == 1:
                    hit = (1, close[0])
                    break
        if hit is None or (hit[0] == 1 and words[i] in SYNONYMS):
            rest.append(words[i])
            i += 1
            continue
        n, phrase = hit
        codes.extend(index.places[phrase])
        found.append(phrase)
        i += n
    return codes, found, rest


@dataclass(frozen=True)
class _Term:
    """One query word and the catalogue words it stands for: itself, words it begins, close spellings."""

    word: str
    prefixed: frozenset[str]
    close: frozenset[str]
    long: tuple[str, ...]  # the words of the abbreviation's long form ("fdi" -> foreign direct investment)

    def score(self, row_words: set[str]) -> float:
        if self.word in row_words:
            return 1.0
        if self.long and all(x in row_words for x in self.long):
            return 0.9
        if not self.prefixed.isdisjoint(row_words):
            return 0.8
        if not self.close.isdisjoint(row_words):
            return 0.6
        return 0.0


def _term(word: str, vocabulary: set[str]) -> _Term:
    """Matched against the vocabulary once per query, so each series costs only set look-ups."""
    tol = _tolerance(word)
    prefixed = frozenset(v for v in vocabulary if len(word) >= 3 and v.startswith(word))
    close = frozenset(v for v in vocabulary if tol and _edit_distance(word, v, tol) <= tol)
    return _Term(word, prefixed, close, tuple(SYNONYMS.get(word, "").split()))


MAX_WORDS = 12


def search_series(
    m: ServedModel, q: str, filters: Mapping[str, str | None], synthetic: bool, limit: int
) -> dict[str, Any]:
    """Series for words: every word (or its abbreviation, or a close spelling) must match, places narrow to
    the area and the areas above it (nearest first). When nothing matches every word, the series matching
    the most words come back with a hint that says which words found nothing."""
    index = search_index(m)
    words = [w for w in _words(q) if w not in STOPWORDS]
    place_codes, place_names, rest = _find_places(words, index)
    terms = [_term(w, index.vocabulary) for w in rest[:MAX_WORDS]]
    corrections: dict[str, str] = {}
    for t in terms:
        if t.word not in index.vocabulary and not t.prefixed and not t.long and t.close:
            tol = _tolerance(t.word)
            corrections[t.word] = min(t.close, key=lambda v: (_edit_distance(t.word, v, tol), v))
    rank_of_place: dict[str, int] = {}
    for code in place_codes:
        for depth, a in enumerate(index.ancestors.get(code, [code])):
            if a not in ("WLD",):
                rank_of_place[a] = min(rank_of_place.get(a, 99), depth)
    wanted = {k: {v.strip() for v in val.split(",") if v.strip()} for k, val in filters.items() if val}
    scored: list[tuple[float, int, dict[str, Any], set[str]]] = []
    for row, row_words in zip(index.rows, index.words, strict=True):
        if not synthetic and row["is_synthetic"]:
            continue
        if any(str(row.get(k)) not in vals for k, vals in wanted.items()):
            continue
        if place_codes and row["geography"] not in rank_of_place:
            continue
        matched: set[str] = set()
        quality = 0.0
        for t in terms:
            score = t.score(row_words)
            if score:
                matched.add(t.word)
                quality += score
        if terms and not matched:
            continue
        place_rank = rank_of_place.get(row["geography"], 0)
        base = (0 if row["geography_level"] in ("midlands", "itl1", "uk") else 2) + (row["cluster"] != "all")
        base += 0.5 * (row["frequency"] != "A")
        hits = len(matched)
        scored.append((-(hits * 10 + quality) + place_rank * 3 + base * 0.1, hits, row, matched))
    best = max((h for _, h, _, _ in scored), default=0)
    kept = sorted(((s, r, m) for s, h, r, m in scored if h == best), key=lambda x: (x[0], x[1]["title"]))
    hint = None
    if terms and best < len(terms) and kept:
        found = set().union(*(m for _, _, m in kept))
        missing = [t.word for t in terms if t.word not in found]
        hint = (
            f"No series matches every word; showing those matching {best} of {len(terms)}. "
            f"Found nothing with: {', '.join(missing)}."
        )
    elif not kept:
        hint = (
            "Nothing matches. Try fewer words, a measure (FDI, GVA, business births) or a place "
            "(Birmingham, West Midlands)."
        )
    if corrections:
        fixed = ", ".join(f"{a!r} as {b!r}" for a, b in corrections.items())
        hint = f"Read {fixed}." + (f" {hint}" if hint else "")
    return {
        "query": q,
        "places": [{"name": n, "codes": index.places[n]} for n in place_names],
        "corrections": corrections,
        "hint": hint,
        "total": len(kept),
        "items": [r for _, r, _ in kept[:limit]],
    }


_TITLE_EXAMPLE: dict[str, Any] = {
    "series_id": "fdi_inward_position.TLG.all.A",
    "title": "Inward FDI international investment position (stock) at end of year, subnational — West Midlands"
    " (current prices, annual)",
    "measure": "fdi_inward_position",
    "measure_name": "Inward FDI international investment position (stock) at end of year, subnational",
    "measure_description": "Inward FDI international investment position (stock) at end of year, subnational"
    " (ONS, official statistics in development)",
    "unit": "GBP million",
    "price_basis": "current",
    "basis": "current prices",
    "geography": "TLG",
    "geography_name": "West Midlands",
    "geography_level": "itl1",
    "level_name": "ITL1 region",
    "cluster": "all",
    "cluster_name": "All industries",
    "frequency": "A",
    "frequency_name": "annual",
    "is_synthetic": False,
    "source": "ons_els_fdi",
}


class SeriesTitle(BaseModel):
    """A series as the workbench shows it: a distinct title, the measure in words, unit and price basis."""

    model_config = ConfigDict(json_schema_extra={"examples": [_TITLE_EXAMPLE]})

    series_id: str
    title: str = Field(description="Measure, area, cluster (unless all industries), price basis, frequency.")
    measure: str
    measure_name: str
    measure_description: str
    unit: str
    price_basis: str
    basis: str = Field(
        description="Price basis and seasonal adjustment in words ('' when the name says them)."
    )
    geography: str
    geography_name: str
    geography_level: str
    level_name: str
    cluster: str
    cluster_name: str
    frequency: str
    frequency_name: str
    is_synthetic: bool
    source: str | None = None
    has_track_record: bool = Field(
        default=False,
        description="Whether the served bundle holds how past forecasts of it turned out (/v1/track-record).",
    )


class PlaceHit(BaseModel):
    name: str = Field(description="The place name as read from the query.")
    codes: list[str] = Field(
        description="Its geography codes (series of these areas and the areas above match)."
    )


class SeriesSearch(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "query": "birmingham fdi",
                    "places": [{"name": "birmingham", "codes": ["TLG31", "E08000025"]}],
                    "corrections": {},
                    "hint": None,
                    "total": 1,
                    "items": [_TITLE_EXAMPLE],
                }
            ]
        }
    )

    query: str
    places: list[PlaceHit]
    corrections: dict[str, str] = Field(
        description="Query word -> the catalogue word it was read as (typos)."
    )
    hint: str | None = Field(description="What was done when not every word matched, or how to search.")
    total: int
    items: list[SeriesTitle]


@router.get(
    "/v1/reference/search",
    response_model=SeriesSearch,
    tags=["series"],
    summary="Find series by words: names, descriptions, abbreviations (FDI, GVA), place names, typos",
    responses={503: {"model": Message, "description": "No model loaded."}},
)
def search(
    request: Request,
    response: Response,
    m: ModelDep,
    q: Annotated[
        str, Query(max_length=200, description="Words, e.g. 'foreign direct investment birmingham'.")
    ] = "",
    measure: Annotated[str | None, Query(max_length=500)] = None,
    level: Annotated[str | None, Query(max_length=200)] = None,
    cluster: Annotated[str | None, Query(max_length=500)] = None,
    synthetic: bool = False,
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 80,
) -> Any:
    """Every word must match a series' measure name or description, area, cluster or id, allowing
    abbreviations both ways and one or two typing slips; a place (local authority, combined authority,
    county, ITL area) narrows to that area and the areas above it, nearest first."""
    if (not_modified := revalidate(request, response, m, request.url.query.encode())) is not None:
        return not_modified
    filters = {"measure": measure, "geography_level": level, "cluster": cluster}
    return search_series(m, q, filters, synthetic, limit)


@router.get(
    "/v1/reference/series/{series_id}",
    response_model=SeriesTitle,
    tags=["series"],
    summary="One series' title, measure description, unit and price basis",
    responses={
        404: {"model": Message, "description": "No such series."},
        503: {"model": Message, "description": "No model loaded."},
    },
)
def series_title(
    request: Request,
    response: Response,
    m: ModelDep,
    series_id: Annotated[str, FPath(max_length=300, description="measure.geography.cluster.frequency")],
) -> Any:
    """What the workbench needs to title a chart before (or without) the whole catalogue."""
    if (not_modified := revalidate(request, response, m)) is not None:
        return not_modified
    for row in search_index(m).rows:
        if row["series_id"] == series_id:
            track = getattr(m.contents, "track_record", None)
            has = track is not None and not track.empty and bool((track["series_id"] == series_id).any())
            return {**row, "has_track_record": has}
    raise HTTPException(404, detail=f"unknown series {series_id[:300]!r}")
