"""Training stores the calibrators forecast_many applied, and the bundle's bands are served as finished."""

from __future__ import annotations

import numpy as np
from training_helpers import QUICK, synthetic_data

from forecasting.evaluation import auto
from forecasting.training import pipeline
from forecasting.training.config import load_config


def test_stored_calibrators_are_the_applied_ones_and_bands_widen(monkeypatch) -> None:
    seen = []
    real = auto.forecast_many

    def spy(*a, **k):
        out = real(*a, **k)
        seen.append(out)
        return out

    monkeypatch.setattr(auto, "forecast_many", spy)
    data = synthetic_data(n_clusters=2, n_periods=18, regions=("TLF", "TLG"), seed=4)
    contents, _, _ = pipeline.build_contents(load_config(QUICK), data)
    (applied,) = seen
    cal = contents.metadata.calibration
    assert cal.calibrators and cal.calibrators == [c.to_dict() for c, _ in applied.calibrators]
    for i, (_, members) in enumerate(applied.calibrators):
        assert {s for s in members} == {s for s, (k, _) in cal.series.items() if k == i}

    fc = contents.forecasts.sort_values(["series_id", "step"])
    assert {"point", "mean", "band_source"} <= set(fc.columns)
    assert set(fc["band_source"]) <= {"own", "pooled", "extrapolated", "model"}
    for s, g in fc.groupby("series_id"):
        for lo, hi in (("q0.1", "q0.9"), ("q0.025", "q0.975")):
            w = (g[hi] - g[lo]).to_numpy()
            assert np.all(w[1:] >= w[:-1] - 1e-9 * np.abs(w[:-1])), s
        assert ((g["q0.1"] <= g["point"]) & (g["point"] <= g["q0.9"])).all()
        assert np.allclose(g["point"], g["q0.5"])
    m = contents.metrics.set_index("series_id")
    assert {"band_source", "bound_note"} <= set(m.columns)
    assert m["band_source"].str.len().gt(0).all()
