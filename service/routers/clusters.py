"""The 25 cluster scorecards as written by `invest scorecards` / `invest run` (same numbers as the report).

Why serve the written files rather than recompute: the scorecards combine the warehouse with a Monte Carlo
over the champion's forecasts; serving the one document the report was rendered from guarantees the API
and the report agree. The document is re-read when its file changes. Where it lives: ``service.deps.get_scorecards_dir``
(``app.state.scorecards_dir`` if set, else ``settings.scorecards_dir``, else
``<data_dir>/reports/scorecards``). Responses are the written document's bytes; their shapes are
declared as response models and checked against real documents by the contract tests.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from service.deps import HolderDep, ScorecardsDirDep
from service.examples import CLUSTERS_EXAMPLE, SCORECARD_EXAMPLE, SCORECARDS_EXAMPLE, ok
from service.lifecycle import ModelHolder
from service.schemas import ClusterList, ClusterScorecard, ScorecardsDocument

router = APIRouter(tags=["clusters"])
_lock = threading.Lock()
_cache: dict[str, tuple[float, int, dict[str, Any], str]] = {}

ERRORS: dict[int | str, dict[str, Any]] = {
    503: {"description": "No scorecards written yet (run `invest scorecards` or `invest run`)."},
}
ClusterId = Annotated[
    str, PathParam(max_length=100, pattern=r"^[a-z0-9-]+$", description="Cluster id, e.g. automotive")
]


def load_document(path: Path) -> tuple[dict[str, Any], str]:
    """The scorecards document and its ETag, re-read only when the file changes."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise HTTPException(
            503,
            detail="no scorecards written yet: run `invest scorecards` or `invest run`",
            headers={"Retry-After": "60"},
        ) from None
    key = str(path)
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] == st.st_mtime and hit[1] == st.st_size:
            return hit[2], hit[3]
        raw = path.read_bytes()
        doc = json.loads(raw)
        etag = '"sc-' + hashlib.blake2b(raw, digest_size=10).hexdigest() + '"'
        _cache[key] = (st.st_mtime, st.st_size, doc, etag)
        return doc, etag


def _respond(request: Request, body: Any, etag: str) -> Response:
    headers = {"ETag": etag, "Cache-Control": "public, max-age=60, must-revalidate"}
    inm = request.headers.get("if-none-match")
    if inm and etag in [t.strip().removeprefix("W/") for t in inm.split(",")]:
        return Response(status_code=304, headers=headers)
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    return Response(content=data, media_type="application/json", headers=headers)


def _provenance(holder: ModelHolder, doc: dict[str, Any]) -> dict[str, Any]:
    """The scorecards' provenance plus whether the API now serves a different model than they used."""
    prov = dict(doc.get("provenance", {}))
    served = holder.model
    used = (prov.get("model") or {}).get("model_version")
    prov["served_model_version"] = getattr(served, "version", None)
    prov["stale"] = bool(served is not None and used is not None and str(served.version) != str(used))
    return prov


def _doc(directory: Path) -> tuple[dict[str, Any], str]:
    return load_document(directory / "scorecards.json")


PDF_EXAMPLE = "%PDF-1.7 … (binary: A4 pages printed by headless Chromium)"
PDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The PDF as printed by `invest scorecards` (A4, same numbers as the JSON and the report).",
        "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}, "example": PDF_EXAMPLE}
        },
    },
    304: {"description": "Not modified (If-None-Match matched the ETag)."},
    404: {
        "description": "Unknown cluster, or the scorecards were written without PDFs (`--no-pdf`, no Chromium)."
    },
    **ERRORS,
}


