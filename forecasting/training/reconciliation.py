"""Reconciliation inside a training job: residuals from backtests, the hierarchy, and whether it helped."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from forecasting.hierarchy.structure import Hierarchy, build_hierarchy
from forecasting.training.config import ExperimentConfig


def _residuals(ids: list[str], results: dict[str, Any], periods: dict[str, list[pd.Timestamp]]) -> np.ndarray:
    """Backtest errors ``(n, T)``, columns = (target period, step) shared across series (NaN elsewhere)."""
    frames = []
    for s in ids:
        bt = results[s].backtest
        if bt.empty:
            continue
        idx = (bt["origin"] + bt["step"] - 1).to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "series_id": s,
                    "target": [periods[s][i] for i in idx],
                    "step": bt["step"],
                    "err": (bt["actual"] - bt["mean"]).to_numpy(),
                }
            )
        )
    if not frames:
        return np.full((len(ids), 1), np.nan)
    wide = pd.concat(frames).pivot_table(
        index="series_id", columns=["target", "step"], values="err", aggfunc="first"
    )
    return wide.reindex(ids).to_numpy(dtype=float)


def _history_matrix(ids: list[str], panel: pd.DataFrame) -> np.ndarray:
    sub = panel[panel["series_id"].isin(ids)]
    return (
        sub.pivot_table(index="series_id", columns="period", values="value", aggfunc="first")
        .reindex(ids)
        .to_numpy()
    )


def _backtest_check(
    ids: list[str],
    results: dict[str, Any],
    periods: dict[str, list[pd.Timestamp]],
    proj: Any,
    non_negative: bool,
) -> tuple[dict[str, float], dict[str, float]]:
    """MASE of base vs reconciled backtest forecasts on the windows every series in the tree shares."""
    frames = []
    for s in ids:
        bt = results[s].backtest
        if bt.empty:
            return {}, {}
        origin = [periods[s][o - 1] for o in bt["origin"]]
        frames.append(
            bt.assign(series_id=s, origin_period=origin)[
                ["series_id", "origin_period", "step", "actual", "mean", "scale"]
            ]
        )
    df = pd.concat(frames)
    keys = df.groupby(["origin_period", "step"])["series_id"].nunique()
    keys = keys[keys == len(ids)].index
    if len(keys) == 0:
        return {}, {}
    wide = df.set_index(["origin_period", "step"]).loc[keys].reset_index()
    piv = {
        c: wide.pivot_table(index="series_id", columns=["origin_period", "step"], values=c, aggfunc="first")
        .reindex(ids)
        .to_numpy(dtype=float)
        for c in ("actual", "mean", "scale")
    }
    rec = proj.apply(piv["mean"], non_negative=non_negative)
    base = np.mean(np.abs(piv["actual"] - piv["mean"]) / piv["scale"], axis=1)
    after = np.mean(np.abs(piv["actual"] - rec) / piv["scale"], axis=1)
    return dict(zip(ids, base.tolist(), strict=True)), dict(zip(ids, after.tolist(), strict=True))


def hierarchy_from_reference(series: pd.DataFrame) -> Hierarchy:
    """``build_hierarchy`` with partitions and level names from the geography reference and summability
    from the measure registry (the engine itself knows neither)."""
    from forecasting.reference.geography import load_geography
    from forecasting.reference.measures import load_measures

    geo = load_geography()
    measures = load_measures()

    def summable(m: str) -> bool:
        return m in measures and measures[m].summable

    return build_hierarchy(series, geo.partitions(), summable, level_of=geo.level)


def reconcile_forecasts(
    cfg: ExperimentConfig,
    panel: pd.DataFrame,
    cat: pd.DataFrame,
    results: dict[str, Any],
    periods: dict[str, list[pd.Timestamp]],
) -> dict[str, Any]:
    """Coherent means and quantiles per (measure, cluster, frequency) tree, plus the backtest check."""
    from forecasting.hierarchy.coherent_quantiles import reconcile_quantiles
    from forecasting.hierarchy.reconcile import projection

    out: dict[str, Any] = {
        "mean": {},
        "quantiles": {},
        "edges": pd.DataFrame(columns=["parent_id", "child_id"]),
        "mase_base": {},
        "mase_reconciled": {},
        "warnings": [],
    }
    method = cfg.reconciliation.method
    if method == "none":
        return out
    nonneg = cat.set_index("series_id")["non_negative"].astype(bool).to_dict()
    qs = list(cfg.forecast.quantiles)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hier = hierarchy_from_reference(cat[["series_id", "measure", "geography", "cluster", "frequency"]])
        out["edges"] = hier.edges
        for _, ids in sorted(hier.groups.items()):
            sub = hier.subset(ids)
            rows = sub.all_ids
            nn = cfg.reconciliation.non_negative and all(nonneg[s] for s in rows)
            resid = _residuals(rows, results, periods)
            hist = _history_matrix(rows, panel) if method == "top_down" else None
            proj = projection(sub, method, resid if method == "mint_shrink" else None, history=hist)
            base = np.vstack([results[s].forecast.mean for s in rows])
            mean = proj.apply(base, non_negative=nn)
            bq = {q: np.vstack([results[s].forecast.quantiles[q] for s in rows]) for q in qs}
            rq = reconcile_quantiles(
                bq,
                mean,
                sub,
                method,
                residuals=resid if method == "mint_shrink" else None,
                n_samples=cfg.reconciliation.samples,
                seed=cfg.seed,
                quantiles=qs,
                non_negative=nn,
                history=hist,
            )
            for i, s in enumerate(rows):
                out["mean"][s] = mean[i]
                out["quantiles"][s] = {q: rq[q][i] for q in qs}
            b, a = _backtest_check(rows, results, periods, proj, nn)
            out["mase_base"].update(b)
            out["mase_reconciled"].update(a)
    out["warnings"] = sorted({str(w.message) for w in caught})
    return out
