"""A small generated bundle for scenario tests, with known truths.

* World FDI flows (US$); UK, FRA and DEU flows = b x World + noise (b = 0.05, 0.03, 0.02): the pass-through.
* The UK inward position (GBP million) accumulates the UK flows converted at a published-style US$/GBP
  rate plus "other changes"; East and West Midlands take 3% and 6% of the UK's changes (the exposures),
  the unallocated rest the remainder; MID = TLF + TLG.
* Midlands project counts (MID -> TLF/TLG -> TLG1/TLG3 -> two LADs) respond to World FDI, elasticity 0.8.
* Equity deals in Coventry carry no signal at all (log changes orthogonal to every driver's).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from bundle_parts import make_catalogue, make_metadata, make_metrics
from scipy import stats

from forecasting.registry.contents import BundleContents
from forecasting.registry.schema import DriverInfo
from forecasting.training.drivers import alias_of
from forecasting.training.macro import rate_info
from forecasting.training.transmission import estimate_transmission
from forecasting.units import RateTable
from forecasting.vocabulary import QUANTILE_GRID

WLD = "fdi_net_inflows_usd.WLD.all.A"
UKF = "fdi_net_inflows_usd.UK.all.A"
FRA = "fdi_net_inflows_usd.FRA.all.A"
DEU = "fdi_net_inflows_usd.DEU.all.A"
POS = "fdi_inward_position.{}.all.A"
P = "fdi_projects.{}.all.A"
NOISE = "equity_deals.E08000026.all.A"
PASS_THROUGH = {UKF: 0.05, FRA: 0.03, DEU: 0.02}
EXPOSURE = {"TLF": 0.03, "TLG": 0.06}
# Midlands project tree: MID = TLF + TLG; TLG = TLG3 + TLG1; TLG3 = Coventry + Birmingham
LEAVES = ("TLF", "TLG1", "E08000026", "E08000025")
EDGES = (
    ("MID", "TLF"),
    ("MID", "TLG"),
    ("TLG", "TLG1"),
    ("TLG", "TLG3"),
    ("TLG3", "E08000026"),
    ("TLG3", "E08000025"),
)
POS_EDGES = (("UK", "TLF"), ("UK", "TLG"), ("UK", "UK-UNALLOC"), ("MID", "TLF"), ("MID", "TLG"))
YEARS = list(range(2000, 2025))
H = 8


def rates_panel() -> pd.DataFrame:
    """Monthly US$ per GBP (FRED-like) and a GDP deflator (2019 = 100), canonical rows."""
    rng = np.random.default_rng(5)
    months = pd.date_range("1999-01-01", "2025-12-01", freq="MS")
    usd = 1.4 * np.exp(np.cumsum(rng.normal(0, 0.01, len(months))))
    rows = [("usd_per_gbp", "UK", m, v) for m, v in zip(months, usd, strict=True)]
    years = np.arange(1999, 2026)
    defl = 100 * 1.02 ** (years - 2019)
    rows += [
        ("gdp_deflator_annual", "UK", pd.Timestamp(int(y), 1, 1), v) for y, v in zip(years, defl, strict=True)
    ]
    for y, v in zip(years, defl, strict=True):
        rows += [("gdp_deflator", "UK", pd.Timestamp(int(y), m, 1), v) for m in (1, 4, 7, 10)]
    return pd.DataFrame(rows, columns=["measure", "geography", "period", "value"])


def rates() -> RateTable:
    return RateTable.from_panel(rates_panel())


def _panel() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = len(YEARS)
    lw = np.log(1.5e12) + np.cumsum(rng.normal(0.03, 0.15, n))
    world = np.exp(lw)
    rows: list[tuple[str, int, float]] = [(WLD, y, v) for y, v in zip(YEARS, world, strict=True)]
    flows = {}
    for sid, b in PASS_THROUGH.items():
        flows[sid] = b * world + rng.normal(0, 0.006 * world.mean(), n)
        rows += [(sid, y, v) for y, v in zip(YEARS, flows[sid], strict=True)]
    usd = rates().usd_per_gbp("A")
    r = np.array([usd[pd.Timestamp(y, 1, 1)] for y in YEARS])
    flow_gbp_m = flows[UKF] / r / 1e6
    uk = [600_000.0]
    for t in range(1, n):
        uk.append(uk[-1] + flow_gbp_m[t] + rng.normal(0.02 * uk[-1], 0.01 * uk[-1]))
    uk = np.array(uk)
    d_uk = np.diff(uk)
    reg = {}
    for g, s in EXPOSURE.items():
        level0 = s * uk[0] * (0.8 if g == "TLF" else 1.3)  # shares of the level differ from those of changes
        reg[g] = np.r_[
            level0, level0 + np.cumsum(s * d_uk + rng.normal(0, 0.002 * np.abs(d_uk).mean(), n - 1))
        ]
    reg["UK-UNALLOC"] = uk - reg["TLF"] - reg["TLG"]
    reg["UK"], reg["MID"] = uk, reg["TLF"] + reg["TLG"]
    for g, vals in reg.items():
        rows += [(POS.format(g), y, v) for y, v in zip(YEARS, vals, strict=True)]
    base = {"TLF": 30.0, "TLG1": 10.0, "E08000026": 12.0, "E08000025": 20.0}
    leaf_vals = {g: b * np.exp(0.8 * (lw - lw[0]) + rng.normal(0, 0.05, n)) for g, b in base.items()}
    leaf_vals["TLG3"] = leaf_vals["E08000026"] + leaf_vals["E08000025"]
    leaf_vals["TLG"] = leaf_vals["TLG3"] + leaf_vals["TLG1"]
    leaf_vals["MID"] = leaf_vals["TLG"] + leaf_vals["TLF"]
    for g, vals in leaf_vals.items():
        rows += [(P.format(g), y, v) for y, v in zip(YEARS, vals, strict=True)]
    # no signal: log changes orthogonal (in sample) to World's and the UK flows' log changes
    x = np.column_stack([np.ones(n - 1), np.diff(lw), np.diff(np.log(np.abs(flows[UKF])))])
    e = rng.normal(0, 0.1, n - 1)
    e -= x @ np.linalg.lstsq(x, e, rcond=None)[0]
    rows += [(NOISE, y, v) for y, v in zip(YEARS, 40 * np.exp(np.r_[0, np.cumsum(e)]), strict=True)]
    df = pd.DataFrame(rows, columns=["series_id", "year", "value"])
    parts = df["series_id"].str.split(".", expand=True)
    df["measure"], df["geography"], df["cluster"], df["frequency"] = parts[0], parts[1], parts[2], parts[3]
    df["period"] = pd.to_datetime(df["year"].astype(str) + "-01-01")
    return df.drop(columns="year")


def edges() -> pd.DataFrame:
    rows = [(P.format(a), P.format(b)) for a, b in EDGES] + [
        (POS.format(a), POS.format(b)) for a, b in POS_EDGES
    ]
    return pd.DataFrame(rows, columns=["parent_id", "child_id"])


def _forecasts(panel: pd.DataFrame) -> pd.DataFrame:
    """Drift-ish baselines with Gaussian quantiles; aggregates are exact sums of their leaves."""
    last = panel.sort_values("period").groupby("series_id")["value"].last()
    means: dict[str, np.ndarray] = {sid: v * (1.02 ** np.arange(1, H + 1)) for sid, v in last.items()}
    for g in LEAVES:
        means[P.format(g)] = last[P.format(g)] * (1.03 ** np.arange(1, H + 1))
    means[P.format("TLG3")] = means[P.format("E08000026")] + means[P.format("E08000025")]
    means[P.format("TLG")] = means[P.format("TLG3")] + means[P.format("TLG1")]
    means[P.format("MID")] = means[P.format("TLG")] + means[P.format("TLF")]
    for g in ("TLF", "TLG", "UK-UNALLOC"):
        means[POS.format(g)] = last[POS.format(g)] + 0.02 * last[POS.format("UK")] * np.arange(1, H + 1) / 3
    means[POS.format("UK")] = sum(means[POS.format(g)] for g in ("TLF", "TLG", "UK-UNALLOC"))
    means[POS.format("MID")] = means[POS.format("TLF")] + means[POS.format("TLG")]
    rows = []
    nonneg = {s for s in means if s.startswith(("fdi_projects", "equity"))}
    for sid, m in means.items():
        sd = 0.1 * np.abs(m) * np.sqrt(np.arange(1, H + 1))
        for k in range(H):
            t = pd.Timestamp(2025 + k, 1, 1)
            row = {"series_id": sid, "step": k + 1, "period": str(2025 + k), "period_start": t, "mean": m[k]}
            qv = [m[k] + stats.norm.ppf(q) * sd[k] for q in QUANTILE_GRID]
            row |= {
                f"q{q:g}": (max(v, 0.0) if sid in nonneg else v)
                for q, v in zip(QUANTILE_GRID, qv, strict=True)
            }
            row |= {
                "method": "drift",
                "base_method": "drift",
                "fallback": "",
                "reconciled": True,
                "reconciliation_shift": 0.0,
                "kind": "nowcast" if k == 0 else "forecast",
            }
            rows.append(row)
    return pd.DataFrame(rows)


def catalogue(ids: list[str]) -> pd.DataFrame:
    def unit(s: str) -> tuple[str, str | None, str, str]:
        if s.startswith("fdi_net"):
            return "USD", "USD", "current", "flow"
        if s.startswith("fdi_inward"):
            return "GBP million", "GBP", "current", "stock"
        return ("projects" if s.startswith("fdi_projects") else "deals"), None, "none", "count"

    u = [unit(s) for s in ids]
    return make_catalogue(
        ids,
        unit=[x[0] for x in u],
        currency=[x[1] for x in u],
        price_basis=[x[2] for x in u],
        quantity=[x[3] for x in u],
        non_negative=[s.startswith(("fdi_projects", "equity")) for s in ids],
        is_synthetic=[s.startswith("fdi_projects") for s in ids],
    )


def transmission(panel: pd.DataFrame, with_rates: bool = True) -> pd.DataFrame:
    ids = sorted(panel["series_id"].unique())
    targets = [s for s in ids if s != WLD]
    return estimate_transmission(
        panel, None, [WLD, UKF], targets, rates=rates() if with_rates else None, hierarchy=edges()
    )


def make_bundle(**metadata: object) -> BundleContents:
    panel = _panel()
    ids = sorted(panel["series_id"].unique())
    hist = panel.assign(period_start=panel["period"], period=panel["period"].dt.year.astype(str))
    hist = hist[["series_id", "period", "period_start", "value"]].assign(source="synthetic", vintage="v1")
    return BundleContents(
        catalogue=catalogue(ids),
        history=hist,
        forecasts=_forecasts(panel),
        metrics=make_metrics(ids),
        level_metrics=pd.DataFrame(),
        hierarchy=edges(),
        transmission=transmission(panel),
        metadata=make_metadata(
            model_name="test",
            max_horizon=H,
            drivers=[DriverInfo(series_id=d, alias=alias_of(d)) for d in (WLD, UKF)],
            rates=rate_info(rates()),
            **metadata,
        ),
    )
