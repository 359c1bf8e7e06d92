"""A bridge nowcast: the quarters of a series not yet published, from a monthly indicator already out.

Business investment is published about six weeks after its quarter; monthly GDP (ONS ECY2, the monthly
GVA index) covers the same months sooner. The bridge is one documented regression, estimated on data
as published at the vintage date:

    dlog BI_q = a + b * dlog GDP_q + e,

``GDP_q`` the quarterly average of the monthly index; quarters of the shock years (the experiment's
``[scenarios] shock_years``: 2009, 2020) are left out so that a pandemic quarter does not set the slope,
and so are one-off reclassifications (residuals beyond 4 robust standard deviations, e.g. 2005Q2).
A quarter after the last published one is bridged when at least one of its months was out by the vintage
date (a month is taken as published ``PUBLICATION_DAYS`` after it ends); a partial quarter compares the
average of its published months with the previous quarter's. Later quarters keep the engine's forecast.

Caveat (stated wherever it is used): the warehouse holds one monthly GDP release (July 2026), so the
indicator's *availability* is real-time but its values are as revised since; the bridge's coefficients
use business investment as published at each vintage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Which monthly indicator bridges which quarterly measure.
BRIDGES: dict[str, str] = {
    "business_investment_cvm_sa": "uk_gva_index_m.UK.all.M",
}
PUBLICATION_DAYS = 42  # ONS monthly GDP: about six weeks after the month ends
MIN_QUARTERS = 20
OUTLIER_MADS = 4.0


@dataclass(frozen=True)
class Bridge:
    """Bridged quarters of one vintage: level and q/q log growth, and how many months each used."""

    indicator: str
    intercept: float
    slope: float
    resid_sd: float
    n_quarters: int
    periods: tuple[pd.Timestamp, ...]
    levels: tuple[float, ...]
    months: tuple[int, ...]

    def describe(self) -> str:
        used = ", ".join(
            f"{p.year}Q{(p.month - 1) // 3 + 1} ({m} mo)"
            for p, m in zip(self.periods, self.months, strict=True)
        )
        return (
            f"bridge on {self.indicator}: dlog BI = {self.intercept:.4f} + {self.slope:.3f} dlog GDP "
            f"({self.n_quarters} quarters, resid sd {self.resid_sd:.4f}); {used}"
        )


def published_months(monthly: pd.Series, release: str) -> pd.Series:
    """Months whose estimate was out by ``release`` (month end + ``PUBLICATION_DAYS``)."""
    idx = pd.DatetimeIndex(monthly.index)
    out_by = idx + pd.offsets.MonthEnd(0) + pd.Timedelta(days=PUBLICATION_DAYS)
    return monthly[out_by <= pd.Timestamp(release)].sort_index()


def quarterly_average(monthly: pd.Series) -> pd.DataFrame:
    """Per quarter start: mean of its months and how many there are."""
    idx = pd.DatetimeIndex(monthly.index)
    q = idx.to_period("Q").start_time
    g = monthly.groupby(q)
    return pd.DataFrame({"mean": g.mean(), "months": g.count()})


def fit_bridge(
    quarterly: pd.Series, monthly: pd.Series, exclude_years: tuple[int, ...]
) -> tuple[float, float, float, int]:
    """OLS of quarterly log growth on the monthly indicator's quarterly-average log growth."""
    qa = quarterly_average(monthly)
    full = qa.loc[qa["months"] == 3, "mean"]
    gq = np.log(quarterly.sort_index()).diff()
    gm = np.log(full).diff()
    both = pd.concat({"y": gq, "x": gm}, axis=1).dropna()
    both = both[~pd.DatetimeIndex(both.index).year.isin(exclude_years)]
    if len(both) < MIN_QUARTERS:
        raise ValueError(f"{len(both)} quarters shared with the monthly indicator; need {MIN_QUARTERS}")
    X = np.column_stack([np.ones(len(both)), both["x"].to_numpy()])
    y = both["y"].to_numpy()
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    # one-off reclassifications (2005Q2: BNFL's nuclear liabilities moved to the NDA, +46% then -41% in
    # business investment) are not what monthly GDP can explain: quarters beyond OUTLIER_MADS robust
    # standard deviations are left out and the line refitted once
    scale = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    keep = np.abs(resid) <= OUTLIER_MADS * max(scale, 1e-8)  # (an exact fit has no outliers)
    coef, *_ = np.linalg.lstsq(X[keep], y[keep], rcond=None)
    resid = y[keep] - X[keep] @ coef
    return float(coef[0]), float(coef[1]), float(np.std(resid, ddof=2)), int(keep.sum())


