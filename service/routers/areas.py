"""Area profiles as written by `invest profiles`: the list of areas and each area's profile (JSON, PDF).

Why serve the written files: the profile pages, their PDFs and this API then show one document. Profiles
live in ``<data_dir>/reports/profiles`` (``service.deps.get_profiles_dir``). An area that exists but has no
profile yet gets a 404 saying how to write it; an unknown code or name gets the closest matches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from forecasting.errors import NotFound
from forecasting.profiles.areas import resolve_area
from service.deps import ProfilesDirDep
from service.documents import WrittenDir, json_response, pdf_response
from service.examples import ok
from service.schemas import AreaList, AreaProfile

router = APIRouter(tags=["areas"])
MISSING = "no area profiles written yet: run `invest profiles --all-midlands` (or `--area CODE`)"
ERRORS: dict[int | str, dict[str, Any]] = {503: {"description": MISSING}}
AreaKey = Annotated[
    str,
    PathParam(
        min_length=1,
        max_length=80,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ,.'&()-]*$",
        description="Area code (E08000025, TLG31, E47000007) or name (Birmingham, Derby, Lincolnshire).",
    ),
]


AREAS_EXAMPLE: dict[str, Any] = {
    "data_vintage": "20261207T022110382573Z",
    "generated_at": "2026-12-07T02:30:00Z",
    "model": "investment-forecaster v3 (data 20261207T022110382573Z)",
    "count": 1,
    "items": [
        {
            "code": "E08000025",
            "name": "Birmingham",
            "level": "lad",
            "level_label": "Local authority",
            "midlands": True,
            "pdf": True,
        }
    ],
}
_GVA = {
    "id": "gva_cp",
    "label": "GVA, current prices",
    "value": 35427.0,
    "unit": "GBP million",
    "price_basis": "current",
    "year": 2023,
    "measure": "gva_cp",
    "geography": "E08000025",
    "geography_name": "Birmingham",
    "geography_level": "lad",
    "source": "ons_la_gdp_2025",
    "release": "2025-10-10",
    "vintage": "20261207T022110382573Z",
    "kind": "observed",
    "basis": "published for this area",
}
PROFILE_EXAMPLE: dict[str, Any] = {
    "area": {
        "code": "E08000025",
        "name": "Birmingham",
        "level": "lad",
        "level_label": "Local authority",
        "midlands": True,
        "parents": [{"code": "TLG31", "name": "Birmingham", "level": "itl3"}],
        "groups": [{"code": "E47000007", "name": "West Midlands", "level": "combined_authority"}],
        "members": [],
    },
    "provenance": {
        "data_vintage": "20261207T022110382573Z",
        "generated_at": "2026-12-07T02:30:00Z",
        "model": {"name": "investment-forecaster", "version": "3", "data_vintage": "20261207T022110382573Z"},
        "synthetic": "excluded: demo partner files are never used in a profile",
    },
    "insights": [
        {
            "text": "Birmingham's GVA was £35,427m in 2023 (current prices).",
            "section": "economy",
            "figures": ["gva_cp"],
            "numbers": [{"figure": "gva_cp", "shown": "£35,427m"}],
        }
    ],
    "figures": {"gva_cp": _GVA},
    "sections": {"economy": {"status": "ok", "note": "", "figures": [_GVA]}},
    "history": {"gva_cp": [{"year": 2023, "value": 35427.0}]},
}


def _index(directory: WrittenDir) -> tuple[dict[str, Any], str]:
    return directory.read_json("index.json", MISSING)


def _code(directory: WrittenDir, key: str) -> str:
    """The code of a written profile for ``key`` (a code or a name); 404s say what to do."""
    index, _ = _index(directory)
    written = {a["code"] for a in index["areas"]}
    if key in written:
        return key
    try:
        area = resolve_area(key)
    except NotFound as exc:
        raise HTTPException(404, detail=str(exc)) from None
    if area.code not in written:
        raise HTTPException(
            404,
            detail=f"no profile written for {area.name} ({area.code}): run `invest profiles --area {area.code}`",
        )
    return area.code


@router.get(
    "/v1/areas",
    response_model=AreaList,
    summary="Areas with a profile (local authorities, combined authorities, counties, ITL areas)",
    responses={**ok(AREAS_EXAMPLE, "The written profiles, Midlands first."), **ERRORS},
)
def list_areas(
    request: Request,
    directory: ProfilesDirDep,
    q: Annotated[str | None, Query(max_length=80, description="Words in the area's name or code.")] = None,
    level: Annotated[
        str | None,
        Query(pattern=r"^(lad|combined_authority|county|itl1|itl2|itl3)$", description="Only this kind."),
    ] = None,
) -> Response:
    """The written profiles, Midlands first; ``q`` filters by name or code words (case-insensitive)."""
    index, etag = _index(directory)
    items = index["areas"]
    if level:
        items = [a for a in items if a["level"] == level]
    if q:
        words = q.lower().split()
        items = [a for a in items if all(w in f"{a['name']} {a['code']}".lower() for w in words)]
    body = {
        "data_vintage": index["data_vintage"],
        "generated_at": index["generated_at"],
        "model": index["model"],
        "count": len(items),
        "items": items,
    }
    return json_response(request, body, f'{etag[:-1]}-{hash((q, level)) & 0xFFFF:x}"')


@router.get(
    "/v1/areas/{area}/profile",
    response_model=AreaProfile,
    summary="One area's profile: figures with sources and years, clusters, forecasts, peers, key insights",
    responses={
        **ok(PROFILE_EXAMPLE, "The area's profile document (abridged here)."),
        404: {"description": "Unknown area (with the closest matches) or no profile written."},
        **ERRORS,
    },
)
def area_profile(request: Request, area: AreaKey, directory: ProfilesDirDep) -> Response:
    """The document the profile page and PDF were rendered from: every figure with its source, release,
    unit, year and where it was published; insight sentences listing the figures they state."""
    code = _code(directory, area)
    doc, etag = directory.read_json(Path("areas") / f"{code}.json", MISSING)
    return json_response(request, doc, etag)


@router.get(
    "/v1/areas/{area}/profile.pdf",
    summary="One area's profile as printed (A4 PDF)",
    response_class=Response,
    responses={
        200: {
            "description": "The PDF as printed by `invest profiles`.",
            "content": {
                "application/pdf": {
                    "schema": {"type": "string", "format": "binary"},
                    "example": "%PDF-1.7 … (binary: A4 pages printed by headless Chromium)",
                }
            },
        },
        404: {"description": "Unknown area, or the profiles were written without PDFs."},
        **ERRORS,
    },
)
def area_profile_pdf(request: Request, area: AreaKey, directory: ProfilesDirDep) -> Response:
    """The profile page printed by `invest profiles` with the system Chromium (A4, same numbers as the JSON)."""
    code = _code(directory, area)
    return pdf_response(
        request,
        directory / "pdf" / f"{code}.pdf",
        f"no PDF for {code}: the profiles were written with --no-pdf; run `invest profiles --area {code}`",
    )
