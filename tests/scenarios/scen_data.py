"""A small generated bundle for scenario tests: World -> UK FDI, and Midlands -> region -> LA project counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from bundle_parts import make_metadata
from scipy import stats

from forecasting.registry.contents import BundleContents
from forecasting.registry.schema import DriverInfo
from forecasting.training.drivers import alias_of
from forecasting.training.transmission import estimate_transmission
from forecasting.vocabulary import QUANTILE_GRID

WLD = "fdi_net_inflows_usd.WLD.all.A"
UKF = "fdi_net_inflows_usd.UK.all.A"
P = "fdi_projects.{}.all.A"
# Midlands tree: MID = TLF + TLG; TLG = TLG3 + TLG1; TLG3 = Coventry + Birmingham (edges as the bundle holds)
LEAVES = ("TLF", "TLG1", "E08000026", "E08000025")
EDGES = (
    ("MID", "TLF"),
    ("MID", "TLG"),
    ("TLG", "TLG1"),
    ("TLG", "TLG3"),
    ("TLG3", "E08000026"),
    ("TLG3", "E08000025"),
)
YEARS = list(range(2000, 2025))
H = 5


def _panel() -> pd.DataFrame:
    """Driver histories and positive Midlands project counts responding to World FDI (elasticity ~0.8)."""
    rng = np.random.default_rng(11)
    n = len(YEARS)
    lw = np.log(1.5e12) + np.cumsum(rng.normal(0.03, 0.15, n))
    world = np.exp(lw)
    uk = world * 0.04 * np.exp(rng.normal(0, 0.1, n))
    base = {"TLF": 30.0, "TLG1": 10.0, "E08000026": 12.0, "E08000025": 20.0}
    rows = []
    for sid, vals in ((WLD, world), (UKF, uk)):
        rows += [(sid, y, v) for y, v in zip(YEARS, vals, strict=True)]
    leaf_vals = {}
    for g, b in base.items():
        leaf_vals[g] = b * np.exp(0.8 * (lw - lw[0]) + rng.normal(0, 0.05, n))
    leaf_vals["TLG3"] = leaf_vals["E08000026"] + leaf_vals["E08000025"]
    leaf_vals["TLG"] = leaf_vals["TLG3"] + leaf_vals["TLG1"]
    leaf_vals["MID"] = leaf_vals["TLG"] + leaf_vals["TLF"]
    for g, vals in leaf_vals.items():
        rows += [(P.format(g), y, v) for y, v in zip(YEARS, vals, strict=True)]
    df = pd.DataFrame(rows, columns=["series_id", "year", "value"])
    parts = df["series_id"].str.split(".", expand=True)
    df["measure"], df["geography"], df["cluster"], df["frequency"] = parts[0], parts[1], parts[2], parts[3]
    df["period"] = pd.to_datetime(df["year"].astype(str) + "-01-01")
    return df.drop(columns="year")


def _forecasts(panel: pd.DataFrame) -> pd.DataFrame:
    """Drift-ish baselines with Gaussian quantiles; aggregates are exact sums of their leaves."""
    last = panel.sort_values("period").groupby("series_id")["value"].last()
    means: dict[str, np.ndarray] = {}
    for sid, v in last.items():
        means[sid] = v * (1.02 ** np.arange(1, H + 1))
    for g in LEAVES:
        means[P.format(g)] = last[P.format(g)] * (1.03 ** np.arange(1, H + 1))
    means[P.format("TLG3")] = means[P.format("E08000026")] + means[P.format("E08000025")]
    means[P.format("TLG")] = means[P.format("TLG3")] + means[P.format("TLG1")]
    means[P.format("MID")] = means[P.format("TLG")] + means[P.format("TLF")]
    rows = []
    for sid, m in means.items():
        sd = 0.1 * np.abs(m) * np.sqrt(np.arange(1, H + 1))
        for k in range(H):
            t = pd.Timestamp(2025 + k, 1, 1)
            row = {"series_id": sid, "step": k + 1, "period": str(2025 + k), "period_start": t, "mean": m[k]}
            row |= {f"q{q:g}": max(m[k] + stats.norm.ppf(q) * sd[k], 0.0) for q in QUANTILE_GRID}
            row |= {"method": "drift", "fallback": "", "reconciled": True, "kind": "forecast"}
            rows.append(row)
    return pd.DataFrame(rows)


def make_bundle() -> BundleContents:
    panel = _panel()
    ids = sorted(panel["series_id"].unique())
    cat = pd.DataFrame(
        {
            "series_id": ids,
            "measure": [s.split(".")[0] for s in ids],
            "geography": [s.split(".")[1] for s in ids],
            "cluster": "all",
            "frequency": "A",
            "unit": ["USD" if s.startswith("fdi_net") else "projects" for s in ids],
            "aggregation": "sum",
            "non_negative": [not s.startswith("fdi_net") for s in ids],
        }
    )
    hist = panel.assign(period_start=panel["period"], period=panel["period"].dt.year.astype(str))
    hist = hist[["series_id", "period", "period_start", "value"]].assign(source="synthetic", vintage="v1")
    edges = pd.DataFrame([(P.format(a), P.format(b)) for a, b in EDGES], columns=["parent_id", "child_id"])
    targets = [s for s in ids if s != WLD]
    tab = estimate_transmission(panel, cat, [WLD, UKF], targets, seed=7)
    return BundleContents(
        catalogue=cat,
        history=hist,
        forecasts=_forecasts(panel),
        metrics=pd.DataFrame(),
        level_metrics=pd.DataFrame(),
        hierarchy=edges,
        transmission=tab,
        metadata=make_metadata(
            model_name="test",
            max_horizon=H,
            drivers=[DriverInfo(series_id=d, alias=alias_of(d)) for d in (WLD, UKF)],
        ),
    )