def bridge_nowcast(
    quarterly: pd.Series,
    monthly: pd.Series,
    release: str,
    indicator: str,
    exclude_years: tuple[int, ...] = (2009, 2020),
) -> Bridge | None:
    """The quarters after ``quarterly``'s last that monthly data out by ``release`` cover (None: none)."""
    known = published_months(monthly, release)
    if known.empty:
        return None
    a, b, sd, n = fit_bridge(quarterly, known, exclude_years)
    qa = quarterly_average(known)
    last = pd.Timestamp(quarterly.index.max())
    level = float(quarterly.sort_index().iloc[-1])
    periods, levels, months = [], [], []
    q = last + pd.DateOffset(months=3)
    while q in qa.index:
        prev = q - pd.DateOffset(months=3)
        if prev not in qa.index or qa.at[prev, "months"] < 3:
            break
        x = np.log(qa.at[q, "mean"] / qa.at[prev, "mean"])
        level = level * float(np.exp(a + b * x))
        periods.append(q)
        levels.append(level)
        months.append(int(qa.at[q, "months"]))
        if qa.at[q, "months"] < 3:
            break
        q = q + pd.DateOffset(months=3)
    if not periods:
        return None
    return Bridge(indicator, a, b, sd, n, tuple(periods), tuple(levels), tuple(months))


def apply_bridge_nowcasts(
    forecasts: pd.DataFrame,
    panel: pd.DataFrame,
    *,
    warehouse: object,
    present: pd.Timestamp,
    exclude_years: tuple[int, ...] = (2009, 2020),
) -> pd.DataFrame:
    """The bundle's forecasts with bridged quarters in place of the engine's nowcast (module doc): the
    mean moves to the bridge, the interval keeps the engine's relative width (wider than the bridge's own
    residual error: conservative), later steps are re-anchored, and ``indicators`` says what was used."""
    from forecasting.vocabulary import parse_series_id

    out = forecasts.copy()
    if "indicators" not in out:
        out["indicators"] = ""
    qcols = [c for c in out.columns if c.startswith("q0.")]
    rows_of = out.groupby("series_id").indices
    for s in sorted(rows_of):
        sid = parse_series_id(s)
        ind = BRIDGES.get(sid.measure)
        if ind is None or sid.frequency != "Q":
            continue
        try:
            monthly = warehouse.series(ind).set_index("period")["value"].astype(float)  # type: ignore[attr-defined]
        except Exception:  # the indicator is not in the warehouse: the engine alone
            continue
        hist = panel.loc[panel["series_id"] == s].set_index("period")["value"].astype(float).sort_index()
        try:
            b = bridge_nowcast(hist, monthly, present.date().isoformat(), ind, exclude_years)
        except ValueError:
            continue
        if b is None:
            continue
        idx = out.index[rows_of[s]]
        ratio, last = 1.0, None
        for i in idx:
            start = pd.Timestamp(out.at[i, "period_start"])
            if start in b.periods:
                level = b.levels[b.periods.index(start)]
                ratio = level / out.at[i, "mean"]
                out.loc[i, ["mean", *qcols]] = out.loc[i, ["mean", *qcols]].to_numpy(dtype=float) * ratio
                out.at[i, "indicators"] = b.describe()
                last = out.at[i, "period"]
            elif last is not None:
                out.loc[i, ["mean", *qcols]] = out.loc[i, ["mean", *qcols]].to_numpy(dtype=float) * ratio
                out.at[i, "indicators"] = f"re-anchored on the {last} bridge nowcast from {ind}"
    return out
