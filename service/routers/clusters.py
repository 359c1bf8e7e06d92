"""The 25 cluster scorecards as written by `invest scorecards` / `invest run` (same numbers as the report).

Why serve the written files rather than recompute: the scorecards combine the warehouse with a Monte Carlo
over the champion's forecasts; serving the one document the report was rendered from guarantees the API
and the report agree. The document is re-read when its file changes. Where it lives: ``service.deps.get_scorecards_dir``
(``settings.scorecards_dir`` if set, else
``<data_dir>/reports/scorecards``). Responses are the written document's bytes; their shapes are
declared as response models and checked against real documents by the contract tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from service.deps import HolderDep, ScorecardsDirDep
from service.documents import WrittenDir, json_response, pdf_response
from service.examples import CLUSTERS_EXAMPLE, SCORECARD_EXAMPLE, SCORECARDS_EXAMPLE, ok
from service.lifecycle import ModelHolder
from service.schemas import ClusterList, ClusterScorecard, ScorecardsDocument

router = APIRouter(tags=["clusters"])

ERRORS: dict[int | str, dict[str, Any]] = {
    503: {"description": "No scorecards written yet (run `invest scorecards` or `invest run`)."},
}
ClusterId = Annotated[
    str, PathParam(max_length=100, pattern=r"^[a-z0-9-]+$", description="Cluster id, e.g. automotive")
]


def _provenance(holder: ModelHolder, doc: dict[str, Any]) -> dict[str, Any]:
    """The scorecards' provenance plus whether the API now serves a different model than they used."""
    prov = dict(doc.get("provenance", {}))
    served = holder.model
    used = (prov.get("model") or {}).get("model_version")
    prov["served_model_version"] = getattr(served, "version", None)
    prov["stale"] = bool(served is not None and used is not None and str(served.version) != str(used))
    return prov


MISSING = "no scorecards written yet: run `invest scorecards` or `invest run`"


def _doc(directory: WrittenDir) -> tuple[dict[str, Any], str]:
    return directory.read_json("scorecards.json", MISSING)


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