def _pdf(request: Request, directory: Path, path: Path) -> Response:
    """A written PDF with an ETag from its size and modification time (re-read when the file changes)."""
    _doc(directory)  # 503 when no scorecards are written at all, as on every cluster route
    try:
        st = path.stat()
    except FileNotFoundError:
        raise HTTPException(
            404,
            detail=f"no {path.name}: the scorecards were written without PDFs; run `invest scorecards`",
        ) from None
    etag = f'"pdf-{st.st_mtime_ns:x}-{st.st_size:x}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=60, must-revalidate"}
    inm = request.headers.get("if-none-match")
    if inm and etag in [t.strip().removeprefix("W/") for t in inm.split(",")]:
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'inline; filename="{path.name}"'
    return Response(content=path.read_bytes(), media_type="application/pdf", headers=headers)


@router.get(
    "/v1/clusters/scorecards.pdf",
    summary="All 25 scorecards as one PDF (summary, methodology, one page per cluster)",
    response_class=Response,
    responses=PDF_RESPONSES,
)
def scorecards_pdf(request: Request, directory: ScorecardsDirDep) -> Response:
    """The board-pack PDF written by `invest scorecards` beside the JSON the other cluster routes serve."""
    return _pdf(request, directory, directory / "scorecards.pdf")


@router.get(
    "/v1/clusters/{cluster_id}.pdf",
    summary="One cluster's scorecard as a one-page PDF",
    response_class=Response,
    responses=PDF_RESPONSES,
)
def cluster_pdf(request: Request, cluster_id: ClusterId, directory: ScorecardsDirDep) -> Response:
    """The cluster's page printed by `invest scorecards` (``pdf/<id>.pdf``)."""
    doc, _ = _doc(directory)
    known = [c["id"] for c in doc["clusters"]]
    if cluster_id not in known:
        raise HTTPException(404, detail={"msg": f"unknown cluster {cluster_id!r}", "known": known})
    return _pdf(request, directory, directory / "pdf" / f"{cluster_id}.pdf")


@router.get(
    "/v1/clusters",
    response_model=ClusterList,
    summary="The 25 clusters with rank interval, tier, stars and score",
    responses={**ok(CLUSTERS_EXAMPLE, "Clusters in report order."), **ERRORS},
)
def list_clusters(request: Request, directory: ScorecardsDirDep, holder: HolderDep) -> Response:
    """Clusters in report order (tier, median rank): score, 5-95% rank interval, tier, stars, area scores."""
    doc, etag = _doc(directory)
    body = {
        "provenance": _provenance(holder, doc),
        "areas": doc["areas"],
        "count": len(doc["ranking"]),
        "items": doc["ranking"],
    }
    return _respond(request, body, etag)


@router.get(
    "/v1/clusters/{cluster_id}/scorecard",
    response_model=ClusterScorecard,
    summary="One cluster's scorecard",
    responses={
        **ok(SCORECARD_EXAMPLE, "The cluster's scorecard."),
        404: {"description": "Unknown cluster."},
        **ERRORS,
    },
)
def cluster_scorecard(
    request: Request, cluster_id: ClusterId, directory: ScorecardsDirDep, holder: HolderDep
) -> Response:
    """Every metric with value, UK/GB comparator, interval (forecasts), source, vintage and provenance."""
    doc, etag = _doc(directory)
    for c in doc["clusters"]:
        if c["id"] == cluster_id:
            return _respond(
                request, {"provenance": _provenance(holder, doc), "areas": doc["areas"], **c}, etag
            )
    known = [c["id"] for c in doc["clusters"]]
    raise HTTPException(404, detail={"msg": f"unknown cluster {cluster_id!r}", "known": known})


@router.get(
    "/v1/scorecards",
    response_model=ScorecardsDocument,
    summary="All 25 scorecards with the catalogue and the audit",
    responses={**ok(SCORECARDS_EXAMPLE, "The whole scorecard document."), **ERRORS},
)
def all_scorecards(request: Request, directory: ScorecardsDirDep, holder: HolderDep) -> Response:
    """The whole document the HTML report was rendered from."""
    doc, etag = _doc(directory)
    return _respond(request, {**doc, "provenance": _provenance(holder, doc)}, etag)
