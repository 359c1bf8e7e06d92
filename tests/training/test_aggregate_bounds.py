"""The training forecast table caps a child's bands at its parent's (bounds from the published
aggregates) and says why in the metrics table; a child of a measure not bounded at 0 is untouched."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from training_helpers import QUICK

from forecasting.training.config import load_config
from forecasting.training.tables import forecast_table
from forecasting.vocabulary import qcol
from models.base import Forecast


@dataclass
class _Result:  # the fields of auto.SeriesResult the tables read
    forecast: Forecast
    floor: float | None
    method: str = "drift"
    band_sources: list[str] = field(default_factory=list)
    bound_note: str = ""


def _result(qs: tuple[float, ...], centre: list[float], spread: list[float], floor: float | None) -> _Result:
    from scipy.stats import norm

    c, s = np.array(centre), np.array(spread)
    return _Result(Forecast(c, {q: c + norm.ppf(q) * s for q in qs}), floor)


def _table(floor: float | None) -> tuple[pd.DataFrame, dict[str, str]]:
    cfg = load_config(QUICK)
    qs = tuple(cfg.forecast.quantiles)
    results = {
        "m.UK.all.A": _result(qs, [100, 104, 108], [5, 7, 9], floor),
        "m.TLF.all.A": _result(qs, [60, 64, 68], [20, 30, 40], floor),  # its upper band passes the UK's
        "m.TLG.all.A": _result(qs, [40, 41, 42], [3, 4, 5], floor),
    }
    rec = {
        "mean": {},
        "quantiles": {},
        "window": {},
        "edges": pd.DataFrame({"parent_id": ["m.UK.all.A"] * 2, "child_id": ["m.TLF.all.A", "m.TLG.all.A"]}),
    }
    periods = dict.fromkeys(results, [pd.Timestamp("2024-01-01")])
    notes: dict[str, str] = {}
    fc = forecast_table(cfg, results, rec, dict.fromkeys(results, "A"), periods, {}, notes)
    return fc.set_index(["series_id", "step"]).sort_index(), notes


def test_child_above_its_parent_is_capped_and_the_reason_stated() -> None:
    fc, notes = _table(0.0)
    top = qcol(max(load_config(QUICK).forecast.quantiles))
    child, parent = fc.loc["m.TLF.all.A"], fc.loc["m.UK.all.A"]
    assert (child[top] <= parent[top] + 1e-9).all()
    assert set(notes) == {"m.TLF.all.A"} and "m.UK.all.A" in notes["m.TLF.all.A"]
    for _, g in fc.groupby(level=0):  # the bundle's band checks still hold
        qcols = [c for c in g.columns if c.startswith("q")]
        assert (np.diff(g[qcols].to_numpy(), axis=1) >= -1e-9).all()
        for lo, hi in (("q0.1", "q0.9"), ("q0.025", "q0.975")):
            w = (g[hi] - g[lo]).to_numpy()
            assert np.all(w[1:] >= w[:-1] - 1e-9)
        assert ((g["q0.1"] <= g["point"]) & (g["point"] <= g["q0.9"])).all()


def test_child_of_a_measure_that_is_not_floored_is_untouched() -> None:
    fc, notes = _table(None)
    raw = _result(tuple(load_config(QUICK).forecast.quantiles), [60, 64, 68], [20, 30, 40], None)
    top = max(raw.forecast.quantiles)
    assert notes == {}
    assert np.allclose(fc.loc["m.TLF.all.A"][qcol(top)], raw.forecast.quantiles[top])
