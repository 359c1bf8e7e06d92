"""One area's profile as data: sections of figures with provenance, forecasts, peers and key insights.

Why data first: the JSON the API serves, the HTML page and the PDF are all rendered from this one
document, so a number reads the same everywhere. Every figure says where it was published (the area, the
sum of its districts, or the nearest parent when the area has none) and every insight sentence lists the
figures it states.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from forecasting.profiles import insights as insight_text
from forecasting.profiles.areas import LEVEL_LABELS, ProfileArea
from forecasting.profiles.figures import Figure, derived, finest, latest, own_or_members
from forecasting.profiles.inputs import (
    BUSINESS,
    EXPORTS,
    INVESTMENT_FDI,
    RD,
    ProfileInputs,
)
from forecasting.profiles.peers import peers
from forecasting.profiles.structure import cluster_specialisation, industry_structure
from forecasting.reference.geography import MIDLANDS_ITL1

NOT_PUBLISHED = "not published at this level"
LABELS = {
    "gva_cp": "GVA, current prices",
    "gdp_cp": "GDP, current prices",
    "population": "Population",
    "gva_per_filled_job": "GVA per filled job",
    "gva_per_hour_worked": "GVA per hour worked",
    "active_businesses": "Active businesses",
    "business_birth_rate": "Business birth rate",
    "business_death_rate": "Business death rate",
    "high_growth_rate": "High-growth businesses",
    "survival_rate_3y": "3-year survival rate",
    "fdi_inward_position": "Inward FDI position",
    "fdi_outward_position": "Outward FDI position",
    "exports_value": "Exports of goods and services",
    "berd": "Business enterprise R&D",
    "public_rd": "Publicly funded R&D",
    "gfcf_dwellings_cp": "GFCF in dwellings (experimental)",
    "gfcf_other_buildings_cp": "GFCF in other buildings and structures (experimental)",
}
FORECAST_MEASURES = ("gva_cp", "gdp_cp", "population", "fdi_inward_position", "exports_value")


def _section(figures: list[Figure | None], note: str = "") -> dict[str, Any]:
    shown = [f.to_dict() for f in figures if f is not None]
    return {"status": "ok" if shown else NOT_PUBLISHED, "note": note, "figures": shown}


def _value_in(rows: pd.DataFrame, year: int) -> float | None:
    hit = rows[pd.to_datetime(rows["period"]).dt.year == year]
    return float(hit["value"].iloc[0]) if len(hit) else None


def _sum_of(inputs: ProfileInputs, measure: str, parts: list[str]) -> pd.DataFrame:
    """``parts`` summed in the years every one of them publishes (empty when none)."""
    frames = [inputs.series(measure, c) for c in parts]
    frames = [f for f in frames if not f.empty]
    if len(frames) < len(parts) or not frames:
        return pd.DataFrame(columns=["period", "value"])
    frame = pd.concat(frames)
    counts = frame.groupby("period")["value"].count()
    frame = frame[frame["period"].isin(counts[counts == len(parts)].index)]
    return frame.groupby("period", as_index=False)["value"].sum()


def _comparator(inputs: ProfileInputs, measure: str, which: str) -> pd.DataFrame:
    """The Midlands (East + West) or the UK for a summable measure, in every year either basis allows: the
    published regions (or UK row), else the sum of every district where only the districts are published
    that recently (the local-authority release runs a year beyond the regional one)."""
    cache = inputs.__dict__.setdefault("_comparators", {})
    key = (measure, which)
    if key not in cache:
        geo = inputs.geography
        lads = [c for c in geo.codes("lad") if geo.area(c).status == "current"]
        if which == "midlands":
            top = _sum_of(inputs, measure, list(MIDLANDS_ITL1))
            lads = [c for c in lads if geo.is_midlands(c)]
        else:
            top = inputs.series(measure, "UK")[["period", "value"]]
            lads = [c for c in lads if inputs.series(measure, c).shape[0]]
        if inputs.measures.get(measure) is None or inputs.measures[measure].aggregation != "sum":
            cache[key] = top
        else:
            bottom = (
                _sum_of(inputs, measure, lads) if len(lads) >= (60 if which == "midlands" else 350) else top
            )
            extra = bottom[~bottom["period"].isin(top["period"])] if len(bottom) else bottom
            cache[key] = pd.concat([top, extra]).sort_values("period") if len(extra) else top
    return cache[key]


def _growth(rows: pd.DataFrame, year: int, years: int = 1) -> float | None:
    now, before = _value_in(rows, year), _value_in(rows, year - years)
    if now is None or before is None or before <= 0:
        return None
    return ((now / before) ** (1 / years) - 1) * 100


def economy(inputs: ProfileInputs, area: ProfileArea) -> tuple[dict, dict[str, Figure]]:
    """GVA, GDP, population, GVA per head and per job, and growth against the Midlands and the UK."""
    figs: dict[str, Figure] = {}
    for measure in ("gva_cp", "gdp_cp", "population", "gva_per_filled_job", "gva_per_hour_worked"):
        f = latest(inputs, measure, LABELS[measure], measure, area.code)
        if f is not None:
            figs[measure] = f
    gva = figs.get("gva_cp")
    if gva is not None and gva.geography == area.code:
        rows, _ = own_or_members(inputs, "gva_cp", area.code)
        y = gva.year
        for years, tag in ((1, "1y"), (5, "5y")):
            g = _growth(rows, y, years)
            if g is None:
                continue
            label = f"GVA growth {y - 1}-{y}" if years == 1 else f"GVA growth {y - 5}-{y}, a year"
            figs[f"gva_growth_{tag}"] = derived(f"gva_growth_{tag}", label, g, "percent", y, gva, [gva])
            for comp in ("midlands", "uk"):
                comp_rows = _comparator(inputs, "gva_cp", comp)
                cg = _growth(comp_rows, y, years) if not comp_rows.empty else None
                if cg is not None:
                    name = "Midlands" if comp == "midlands" else "UK"
                    fid = f"gva_growth_{tag}_{comp}"
                    figs[fid] = derived(fid, f"{label}, {name}", cg, "percent", y, gva, [gva])
    pop = figs.get("population")
    if gva is not None and pop is not None and gva.geography == area.code and pop.geography == area.code:
        rows_g, _ = own_or_members(inputs, "gva_cp", area.code)
        rows_p, _ = own_or_members(inputs, "population", area.code)
        year = min(gva.year, pop.year)
        g_v, p_v = _value_in(rows_g, year), _value_in(rows_p, year)
        if g_v and p_v:
            figs["gva_per_head"] = derived(
                "gva_per_head", f"GVA per head, {year}", g_v * 1e6 / p_v, "GBP", year, gva, [gva, pop]
            )
            for comp in ("midlands", "uk"):
                g_rows, p_rows = _comparator(inputs, "gva_cp", comp), _comparator(inputs, "population", comp)
                cg = _value_in(g_rows, year) if not g_rows.empty else None
                cp = _value_in(p_rows, year) if not p_rows.empty else None
                if cg and cp:
                    name = "Midlands" if comp == "midlands" else "UK"
                    fid = f"gva_per_head_{comp}"
                    figs[fid] = derived(
                        fid, f"GVA per head, {year}, {name}", cg * 1e6 / cp, "GBP", year, gva, [gva, pop]
                    )
    job = figs.get("gva_per_filled_job")
    if job is not None:
        region = [a for a in inputs.geography.ancestors(job.geography) if inputs.geography.level(a) == "itl1"]
        if region:
            r_rows = inputs.series("gva_per_filled_job", region[0])
            rv = _value_in(r_rows, job.year) if not r_rows.empty else None
            if rv:
                figs["gva_per_filled_job_region"] = derived(
                    "gva_per_filled_job_region",
                    f"GVA per filled job, {job.year}, {inputs.geography.name(region[0])}",
                    rv,
                    job.unit,
                    job.year,
                    job,
                    [job],
                )
    return _section(list(figs.values())), figs


def simple_section(
    inputs: ProfileInputs, area: ProfileArea, measures: tuple[str, ...]
) -> tuple[dict, dict[str, Figure]]:
    figs = {m: latest(inputs, m, LABELS.get(m, m), m, area.code) for m in measures}
    kept = {k: v for k, v in figs.items() if v is not None}
    for m, f in list(kept.items()):
        if m in BUSINESS and f.geography == area.code:
            uk = inputs.series(m, "UK")
            uv = _value_in(uk, f.year) if not uk.empty else None
            if uv is not None:
                kept[f"{m}_uk"] = derived(f"{m}_uk", f"{f.label}, UK", uv, f.unit, f.year, f, [f])
    return _section(list(kept.values())), kept


def investment(inputs: ProfileInputs, area: ProfileArea) -> tuple[dict, dict[str, Figure]]:
    figs: dict[str, Figure] = {}
    for m in inputs.gfcf_measures():
        label = LABELS[m]
        f = latest(inputs, m, label, m, area.code)
        if f is not None:
            figs[m] = f
    for m in INVESTMENT_FDI:
        f = latest(inputs, m, LABELS[m], m, area.code)
        if f is not None:
            figs[m] = f
    note = (
        "Regional GFCF is experimental and covers dwellings and other buildings and structures only (no "
        "machinery, ICT or intangibles). FDI positions are published for regions, ITL2 areas and combined "
        "authorities: the finest published area is shown."
    )
    return _section(list(figs.values()), note), figs


def _history(inputs: ProfileInputs, measure: str, code: str) -> list[dict[str, Any]]:
    rows, used, basis = finest(inputs, measure, code)
    if rows.empty or used != code:
        return []
    return [
        {"year": int(pd.Timestamp(p).year), "value": float(v)}
        for p, v in zip(rows["period"], rows["value"], strict=True)
        if math.isfinite(float(v))
    ]


def forecasts(bundle: Any | None, inputs: ProfileInputs, area: ProfileArea) -> dict[str, Any]:
    """The champion's forecasts of this area's series, with honesty labels and last observed period."""
    if bundle is None:
        return {
            "status": "no model",
            "note": "no champion model was available when the profile was built",
            "series": [],
        }
    contents = bundle.contents
    cat = contents.catalogue
    ids = cat.loc[
        (cat["geography"] == area.code)
        & (cat["cluster"] == "all")
        & cat["measure"].isin(FORECAST_MEASURES)
        & ~cat["is_synthetic"].astype(bool),
        "series_id",
    ].tolist()
    out = []
    fc = contents.forecasts
    for sid in sorted(ids):
        c = cat[cat["series_id"] == sid].iloc[0]
        rows = fc[fc["series_id"] == sid].sort_values("step").head(5)
        steps = []
        for d in rows.to_dict("records"):
            steps.append(
                {
                    "period": str(d["period"]),
                    "kind": str(d.get("kind", "forecast")),
                    "median": float(d["q0.5"]),
                    "mean": float(d["mean"]),
                    "lo80": float(d["q0.1"]),
                    "hi80": float(d["q0.9"]),
                    "lo95": float(d["q0.025"]),
                    "hi95": float(d["q0.975"]),
                }
            )
        out.append(
            {
                "series_id": sid,
                "label": LABELS.get(str(c["measure"]), str(c["measure"])),
                "unit": str(c["unit"]),
                "last_observed": str(c["last_observed"]) if "last_observed" in c else "",
                "nowcast_periods": int(c["nowcast_periods"]) if "nowcast_periods" in c else 0,
                "months_behind": int(c["months_behind"]) if "months_behind" in c else None,
                "stale": bool(c.get("stale", False)),
                "source": str(c.get("source", "")),
                "steps": steps,
            }
        )
    model = {"name": bundle.model_name, "version": bundle.version, "data_vintage": bundle.data_vintage}
    status = "ok" if out else NOT_PUBLISHED
    note = "" if out else "the model forecasts no series for this area; see its region's profile"
    return {"status": status, "note": note, "model": model, "series": out}


def build_profile(
    inputs: ProfileInputs, area: ProfileArea, bundle: Any | None = None, generated_at: str | None = None
) -> dict[str, Any]:
    """The profile document for one area."""
    geo = inputs.geography
    eco, eco_figs = economy(inputs, area)
    bus, bus_figs = simple_section(inputs, area, BUSINESS)
    inv, inv_figs = investment(inputs, area)
    exp, exp_figs = simple_section(inputs, area, EXPORTS)
    rd, rd_figs = simple_section(inputs, area, RD)
    industry = industry_structure(inputs, area.code)
    clusters = cluster_specialisation(inputs, area.code)
    figures = {**eco_figs, **bus_figs, **inv_figs, **exp_figs, **rd_figs}
    parents = [
        {"code": a, "name": geo.name(a), "level": geo.level(a)}
        for a in geo.ancestors(area.code)
        if geo.level(a) in ("itl3", "itl2", "itl1")
    ]
    groups = sorted(g for g, members in inputs.memberships.items() if area.code in members)
    members = list(inputs.memberships.get(area.code, ()))
    doc: dict[str, Any] = {
        "area": {
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "level_label": LEVEL_LABELS[area.level],
            "midlands": area.midlands,
            "parents": parents,
            "groups": [{"code": g, "name": geo.name(g), "level": geo.level(g)} for g in groups],
            "members": [{"code": m, "name": geo.name(m)} for m in members],
        },
        "provenance": {
            "data_vintage": inputs.data_vintage,
            "generated_at": generated_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "model": None
            if bundle is None
            else {"name": bundle.model_name, "version": bundle.version, "data_vintage": bundle.data_vintage},
            "synthetic": "excluded: demo partner files are never used in a profile",
        },
        "sections": {
            "economy": eco,
            "industry": industry or {"status": NOT_PUBLISHED, "rows": []},
            "clusters": clusters or {"status": NOT_PUBLISHED, "rows": []},
            "business": bus,
            "investment": inv,
            "exports": exp,
            "rd": rd,
            "forecasts": forecasts(bundle, inputs, area),
            "peers": peers(inputs, area.code),
        },
        "history": {m: _history(inputs, m, area.code) for m in ("gva_cp", "population", "active_businesses")},
        "figures": {k: v.to_dict() for k, v in figures.items()},
    }
    for key in ("industry", "clusters"):
        sec = doc["sections"][key]
        sec.setdefault("status", "ok")
    doc["insights"] = insight_text.insights(doc)
    return _finite(doc)


def _finite(obj: Any) -> Any:
    """Standard JSON only: a non-finite number becomes null (never NaN in a served document)."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(float(obj)) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
