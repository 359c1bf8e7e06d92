"""The served scorecard document: a built set as JSON-ready data plus the words that explain it.

Why here and not in ``build``: the build returns numbers and reason codes; this module is where the
catalogue's method texts are filled from each result's details and where reason codes become sentences.
The JSON the API serves, the CSV files, the HTML report and the PDFs are all rendered from this one
document, so they cannot disagree.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from forecasting.scorecards import montecarlo as mc
from forecasting.scorecards.build import SCHEMA_VERSION, ScorecardSet
from forecasting.scorecards.forecast_metrics import QCOLS

PREVIEW_TITLE = "Licensed data preview"
DATA_KIND = {
    "public": "public data",
    "partner": "partner data",
    "synthetic": "synthetic demo data",
    "forecast": "forecast",
}


def json_number(v: Any) -> float | None:
    """A finite float or None (JSON has no NaN)."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


class _Details(dict):
    def __missing__(self, key: str) -> str:
        return "–"


def method_text(template: str, details: dict[str, Any]) -> str:
    """The catalogue's method sentence with {placeholders} filled from a result's details."""
    return string.Formatter().vformat(template, (), _Details(details)).strip()


def exclusion_text(sset: ScorecardSet, metric: str) -> str | None:
    e = sset.excluded.get(metric)
    if e is None:
        return None
    cat = sset.catalogue
    return {
        "context": f"context only: {e.detail}",
        "unavailable": f"unavailable: {e.detail}",
        "synthetic": (
            "synthetic demo data (no licensed partner export configured): shown in the licensed data preview, "
            "never used in any score, rank, star or band"
        ),
        "weight_zero": "weight 0 in the weights file",
        "redundant": f"the same signal as a scored metric ({e.detail}): shown, scored once",
        "no_variation": "no material variation across clusters (spread under 2% of the mean): shown, not scored",
        "area_dropped": (
            f"its area ({cat.areas.get(e.detail, e.detail)}) does not separate clusters and is left out of the composite"
        ),
    }.get(e.code, e.code)


def data_kind(sset: ScorecardSet, metric: str, cluster: str) -> str:
    spec = sset.catalogue.get(metric)
    r = sset.metrics[metric]
    if r.is_synthetic_for(cluster):
        return DATA_KIND["synthetic"]
    if spec.aggregation in ("forecast", "scenario"):
        return DATA_KIND["forecast"]
    return DATA_KIND["partner" if spec.partner else "public"]


def rank_among(sset: ScorecardSet, m: str) -> dict[str, int]:
    """Each cluster's position on one metric (1 = best in the metric's direction), real values only."""
    spec = sset.catalogue.get(m)
    r = sset.metrics[m]
    e = sset.excluded.get(m)
    if not r.available or (e is not None and e.code in ("no_variation", "synthetic")):
        return {}
    v = r.values.where(~r.synthetic) * spec.sign
    if v.dropna().nunique() < 2:
        return {}
    return {c: int(x) for c, x in v.rank(ascending=False, method="min").dropna().items()}


def metric_row(
    sset: ScorecardSet, cid: str, m: str, positions: dict[str, int] | None = None
) -> dict[str, Any]:
    spec = sset.catalogue.get(m)
    r = sset.metrics[m]
    kind = data_kind(sset, m, cid)
    how = method_text(spec.method, r.details) if r.available else r.reason
    if kind == DATA_KIND["partner"] and r.available:
        how = f"Partner data (licensed export: {', '.join(r.sources)}). " + how
    elif kind == DATA_KIND["synthetic"]:
        how = "Synthetic demo data: generated partner file, not real companies, projects or deals. " + how
    ry = sset.reference_years.get(spec.family)
    row: dict[str, Any] = {
        "id": m,
        "name": spec.name,
        "area": spec.area,
        "family": spec.family,
        "reference_year": ry.year if ry else None,
        "unit": spec.unit,
        "direction": spec.direction,
        "value": json_number(r.values.get(cid)),
        "benchmark": json_number(r.benchmark.get(cid)),
        "benchmark_label": spec.benchmark,
        "period": r.period,
        "source": spec.source,
        "source_ids": r.sources,
        "vintage": r.vintage,
        "is_synthetic": r.is_synthetic_for(cid),
        "data_kind": kind,
        "available": r.available,
        "scored": m in sset.scored,
        "preview": m in sset.preview,
        "excluded_code": sset.excluded[m].code if m in sset.excluded else None,
        "excluded_reason": exclusion_text(sset, m),
        "normalised": json_number(sset.normalised[m].get(cid)) if m in sset.normalised else None,
        "rank_among": (positions or {}).get(cid) if r.available and spec.varies_by != "none" else None,
        "aggregation": spec.aggregation,
        "finest_geography": spec.finest_geography,
        "varies_by": spec.varies_by,
        "provenance": how,
        "format": spec.format,
    }
    if r.quantiles is not None and cid in r.quantiles.index:
        q = r.quantiles.loc[cid]
        row["interval"] = {
            "lo95": json_number(q["q0.025"]),
            "lo80": json_number(q["q0.1"]),
            "median": json_number(q["q0.5"]),
            "hi80": json_number(q["q0.9"]),
            "hi95": json_number(q["q0.975"]),
        }
        row["forecast_series"] = r.extra.get("series", {}).get(cid)
    if "scenarios" in r.extra:
        row["scenarios"] = r.extra["scenarios"].get(cid)
    return row


