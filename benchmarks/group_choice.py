"""Out of sample: does the group choice (``best_group``) pick what holds up on the warehouse's own series?

    python benchmarks/group_choice.py [--warehouse data/warehouse.duckdb] [--measure bres_employment ...]
                                      [--holdouts 4,3,2] [--h 2]

For each measure (default: the ones whose groups switch away from shrunk_combo in ``invest run``, and
one that does not), the training panel of ``experiments/default.toml`` is read from the warehouse that
``invest run`` wrote, the last ``k`` years are held out for each ``k`` in ``--holdouts`` (origins with at
least five points of history), and every method forecasts ``h`` steps from the data before the origin:
``auto`` as trained (its group choice made from that history's backtests), and shrunk_combo, naive,
drift and pooled_drift alone. Prints MASE (scaled by the in-sample naive) and sMAPE averaged over
series-origins, and what ``auto`` chose. Figures, not assertions; benchmarks/real_series.py is the check on the published
files read directly.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.evaluation.auto import forecast_many
from forecasting.training.config import load_config
from forecasting.training.data import load_training_data

METHODS = {
    "auto": {},
    "shrunk_combo": {"methods": ("shrunk_combo",), "selection": "best"},
    "naive": {"methods": ("naive",), "selection": "best"},
    "drift": {"methods": ("drift",), "selection": "best"},
    "pooled_drift": {"methods": ("pooled_drift",), "selection": "best"},  # pooled within each group
}
DEFAULT_MEASURES = ("bres_employment", "gva_cp", "fdi_net_inflows_usd", "fdi_inward_position")


def run(panel: pd.DataFrame, cat: pd.DataFrame, measure: str, holdouts: list[int], h: int) -> pd.DataFrame:
    p = panel[panel["series_id"].str.startswith(measure + ".")]
    series = {s: g.sort_values("period")["value"].to_numpy(float) for s, g in p.groupby("series_id")}
    rows = []
    for k in holdouts:
        train = {s: y[:-k] for s, y in series.items() if len(y) - k >= 5}
        if not train:
            continue
        group = {s: f"{measure}:{cat.at[s, 'geography_level']}" for s in train}
        for name, kw in METHODS.items():
            out = forecast_many(train, h, group_of=group, quantiles=(0.1, 0.5, 0.9), n_jobs=2, **kw)
            for s, r in out.items():
                y, n = series[s], len(train[s])
                actual = y[n : n + h]
                f = r.forecast.mean[: actual.size]
                scale = float(np.mean(np.abs(np.diff(train[s]))))
                if actual.size and scale > 0:
                    rows.append(
                        {
                            "measure": measure,
                            "holdout": k,
                            "method": name,
                            "chosen": r.method,
                            "mase": float(np.mean(np.abs(actual - f)) / scale),
                            "smape": float(
                                np.mean(200 * np.abs(actual - f) / (np.abs(actual) + np.abs(f) + 1e-12))
                            ),
                        }
                    )
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, default=Path("data/warehouse.duckdb"))
    ap.add_argument("--measure", action="append", default=None)
    ap.add_argument("--holdouts", default="4,3,2")
    ap.add_argument("--h", type=int, default=2)
    args = ap.parse_args()
    cfg = load_config("experiments/default.toml")
    td = load_training_data(cfg, warehouse_path=args.warehouse)
    cat = td.catalogue.set_index("series_id")
    holdouts = [int(x) for x in args.holdouts.split(",")]
    for measure in args.measure or DEFAULT_MEASURES:
        res = run(td.panel, cat, measure, holdouts, args.h)
        if res.empty:
            print(f"{measure}: no series with five points before a held-out origin")
            continue
        summary = res.groupby("method", sort=False)[["mase", "smape"]].mean()
        summary["n"] = res.groupby("method", sort=False).size()
        chose = res[res["method"] == "auto"]["chosen"].value_counts().to_dict()
        print(
            f"\n== {measure}: origins {sorted(res['holdout'].unique())} years before the end, h={args.h} =="
        )
        print(summary.round(3).to_string())
        print(f"auto chose: {chose}")


if __name__ == "__main__":
    main()
