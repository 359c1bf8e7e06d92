"""Forecasts the national-accounts indicators rewrote get the same finish as every other forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.training.pipeline import finish_indicator_rows
from forecasting.vocabulary import QUANTILE_GRID, qcol


def _rows(sid: str, indicators: str, widths: list[float], point_shift: float) -> list[dict]:
    out = []
    for step, w in enumerate(widths, start=1):
        centre = 100.0 + step
        q = {qcol(p): centre + (p - 0.5) * w for p in QUANTILE_GRID}
        out.append(
            {
                "series_id": sid,
                "step": step,
                "indicators": indicators,
                "mean": centre + 3 * w,
                "point": centre + point_shift,
                **q,
            }
        )
    return out


def test_rewritten_series_are_finished_and_the_others_left_alone() -> None:
    # a nowcast (narrow, from the indicator) followed by the model's wider steps: its band dents at step 3
    nowcast = _rows("gdp_cp.UK.all.A", "uk_gdp_cp_sa.UK.all.Q", [10.0, 12.0, 6.0, 14.0], point_shift=-9.0)
    other = _rows("gva_cp.TLF.all.A", "", [10.0, 8.0, 12.0, 14.0], point_shift=-9.0)
    frame = pd.DataFrame(nowcast + other)
    out = finish_indicator_rows(frame)
    g = out[out["series_id"] == "gdp_cp.UK.all.A"].sort_values("step")
    for lo, hi in ((0.1, 0.9), (0.025, 0.975)):
        width = (g[qcol(hi)] - g[qcol(lo)]).to_numpy()
        assert np.all(np.diff(width) >= -1e-9), width
    assert np.allclose(g["point"], g[qcol(0.5)])
    assert ((g["mean"] >= g[qcol(0.1)]) & (g["mean"] <= g[qcol(0.9)])).all()
    untouched = out[out["series_id"] == "gva_cp.TLF.all.A"].reset_index(drop=True)
    expected = frame[frame["series_id"] == "gva_cp.TLF.all.A"].reset_index(drop=True)
    pd.testing.assert_frame_equal(untouched, expected[untouched.columns])
