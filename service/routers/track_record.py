"""How past forecasts of a series turned out: the served bundle's track record (``invest track-record``).

Why from the bundle: the replay trains every publisher release of a series (minutes of work), so it runs
as its own command (``invest track-record --attach``) and the next training job puts the result into the
bundle's ``track_record`` / ``track_record_points`` tables. Serving it from the champion keeps the numbers
beside the fan chart of the same model version.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from service.deps import ModelDep
from service.http import not_found
from service.schemas import SID, Message, NotFound, TrackRecord, ValidationError422
from service.served import ServedModel
from service.strict_json import StrictJSONRoute

router = APIRouter(prefix="/v1", tags=["track record"], route_class=StrictJSONRoute)

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {
        "model": NotFound,
        "description": "Unknown series, or no track record for it in the served bundle.",
    },
    422: {"model": ValidationError422, "description": "A bad parameter (the field is named in `loc`)."},
    503: {"model": Message, "description": "No model loaded."},
}
SeriesQuery = Annotated[
    str,
    Query(
        max_length=300,
        description="measure.geography.cluster.frequency",
        openapi_examples={"bi": {"value": "business_investment_cvm_sa.UK.all.Q"}, "fdi": {"value": SID}},
    ),
]


def _clean(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    return None if isinstance(v, float) and not math.isfinite(v) else v


def track_record_of(model: ServedModel, series_id: str) -> dict[str, Any]:
    """The response body for one series (raises 404 with the reason)."""
    if series_id not in model.series:
        raise not_found(series_id, model)
    contents = model.contents
    summary = getattr(contents, "track_record", None) if contents is not None else None
    points = getattr(contents, "track_record_points", None) if contents is not None else None
    rows = summary[summary["series_id"] == series_id] if summary is not None and not summary.empty else None
    if rows is None or rows.empty:
        raise HTTPException(
            404,
            detail={
                "message": f"no track record for {series_id!r} in the served bundle",
                "series_id": series_id,
                "how": f"invest track-record --series {series_id} --attach, then invest train (or invest run)",
            },
        )
    pts = points[points["series_id"] == series_id] if points is not None and not points.empty else None
    vintages = []
    if pts is not None:
        for (release, last), g in pts.groupby(["release", "last_observed"], sort=True):
            vintages.append(
                {
                    "release": str(release),
                    "last_observed": str(last),
                    "points": [
                        {
                            k: _clean(v)
                            for k, v in r.items()
                            if k not in ("series_id", "release", "last_observed")
                        }
                        for r in g.sort_values(["kind", "horizon", "period"]).to_dict("records")
                    ],
                }
            )
    first = rows.iloc[0]
    entry = model.series[series_id]
    return {
        "series_id": series_id,
        "unit": entry.info.get("unit"),
        "experiment": str(first["experiment"]),
        "outturn_release": str(first["outturn_release"]),
        "computed_at": str(first["computed_at"]),
        "vintages_scored": int(rows["vintages"].max()),
        "summary": [
            {
                k: _clean(r.get(k))
                for k in (
                    "kind",
                    "horizon",
                    "n",
                    "model",
                    "naive",
                    "drift",
                    "ratio_naive",
                    "coverage80",
                    "coverage95",
                )
            }
            for r in rows.sort_values(["kind", "horizon"]).to_dict("records")
        ],
        "vintages": vintages,
        "model": model.provenance(),
    }


@router.get("/track-record", response_model=TrackRecord, responses=ERRORS)
async def get_track_record(series_id: SeriesQuery, model: ModelDep) -> dict[str, Any]:
    """How past forecasts of a series turned out, vintage by vintage, against no-change and drift."""
    return track_record_of(model, series_id)
