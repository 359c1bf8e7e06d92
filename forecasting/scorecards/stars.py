"""Star ratings in the European Cluster Observatory style, plus a forecast momentum star.

Why these rules: the Observatory's three stars (size, specialisation, focus) are widely understood by
cluster practitioners; we apply them to the Midlands (East + West Midlands as one region) against the
other Great Britain ITL1 regions, with BRES employment:

* size: the cluster's Midlands employment is at or above the 90th percentile of employment across all
  region x cluster pairs (the Observatory's "top 10%");
* specialisation: location quotient against Great Britain >= 2;
* focus: the cluster's share of Midlands employment is at or above the 90th percentile of that share
  across all region x cluster pairs;
* momentum (ours): the forecast FDI growth has its 80% interval lower bound (q0.1) above zero *and* a
  median at or above the UK forecast; unknown (None) without a forecast.

Percentiles use numpy's default linear interpolation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SPECIALISATION_LQ = 2.0
TOP_SHARE = 0.9


@dataclass(frozen=True)
class Stars:
    size: bool
    specialisation: bool
    focus: bool
    momentum: bool | None

    @property
    def count(self) -> int:
        return int(self.size) + int(self.specialisation) + int(self.focus) + int(bool(self.momentum))

    def as_dict(self) -> dict[str, bool | None | int | str]:
        return {
            "size": self.size,
            "specialisation": self.specialisation,
            "focus": self.focus,
            "momentum": self.momentum,
            "count": self.count,
            "label": star_label(self),
        }


DIMENSIONS = (
    ("size", "Size"),
    ("specialisation", "Specialisation"),
    ("focus", "Focus"),
    ("momentum", "Momentum"),
)


def star_label(s: Stars) -> str:
    """Every dimension named with its mark, so a star reads the same on screen and in print.

    "Size ★ · Specialisation ☆ · Focus ★ · Momentum –": ★ awarded, ☆ not awarded, – not assessable.
    """
    marks = []
    for key, name in DIMENSIONS:
        v = getattr(s, key)
        marks.append(f"{name} {'–' if v is None else ('★' if v else '☆')}")
    return " · ".join(marks)


def region_cluster_table(
    region_emp: pd.DataFrame, region_total: pd.Series, home: list[str], home_code: str = "MID"
) -> tuple[pd.DataFrame, pd.Series]:
    """Merge the ``home`` regions into one row (the Midlands) and keep every other region as is."""
    emp = region_emp.drop(index=[r for r in home if r in region_emp.index])
    emp.loc[home_code] = region_emp.reindex(home).sum()
    tot = region_total.drop(index=[r for r in home if r in region_total.index])
    tot.loc[home_code] = region_total.reindex(home).sum()
    return emp, tot


def ratings(
    emp: pd.DataFrame,
    total: pd.Series,
    lq: pd.Series,
    forecast_q10: pd.Series | None = None,
    forecast_median: pd.Series | None = None,
    benchmark_median: float | None = None,
    home_code: str = "MID",
) -> dict[str, Stars]:
    """Stars per cluster. ``emp``: regions x clusters (the home region a row); ``total``: region totals."""
    size_cut = float(np.nanquantile(emp.to_numpy(float), TOP_SHARE))
    shares = emp.div(total.reindex(emp.index), axis=0)
    focus_cut = float(np.nanquantile(shares.to_numpy(float), TOP_SHARE))
    out: dict[str, Stars] = {}
    for c in emp.columns:
        momentum: bool | None = None
        if (
            forecast_q10 is not None
            and forecast_median is not None
            and not np.isnan(forecast_q10.get(c, np.nan))
        ):
            bench = (
                benchmark_median if benchmark_median is not None and np.isfinite(benchmark_median) else 0.0
            )
            momentum = bool(forecast_q10[c] > 0 and forecast_median[c] >= bench)
        out[c] = Stars(
            size=bool(emp.loc[home_code, c] >= size_cut),
            specialisation=bool(lq.get(c, np.nan) >= SPECIALISATION_LQ),
            focus=bool(shares.loc[home_code, c] >= focus_cut),
            momentum=momentum,
        )
    return out
