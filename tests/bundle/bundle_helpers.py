"""A tiny bundle made from simple numbers (two annual series, naive models)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.base import QUANTILE_GRID, make
from models.bundle.contents import BundleContents

IDS = ("m.TLF.all.A", "m.TLG.all.A")


def tiny_contents(h: int = 3) -> BundleContents:
    hist, rows, states = [], [], {}
    for i, sid in enumerate(IDS):
        y = np.arange(10.0) * (i + 1) + 100
        hist += [
            {
                "series_id": sid,
                "period": str(2010 + t),
                "period_start": pd.Timestamp(2010 + t, 1, 1),
                "value": v,
                "source": "test",
                "vintage": "v1",
            }
            for t, v in enumerate(y)
        ]
        model = make("naive").fit(y)
        fc = model.predict(h)
        states[sid] = model.get_state()
        for k in range(h):
            row = {
                "series_id": sid,
                "step": k + 1,
                "period": str(2020 + k),
                "period_start": pd.Timestamp(2020 + k, 1, 1),
                "mean": float(fc.mean[k]),
            }
            row.update({f"q{q:g}": float(fc.quantiles[q][k]) for q in QUANTILE_GRID})
            row.update(method="naive", fallback="", reconciled=True)
            rows.append(row)
    cat = pd.DataFrame(
        {
            "series_id": list(IDS),
            "measure": "m",
            "geography": ["TLF", "TLG"],
            "cluster": "all",
            "frequency": "A",
            "geography_level": "itl1",
            "non_negative": False,
            "data_vintage": "v1",
        }
    )
    return BundleContents(
        catalogue=cat,
        history=pd.DataFrame(hist),
        forecasts=pd.DataFrame(rows),
        metrics=pd.DataFrame(
            {"series_id": list(IDS), "level": "itl1", "method": "naive", "mase": [1.0, 2.0]}
        ),
        level_metrics=pd.DataFrame(columns=["level", "n_series", "mase_base", "mase_reconciled", "helped"]),
        hierarchy=pd.DataFrame(columns=["parent_id", "child_id"]),
        transmission=pd.DataFrame(),
        states=states,
        metadata={"data_vintage": "v1", "max_horizon": h, "seed": 1, "note": np.float64(1.5)},
    )