def cluster_dict(
    sset: ScorecardSet, cid: str, positions: dict[str, dict[str, int]] | None = None
) -> dict[str, Any]:
    c = next(c for c in sset.clusters if c.id == cid)
    i = sset.cluster_ids.index(cid)
    names = {x.id: x.name for x in sset.clusters}
    band = int(sset.band[i])
    scores = sset.mc.scores[:, i] * 100
    rob = sset.robustness.ranks.loc[cid]
    positions = positions or {m.id: rank_among(sset, m.id) for m in sset.catalogue.metrics}
    metrics = [metric_row(sset, cid, m.id, positions[m.id]) for m in sset.catalogue.metrics]
    return {
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "sic": list(c.sic),
        "sic_divisions": sorted({code[:2] for code in c.sic}),
        "score": json_number(sset.score[cid] * 100),
        "rank": int(sset.rank[cid]),
        "rank_interval": {
            "median": int(sset.mc.median_rank[i]),
            "p05": int(sset.mc.rank_p05[i]),
            "p95": int(sset.mc.rank_p95[i]),
            "p_top5": json_number(sset.mc.p_top5[i]),
        },
        "score_interval": {
            "p05": json_number(np.nanquantile(scores, 0.05)),
            "median": json_number(np.nanquantile(scores, 0.5)),
            "p95": json_number(np.nanquantile(scores, 0.95)),
        },
        "tier": int(sset.tier[cid]),
        "band": band,
        "band_label": mc.BANDS[band],
        "indistinguishable_from": [{"id": o, "name": names[o]} for o in sset.overlap[cid]],
        "area_scores": {a: json_number(sset.area_scores.loc[cid, a] * 100) for a in sset.area_scores.columns},
        "stars": sset.stars[cid].as_dict(),
        "robustness": {k: int(v) for k, v in rob.items()},
        "robustness_max_shift": int(sset.robustness.max_shift[cid]),
        "metrics": metrics,
        "investment_path": sset.paths.get(cid),
    }


def summary_row(d: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "score", "rank", "rank_interval", "score_interval", "tier", "band", "band_label")
    return {
        **{k: d[k] for k in keys},
        "stars": d["stars"],
        "area_scores": d["area_scores"],
        "robustness_max_shift": d["robustness_max_shift"],
    }


def notes(sset: ScorecardSet) -> list[str]:
    """The plain-language notices every page carries (from the set's flags)."""
    cat = sset.catalogue
    out = []
    if sset.model is None:
        out.append(
            "No champion forecast bundle was available: forecast metrics, the momentum star and scenario "
            "sensitivity are unavailable and the composite uses observed data only."
        )
    if sset.partner_data == "synthetic":
        out.append(
            "No licensed partner exports are configured (INVEST_PARTNER_DIR): partner metrics are synthetic demo "
            f"data, shown only in the {PREVIEW_TITLE.lower()} and never used in any score, rank, star or band."
        )
    elif sset.partner_data == "licensed":
        out.append("Partner metrics use licensed partner exports (partner data) and are scored.")
    elif sset.partner_data == "absent":
        out.append("No partner exports are held: partner metrics are unavailable.")
    for a, d in sset.dropped_areas.items():
        out.append(
            f"The {cat.areas[a]} area scores every cluster within {d['spread']:.1f} points of 100: it does not "
            "separate clusters and is left out of the composite."
        )
    for a in sset.scored_areas:
        kinds = {cat.get(m).varies_by for m in sset.scored if cat.get(m).area == a}
        if kinds == {"place"}:
            out.append(
                f"The {cat.areas[a]} area separates clusters only by where they work (their East/West Midlands and "
                "ITL2 mix), not by their own industries: read it as a statement about places."
            )
    return out


def scorecard_document(sset: ScorecardSet) -> dict[str, Any]:
    """The whole served document (``scorecards.json``)."""
    cat = sset.catalogue
    positions = {m.id: rank_among(sset, m.id) for m in cat.metrics}
    clusters = [cluster_dict(sset, c, positions) for c in sset.cluster_ids]
    by_id = {c["id"]: c for c in clusters}
    fam_metrics: dict[str, list[str]] = {}
    for m in cat.metrics:
        fam_metrics.setdefault(m.family, []).append(m.id)
    return {
        "schema_version": SCHEMA_VERSION,
        "provenance": {
            "data_vintage": sset.data_vintage,
            "model": sset.model,
            "generated_at": sset.generated_at,
            "seed": sset.seed,
            "draws": sset.mc.draws,
            "replicates": sset.replicates,
            "normalisation": sset.normalisation,
            "partner_data": sset.partner_data,
            "weights": {
                "source": sset.weights.source,
                "areas": sset.weights.areas,
                "metrics": sset.weights.metrics,
            },
        },
        "areas": cat.areas,
        "scored_areas": sset.scored_areas,
        "dropped_areas": {
            a: {**d, "reason": "does not separate clusters (area score spread under 2 points)"}
            for a, d in sset.dropped_areas.items()
        },
        "catalogue": [m.model_dump() for m in cat.metrics],
        "scored_metrics": sset.scored,
        "excluded_metrics": {m: exclusion_text(sset, m) for m in sset.excluded},
        "preview_metrics": sset.preview,
        "reference_years": [
            {**ry.as_dict(), "metrics": fam_metrics.get(f, [])} for f, ry in sset.reference_years.items()
        ],
        "input_errors": sset.input_errors,
        "uncertainty": {
            "draws": sset.mc.draws,
            "replicates": sset.replicates,
            "weight_spread": mc.WEIGHT_SPREAD,
            "normalisations": list(mc.METHODS),
            "coverage": sset.coverage,
        },
        "robustness": sset.robustness.as_dict(),
        "audit": sset.audit.as_dict(),
        "notes": notes(sset),
        "ranking": [summary_row(by_id[c]) for c in sset.display_order()],
        "clusters": clusters,
        "quantile_columns": QCOLS,
    }
