"""A tiny bundle made from simple numbers (two annual series, naive models)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from bundle_parts import make_catalogue, make_metadata, make_metrics

from forecasting.registry.contents import BundleContents
from forecasting.vocabulary import QUANTILE_GRID
from models.base import make

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
            row.update(method="naive", fallback="", reconciled=True, kind="forecast")
            row.update(base_method="naive", reconciliation_shift=0.0)
            rows.append(row)
    cat = make_catalogue(IDS)
    return BundleContents(
        catalogue=cat,
        history=pd.DataFrame(hist),
        forecasts=pd.DataFrame(rows),
        metrics=make_metrics(IDS, mase=[1.0, 2.0]),
        level_metrics=pd.DataFrame(columns=["level", "n_series", "mase_base", "mase_reconciled", "helped"]),
        hierarchy=pd.DataFrame(columns=["parent_id", "child_id"]),
        transmission=pd.DataFrame(),
        states=states,
        metadata=make_metadata(max_horizon=h, seed=np.int64(1)),
    )
