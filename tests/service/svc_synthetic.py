"""Small realistic ``BundleContents`` built in memory (unit tests that need no training run)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from bundle_parts import make_metadata
from scipy import stats

from forecasting.registry.contents import BundleContents
from forecasting.vocabulary import QUANTILE_GRID

GEOS = {
    "TLF": ("East Midlands", "itl1"),
    "TLG": ("West Midlands", "itl1"),
    "TLG3": ("West Midlands CA", "itl2"),
}


def make_contents(shift: float = 0.0, vintage: str = "v20251124T101500") -> BundleContents:
    rng = np.random.default_rng(7)
    cat, hist, fc, met = [], [], [], []
    for measure, freq, h, src in (
        ("fdi_inward_position", "A", 5, "ons_fdi"),
        ("business_investment", "Q", 8, "ons_bi"),
    ):
        for geo, (name, level) in GEOS.items():
            sid = f"{measure}.{geo}.all.{freq}"
            months = 12 if freq == "A" else 3
            starts = pd.date_range("2015-01-01", periods=8, freq=f"{months}MS")
            y = 100 + np.cumsum(rng.normal(2, 3, len(starts)))
            label = (
                (lambda t: f"{t.year}") if freq == "A" else (lambda t: f"{t.year}Q{(t.month - 1) // 3 + 1}")
            )
            cat.append(
                dict(
                    series_id=sid,
                    measure=measure,
                    geography=geo,
                    geography_name=name,
                    geography_level=level,
                    cluster="all",
                    frequency=freq,
                    unit="GBP million",
                    aggregation="sum",
                    non_negative=True,
                    start=label(starts[0]),
                    end=label(starts[-1]),
                    n=len(y),
                    source=src,
                    is_synthetic=False,
                    data_vintage=vintage,
                )
            )
            for t, v in zip(starts, y, strict=True):
                hist.append(
                    dict(
                        series_id=sid,
                        period=label(t),
                        period_start=t,
                        value=float(v),
                        source=src,
                        vintage=vintage,
                    )
                )
            for step in range(1, h + 1):
                t = starts[-1] + pd.DateOffset(months=months * step)
                mean = float(y[-1] + 2 * step + shift)
                row = dict(series_id=sid, step=step, period=label(t), period_start=t, mean=mean)
                row |= {f"q{q:g}": mean + stats.norm.ppf(q) * 3 * np.sqrt(step) for q in QUANTILE_GRID}
                row |= dict(
                    method="ets" if geo != "TLG3" else "combo(ets,theta)",
                    fallback="",
                    reconciled=True,
                    kind="forecast",
                    base_method="ets",
                    reconciliation_shift=0.0,
                )
                fc.append(row)
            met.append(
                dict(
                    series_id=sid,
                    level=level,
                    method="ets",
                    mase=0.8,
                    rmsse=0.9,
                    crps=1.2,
                    coverage80=0.8,
                    coverage95=0.95,
                )
            )
    empty = pd.DataFrame()
    return BundleContents(
        catalogue=pd.DataFrame(cat),
        history=pd.DataFrame(hist),
        forecasts=pd.DataFrame(fc),
        metrics=pd.DataFrame(met),
        level_metrics=pd.DataFrame(
            [{"level": "itl1", "n_series": 4, "mase_base": 0.9, "mase_reconciled": 0.85, "helped": True}]
        ),
        hierarchy=empty,
        transmission=empty,
        states={},
        metadata=make_metadata(
            data_vintage=vintage, experiment="unit", max_horizon=8, model_name="investment-forecaster"
        ),
    )
