"""Each cluster's investment history and forecast fan, in the form the report and the API show.

Why here and not in the report: the API serves the same numbers the charts draw, so the series are built
once, with their provenance, in the scorecard set.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecasting.reference.geography import MIDLANDS_ITL1
from forecasting.scorecards.forecast_metrics import QCOLS, BundleInfo, summed_path
from forecasting.scorecards.inputs import Inputs
from forecasting.scorecards.partner_metrics import partner_rows
from forecasting.scorecards.result import MetricResult, provenance
from forecasting.vocabulary import SeriesId


def _points(periods: list[str], values: np.ndarray) -> list[dict[str, Any]]:
    return [{"period": p, "value": float(v)} for p, v in zip(periods, values, strict=True) if np.isfinite(v)]


def _fan(fc: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"period": str(r["period"]), **{q: float(r[q]) for q in QCOLS}} for r in fc.to_dict("records")]


def _own_path(info: BundleInfo, sid: str, lads: list[str]) -> dict[str, Any] | None:
    """History and fan of the cluster's own series (or the sum of its Midlands LAD series)."""
    ident = SeriesId.parse(sid)
    ids = [sid] if ident.geography == "MID" else [str(ident.at(lad)) for lad in lads]
    summed = summed_path(info, [i for i in ids if info.has(i) and not info.is_synthetic(i)], sid)
    if summed is None:
        return None
    h = info.contents.history
    h = h[h["series_id"].isin(ids)]
    hist = h.groupby(h["period_start"].dt.year)["value"].sum().sort_index()
    hist = hist.reindex(range(int(hist.index.min()), int(hist.index.max()) + 1), fill_value=0.0)
    where = (
        "Midlands"
        if ident.geography == "MID"
        else f"sum of {h['series_id'].nunique()} Midlands Local Authorities"
    )
    return {
        "label": f"FDI projects into the cluster ({where})",
        "unit": "projects",
        "history": _points([str(p) for p in hist.index], hist.to_numpy(float)),
        "forecast": _fan(summed[1]),
        "is_synthetic": summed[0].is_synthetic,
        "source": "forecast bundle history (partner FDI project list)",
        "vintage": info.data_vintage,
        "model": info.label,
        "apportioned": False,
    }


def _apportioned_path(inp: Inputs, info: BundleInfo | None, share: pd.Series) -> dict[str, Any] | None:
    fdi = inp.get("fdi_inward_position")
    fdi = fdi[fdi["geography"].isin(MIDLANDS_ITL1)]
    if fdi.empty:
        return None
    wide = fdi.pivot_table(index="period", columns="geography", values="value").reindex(
        columns=list(MIDLANDS_ITL1)
    )
    hist = (wide * share.reindex(list(MIDLANDS_ITL1)).to_numpy()).sum(axis=1, min_count=2)
    prov = provenance(fdi)
    src, vint, syn = prov.sources, prov.vintage, prov.synthetic
    out: dict[str, Any] = {
        "label": "Inward FDI position apportioned to the cluster (GBP million)",
        "unit": "GBP million",
        "history": _points([str(p.year) for p in hist.index], hist.to_numpy(float)),
        "forecast": [],
        "is_synthetic": syn,
        "source": ", ".join(src),
        "vintage": vint,
        "model": None,
        "apportioned": True,
    }
    if info is not None:
        fc = info.contents.forecasts
        parts = [
            fc[fc["series_id"] == f"fdi_inward_position.{r}.all.A"].sort_values("step") for r in MIDLANDS_ITL1
        ]
        if all(len(p) for p in parts):
            h = min(len(p) for p in parts)
            q = sum(
                float(share.get(r, 0.0)) * p[QCOLS].to_numpy(float)[:h]
                for r, p in zip(MIDLANDS_ITL1, parts, strict=True)
            )
            fan = pd.DataFrame(q, columns=QCOLS)
            fan["period"] = parts[0]["period"].astype(str).to_numpy()[:h]
            out["forecast"] = _fan(fan)
            out["model"] = info.label
    return out


def _partner_years(inp: Inputs, cid: str) -> dict[str, Any] | None:
    frames = {}
    for m in ("fdi_projects", "equity_deals"):
        df = inp.get(m)
        frames[m] = partner_rows(df[df["geography"].isin(inp.midlands_lads) & (df["cluster"] == cid)])
    if all(f.empty for f in frames.values()):
        return None
    years = sorted({int(y) for f in frames.values() for y in f["period"].dt.year})
    prov = provenance(*frames.values())
    src, vint, syn = prov.sources, prov.vintage, prov.synthetic
    return {
        "years": years,
        **{m: [float(f[f["period"].dt.year == y]["value"].sum()) for y in years] for m, f in frames.items()},
        "is_synthetic": syn,
        "source": ", ".join(src),
        "vintage": vint,
    }


def investment_paths(
    inp: Inputs,
    info: BundleInfo | None,
    shares: pd.DataFrame | None,
    metrics: dict[str, MetricResult],
    own_measure: str,
) -> dict[str, dict[str, Any]]:
    """Per cluster: the FDI history with its forecast fan (licensed own series, else the apportioned
    regional position) and the partner lists' yearly counts (flagged synthetic when they are demo data)."""
    used = metrics["forecast_fdi_growth"].extra.get("series", {}) if "forecast_fdi_growth" in metrics else {}
    own_prefix = own_measure + ".MID."
    out: dict[str, dict[str, Any]] = {}
    for cid in inp.cluster_ids:
        sid = used.get(cid, "")
        if info is not None and sid.startswith(own_prefix):
            fdi = _own_path(info, sid, inp.midlands_lads)
        elif shares is not None and cid in shares.columns:
            fdi = _apportioned_path(inp, info, shares[cid].fillna(0.0))
        else:
            fdi = None
        out[cid] = {"fdi": fdi, "partner": _partner_years(inp, cid)}
    return out
