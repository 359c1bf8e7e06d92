"""Out of sample: does the group choice (``best_group``) pick what holds up on the warehouse's own series?

    python benchmarks/group_choice.py [--warehouse data/warehouse.duckdb] [--measure bres_employment ...]
                                      [--holdouts 8,7,6,5,4,3,2] [--h 2]

For each measure (default: the ones whose groups switch away from shrunk_combo in ``invest run``, and
two that do not), the training panel of ``experiments/default.toml`` is read from the warehouse that
``invest run`` wrote (or ``invest data ingest``), and for each ``k`` in ``--holdouts`` the origin is ``k``
years before the period where most of the measure's series end: every series with data at the origin and at least five points
up to it is cut there (one calendar origin for all, so a group's series end together, as the pooled
families' group figures need), and every method forecasts ``h`` steps from it: ``auto`` as trained (its
group choice made from that history's backtests), and shrunk_combo, naive, drift, pooled_drift and
group_share alone (``--methods`` picks some); ``--candidate NAME`` adds ``auto+NAME``, auto with NAME
beside its default candidates (what making NAME a default would do). Prints MASE (scaled by the in-sample naive) and sMAPE
averaged over the series-origins with an outturn, what ``auto`` chose, and ``auto``'s choice per
calibration group. Figures, not assertions; benchmarks/real_series.py is the check on the published
files read directly.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.evaluation.auto import default_methods, forecast_many
from forecasting.training.config import load_config
from forecasting.training.data import load_training_data

METHODS = {
    "auto": {},
    "shrunk_combo": {"methods": ("shrunk_combo",), "selection": "best"},
    "naive": {"methods": ("naive",), "selection": "best"},
    "drift": {"methods": ("drift",), "selection": "best"},
    "pooled_drift": {"methods": ("pooled_drift",), "selection": "best"},  # pooled within each group
    "group_share": {"methods": ("group_share",), "selection": "best"},  # its group's total's drift
}
DEFAULT_MEASURES = (
    "bres_employment",
    "gva_cp",
    "gdp_cp",
    "gfcf_dwellings_cp",
    "gfcf_other_buildings_cp",
    "fdi_net_inflows_usd",
    "fdi_inward_position",
    "unctad_fdi_inward_stock_usd",
)
# the pandemic years (2-4 back from a 2021-2023 end) and ordinary ones before them: a rival that gains in
# ordinary years and loses around a shock shows both
DEFAULT_HOLDOUTS = "8,7,6,5,4,3,2"


def run(
    panel: pd.DataFrame,
    cat: pd.DataFrame,
    measure: str,
    holdouts: list[int],
    h: int,
    methods: dict[str, dict] = METHODS,
) -> pd.DataFrame:
    p = panel[panel["series_id"].str.startswith(measure + ".")]
    series = {s: g.sort_values("period").set_index("period")["value"] for s, g in p.groupby("series_id")}
    end = pd.Series([y.index.max() for y in series.values()]).mode().max()  # where most series end
    rows = []
    for k in holdouts:
        origin = end - pd.DateOffset(years=k)
        cut = {s: y.loc[:origin] for s, y in series.items() if origin in y.index}
        train = {s: y.to_numpy(float) for s, y in cut.items() if len(y) >= 5}
        if not train:
            continue
        group = {s: f"{measure}:{cat.at[s, 'geography_level']}" for s in train}
        for name, kw in methods.items():
            out = forecast_many(train, h, group_of=group, quantiles=(0.1, 0.5, 0.9), n_jobs=2, **kw)
            for s, r in out.items():
                actual = series[s].loc[origin:].iloc[1 : 1 + h].to_numpy(float)
                f = r.forecast.mean[: actual.size]
                scale = float(np.mean(np.abs(np.diff(train[s]))))
                if actual.size and scale > 0:
                    rows.append(
                        {
                            "measure": measure,
                            "group": group[s],
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
    ap.add_argument("--holdouts", default=DEFAULT_HOLDOUTS)
    ap.add_argument("--h", type=int, default=2)
    ap.add_argument("--methods", default=",".join(METHODS), help=f"comma list from {','.join(METHODS)}")
    ap.add_argument(
        "--candidate",
        action="append",
        default=[],
        help="also run auto with this family added to its candidates",
    )
    ap.add_argument(
        "--output", type=Path, default=None, help="also write every series-origin's scores as CSV"
    )
    args = ap.parse_args()
    methods = {m: METHODS[m] for m in args.methods.split(",")}
    for name in args.candidate:  # auto as it would be with one more default candidate
        methods[f"auto+{name}"] = {"methods": (*default_methods(1, False), name)}
    cfg = load_config("experiments/default.toml")
    td = load_training_data(cfg, warehouse_path=args.warehouse)
    cat = td.catalogue.set_index("series_id")
    holdouts = [int(x) for x in args.holdouts.split(",")]
    frames = []
    for measure in args.measure or DEFAULT_MEASURES:
        res = run(td.panel, cat, measure, holdouts, args.h, methods)
        frames.append(res)
        if res.empty:
            print(f"{measure}: no series with five points before a held-out origin")
            continue
        summary = res.groupby("method", sort=False)[["mase", "smape"]].mean()
        summary["n"] = res.groupby("method", sort=False).size()
        autos = [m for m in methods if m.startswith("auto")]
        chose = {m: res[res["method"] == m]["chosen"].value_counts().to_dict() for m in autos}
        print(
            f"\n== {measure}: origins {sorted(res['holdout'].unique())} years before where most series end, h={args.h} =="
        )
        print(summary.round(3).to_string())
        print(f"auto chose: {chose}")
        # per calibration group and origin: every method's MASE and what each auto chose
        by = res.pivot_table(index=["group", "holdout"], columns="method", values="mase", aggfunc="mean")
        for m in autos:
            picks = (
                res[res["method"] == m]
                .groupby(["group", "holdout"])["chosen"]
                .agg(lambda c: ",".join(sorted(set(c))))
            )
            by[f"{m} chose"] = picks
        print(by.round(3).to_string())
    if args.output is not None and frames:
        pd.concat(frames).to_csv(args.output, index=False)


if __name__ == "__main__":
    main()