def _pdf(request: Request, directory: WrittenDir, path: Path) -> Response:
    """A written PDF with an ETag from its size and modification time (re-read when the file changes)."""
    _doc(directory)  # 503 when no scorecards are written at all, as on every cluster route
    return pdf_response(
        request, path, f"no {path.name}: the scorecards were written without PDFs; run `invest scorecards`"
    )


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
    return json_response(request, body, etag)


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
            return json_response(
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
    return json_response(request, {**doc, "provenance": _provenance(holder, doc)}, etag)


# ---- cluster evidence: validation of the declared clusters and candidate clusters -------------------------
# Served as written by `invest clusters validate|discover` and `invest scorecards` (beside scorecards.json),
# so the API, the CLI's JSON and the report's chapters show the same numbers. Response models live here:
# they describe only these two documents (forecasting/clusters/evidence.py writes them).

Verdict = Literal["validated", "emerging", "not evidenced"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Specialisation(_Open):
    midlands_lq: float | None = Field(description="Location quotient of the Midlands against Great Britain.")
    lq_low: float | None = Field(description="Lower end of the LQ range (BRES rounding x basket choice).")
    lq_high: float | None
    lq_basket_range: list[float | None] = Field(description="Min and max LQ over the basket variants.")
    basket_variants: dict[str, float | None]
    region_wide: bool
    hotspots: list[str] = Field(description="Midlands ITL2 areas specialised at the hotspot threshold.")
    passed: bool


class CriticalMass(_Open):
    jobs: int
    businesses: int | None
    business_year: int | None
    passed: bool


class Growth(_Open):
    midlands_growth: float | None = Field(description="% a year, Midlands cluster employment (BRES).")
    gb_growth: float | None
    national_effect: float | None
    industry_mix_effect: float | None
    competitive_effect: float | None = Field(description="Shift-share competitive effect, pp a year.")
    first_year: int
    year: int
    gva: dict[str, Any] = Field(description="GVA growth where the industry detail allows, with its detail.")
    passed: bool


class AreaEvidence(_Open):
    area: str
    name: str
    jobs: int
    lq: float | None
    lq_low: float | None
    lq_high: float | None


class Concentration(_Open):
    hhi_ratio: float | None = Field(description="HHI across Midlands ITL2 areas / HHI of all employment.")
    top_area: str | None
    top_area_share: float | None
    areas: list[AreaEvidence]
    passed: bool


class ClusterVerdict(_Open):
    cluster: str
    name: str
    verdict: Verdict
    reason: str
    specialisation: Specialisation
    critical_mass: CriticalMass
    growth: Growth
    concentration: Concentration


class InvestmentOutcome(_Open):
    label: str
    unit: str
    source: str
    n: int
    available: bool
    slope: float | None = None
    slope_90: list[float] | None = None
    r: float | None = None
    r_90: list[float] | None = None
    spearman_rho: float | None = None
    p_value: float | None = None
    reading: str | None = None


class InvestmentRelationship(_Open):
    strength_definition: str
    areas: int
    outcomes: dict[str, InvestmentOutcome]
    caveat: str
    midlands: dict[str, dict[str, Any]]
    gb_median_strength: float | None


class ValidationDocument(_Open):
    criteria: dict[str, Any]
    year: int
    first_year: int
    midlands_areas: list[dict[str, str]]
    counts: dict[str, int]
    clusters: list[ClusterVerdict]
    provenance: dict[str, Any]
    method: str
    definitions: dict[str, Any]
    investment: InvestmentRelationship


class Candidate(_Open):
    id: str
    name: str
    kind: Literal["specialised group", "co-locating groups"]
    sic: list[str] = Field(description="SIC groups (3-digit) the candidate is made of.")
    colocation_mean_r: float | None = None
    midlands_lq: float | None
    lq_low: float | None
    lq_high: float | None
    jobs: int
    gb_jobs: int
    businesses: int | None
    best_area: dict[str, Any]
    overlap: dict[str, float] = Field(
        description="Share of its Midlands jobs in each declared cluster's basket."
    )
    declared_share: float


class CandidatesDocument(_Open):
    criteria: dict[str, Any]
    year: int
    screened_groups: int
    colocation_groups: int
    candidates: list[Candidate]
    more: int
    provenance: dict[str, Any]
    method: str
    definitions: dict[str, Any]


def _evidence(directory: WrittenDir, name: str, command: str) -> tuple[dict[str, Any], str]:
    return directory.read_json(
        name, f"no {name} written yet: run `invest clusters {command}` or `invest scorecards`"
    )


_AREA = {"area": "TLG3", "name": "West Midlands", "jobs": 31500, "lq": 2.1, "lq_low": 1.98, "lq_high": 2.22}
VALIDATION_EXAMPLE: dict[str, Any] = {
    "criteria": {
        "specialisation": {"midlands_lq": 1.1, "hotspot_lq": 1.25},
        "critical_mass": {"jobs": 10000},
    },
    "year": 2021,
    "first_year": 2015,
    "midlands_areas": [{"area": "TLG3", "name": "West Midlands"}],
    "counts": {"validated": 13, "emerging": 5, "not evidenced": 7},
    "clusters": [
        {
            "cluster": "automotive",
            "name": "Automotive",
            "verdict": "validated",
            "reason": "specialised and of critical mass",
            "specialisation": {
                "midlands_lq": 2.67,
                "lq_low": 2.47,
                "lq_high": 2.82,
                "lq_basket_range": [2.45, 2.84],
                "basket_variants": {"as defined": 2.67, "without 291": 2.45},
                "region_wide": True,
                "hotspots": ["TLG1", "TLG2", "TLG3"],
                "passed": True,
            },
            "critical_mass": {"jobs": 70800, "businesses": 1395, "business_year": 2021, "passed": True},
            "growth": {
                "midlands_growth": 1.6,
                "gb_growth": 0.3,
                "national_effect": 1.1,
                "industry_mix_effect": -0.8,
                "competitive_effect": 1.3,
                "first_year": 2015,
                "year": 2021,
                "gva": {
                    "available": True,
                    "growth": -1.6,
                    "detail": "apportioned by BRES employment within slices",
                },
                "passed": True,
            },
            "concentration": {
                "hhi_ratio": 1.46,
                "top_area": "TLG3",
                "top_area_share": 0.44,
                "areas": [_AREA],
                "passed": True,
            },
        }
    ],
    "provenance": {"sources": ["bres_employment_sic5"], "data_vintage": "20261207T014603Z"},
    "method": "Location quotients against Great Britain from BRES ...",
    "definitions": {"file": "clusters.toml", "overlap_audit": []},
    "investment": {
        "strength_definition": "share of an area's employment in declared clusters where its LQ is at least 1.25",
        "areas": 40,
        "outcomes": {
            "gva_growth": {
                "label": "GVA growth 2015-2022 (current prices)",
                "unit": "pp a year per percentage point of employment in strong clusters",
                "source": "ONS regional GVA (balanced) by ITL2",
                "n": 40,
                "available": True,
                "slope": 0.026,
                "slope_90": [-0.004, 0.052],
                "r": 0.23,
                "r_90": [-0.04, 0.43],
                "spearman_rho": 0.23,
                "p_value": 0.15,
                "reading": "no clear association (the 90% interval of the slope includes zero)",
            }
        },
        "caveat": "A cross-section of GB ITL2 areas: associations, not effects.",
        "midlands": {"TLG3": {"name": "West Midlands", "strength": 5.6}},
        "gb_median_strength": 12.0,
    },
}
CANDIDATES_EXAMPLE: dict[str, Any] = {
    "criteria": {"group_level": 3, "min_lq": 1.25},
    "year": 2021,
    "screened_groups": 220,
    "colocation_groups": 35,
    "candidates": [
        {
            "id": "sic-162",
            "name": "Manufacture of products of wood, cork, straw and plaiting materials",
            "kind": "specialised group",
            "sic": ["162"],
            "midlands_lq": 1.81,
            "lq_low": 1.78,
            "lq_high": 1.83,
            "jobs": 17745,
            "gb_jobs": 64000,
            "businesses": 2672,
            "best_area": {"area": "TLF2", "name": "Leicestershire, Rutland and Northamptonshire", "lq": 2.91},
            "overlap": {},
            "declared_share": 0.0,
        }
    ],
    "more": 20,
    "provenance": {"sources": ["bres_employment_sic5"], "data_vintage": "20261207T014603Z"},
    "method": "SIC 3-digit groups with at least 5,000 GB jobs are screened ...",
    "definitions": {"file": "clusters.toml", "overlap_audit": []},
}

EVIDENCE_ERRORS: dict[int | str, dict[str, Any]] = {
    503: {"description": "Not written yet (run `invest clusters validate|discover` or `invest scorecards`)."},
}


@router.get(
    "/v1/clusters/validation",
    response_model=ValidationDocument,
    summary="Each declared cluster's verdict (validated / emerging / not evidenced) with the numbers behind it",
    responses={
        **ok(VALIDATION_EXAMPLE, "Verdicts with their numbers, criteria and provenance."),
        **EVIDENCE_ERRORS,
    },
)
def cluster_validation(request: Request, directory: ScorecardsDirDep) -> Response:
    """Specialisation (LQ with rounding and basket-choice range), critical mass, growth (shift-share, GVA),
    concentration, the criteria used, and how cluster strength relates to FDI and GVA growth across areas."""
    doc, etag = _evidence(directory, "cluster_validation.json", "validate")
    return json_response(request, doc, etag)


@router.get(
    "/v1/clusters/candidates",
    response_model=CandidatesDocument,
    summary="Candidate clusters the declared list misses, with specialisation, size and overlap",
    responses={**ok(CANDIDATES_EXAMPLE, "Candidates with their evidence."), **EVIDENCE_ERRORS},
)
def cluster_candidates(request: Request, directory: ScorecardsDirDep) -> Response:
    """Specialised SIC groups and co-locating groups of industries, each with its evidence."""
    doc, etag = _evidence(directory, "cluster_candidates.json", "discover")
    return json_response(request, doc, etag)
