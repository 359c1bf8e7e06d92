"""Reconciliation inside a training job: residuals from backtests, the hierarchy, and whether it helped."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasting.hierarchy.structure import Hierarchy, build_hierarchy
from forecasting.training.config import ExperimentConfig
from forecasting.vocabulary import periods_between, shift_periods


def _wide(cells: list[dict[tuple[Any, int], float]]) -> tuple[list[tuple[Any, int]], np.ndarray]:
    """Rows of ``{(period, step): value}`` as a matrix over their sorted keys (NaN where a row has none):
    what ``pivot_table(..., aggfunc="first")`` gives, without pandas' cost on thousands of small trees."""
    keys = sorted({k for row in cells for k, v in row.items() if not np.isnan(v)})
    col = {k: j for j, k in enumerate(keys)}
    out = np.full((len(cells), len(keys)), np.nan)
    for i, row in enumerate(cells):
        for k, v in row.items():
            if not np.isnan(v):
                out[i, col[k]] = v
    return keys, out


def _first(keys: list[tuple[Any, int]], values: np.ndarray) -> dict[tuple[Any, int], float]:
    """``{key: value}`` keeping each key's first non-missing value (``aggfunc="first"``)."""
    row: dict[tuple[Any, int], float] = {}
    for k, v in zip(keys, values.tolist(), strict=True):
        if k not in row or (np.isnan(row[k]) and not np.isnan(v)):
            row[k] = v
    return row


def _residuals(
    ids: list[str], backtests: dict[str, pd.DataFrame], periods: dict[str, list[pd.Timestamp]]
) -> np.ndarray:
    """Backtest errors ``(n, T)``, columns = (target period, step) shared across series (NaN elsewhere)."""
    cells: list[dict[tuple[Any, int], float]] = []
    for s in ids:
        bt = backtests[s]
        if bt.empty:
            cells.append({})
            continue
        step = bt["step"].to_numpy()
        idx = bt["origin"].to_numpy() + step - 1
        keys = [(periods[s][i], int(k)) for i, k in zip(idx.tolist(), step.tolist(), strict=True)]
        cells.append(_first(keys, bt["actual"].to_numpy(dtype=float) - bt["mean"].to_numpy(dtype=float)))
    if not any(cells):
        return np.full((len(ids), 1), np.nan)
    return np.asfortranarray(_wide(cells)[1])  # column-major, as pandas' pivot gave it


def _history_matrix(ids: list[str], panel: pd.DataFrame) -> np.ndarray:
    sub = panel[panel["series_id"].isin(ids)]
    return (
        sub.pivot_table(index="series_id", columns="period", values="value", aggfunc="first")
        .reindex(ids)
        .to_numpy()
    )


def _backtest_check(
    ids: list[str],
    backtests: dict[str, pd.DataFrame],
    periods: dict[str, list[pd.Timestamp]],
    proj: Any,
    non_negative: bool,
) -> tuple[dict[str, float], dict[str, float]]:
    """MASE of base vs reconciled backtest forecasts on the windows every series in the tree shares."""
    rows: dict[str, list[dict[tuple[Any, int], float]]] = {"actual": [], "mean": [], "scale": []}
    for s in ids:
        bt = backtests[s]
        if bt.empty:
            return {}, {}
        keys = [
            (periods[s][o - 1], int(k))
            for o, k in zip(bt["origin"].tolist(), bt["step"].tolist(), strict=True)
        ]
        for c, row in rows.items():
            row.append(_first(keys, bt[c].to_numpy(dtype=float)))
    shared = set.intersection(*(set(r) for r in rows["actual"]))  # the windows every series has
    if not shared:
        return {}, {}
    order = sorted(shared)
    # column-major, as pandas' pivot gave it: numpy sums a row of it in another order than a row-major one,
    # and the MASE figures stay the same to the last bit
    piv = {c: np.asfortranarray([[r[k] for k in order] for r in row]) for c, row in rows.items()}
    rec = proj.apply(piv["mean"], non_negative=non_negative)
    base = np.mean(np.abs(piv["actual"] - piv["mean"]) / piv["scale"], axis=1)
    after = np.mean(np.abs(piv["actual"] - rec) / piv["scale"], axis=1)
    return dict(zip(ids, base.tolist(), strict=True)), dict(zip(ids, after.tolist(), strict=True))


def _serial(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    return [fn(x) for x in items]


def hierarchy_from_reference(series: pd.DataFrame) -> Hierarchy:
    """``build_hierarchy`` with partitions and level names from the geography reference and summability
    from the measure registry (the engine itself knows neither)."""
    from forecasting.reference.geography import load_geography
    from forecasting.reference.measures import load_measures

    geo = load_geography()
    measures = load_measures()

    def summable(m: str) -> bool:
        return m in measures and measures[m].summable

    parts = geo.partitions()
    remainders = {p: geo.unallocated_code(p) for p in parts}
    return build_hierarchy(series, parts, summable, level_of=geo.level, remainders=remainders)


def common_window(
    rows: list[str], results: dict[str, Any], periods: dict[str, list[pd.Timestamp]], frequency: str
) -> tuple[dict[str, int], int]:
    """Offsets into each series' forecast steps of the periods *every* series in the tree forecasts.

    Why: series of one tree end in different periods (two outward-FDI children of TLE stop in 2023, the
    rest in 2024), so their step k falls in different years; adding step k across them would add 2024 to
    2025. Trees are reconciled on the periods they share, matched by date.
    """
    first = {s: shift_periods(periods[s][-1], frequency, 1)[0] for s in rows}
    start = max(first.values())
    end = min(shift_periods(periods[s][-1], frequency, len(results[s].forecast.mean))[0] for s in rows)
    offsets = {s: periods_between(first[s], start, frequency) for s in rows}
    return offsets, periods_between(start, end, frequency) + 1


@dataclass
class TreeJob:
    """Everything one tree's reconciliation needs, picklable so trees run in parallel (joblib or Dask)."""

    sub: Hierarchy
    method: str
    non_negative: bool
    base: np.ndarray  # (n, L) base means on the common window
    base_q: dict[float, np.ndarray]  # quantile -> (n, L)
    backtests: dict[str, pd.DataFrame]
    periods: dict[str, list[pd.Timestamp]]
    history: np.ndarray | None
    samples: int
    seed: int
    quantiles: list[float]


@dataclass
class TreeResult:
    mean: np.ndarray
    quantiles: dict[float, np.ndarray]
    mase_base: dict[str, float]
    mase_reconciled: dict[str, float]
    warnings: list[str]


def reconcile_tree(job: TreeJob) -> TreeResult:
    """MinT (or the configured method) means, coherent quantiles from reconciled samples, backtest check."""
    from forecasting.hierarchy.coherent_quantiles import reconcile_quantiles
    from forecasting.hierarchy.reconcile import projection

    rows = job.sub.all_ids
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resid = _residuals(rows, job.backtests, job.periods)
        mint = job.method == "mint_shrink"
        proj = projection(job.sub, job.method, resid if mint else None, history=job.history)
        mean = proj.apply(job.base, non_negative=job.non_negative)
        rq = reconcile_quantiles(
            job.base_q,
            mean,
            job.sub,
            job.method,
            residuals=resid if mint else None,
            n_samples=job.samples,
            seed=job.seed,
            quantiles=job.quantiles,
            non_negative=job.non_negative,
            history=job.history,
        )
        b, a = _backtest_check(rows, job.backtests, job.periods, proj, job.non_negative)
    return TreeResult(mean, rq, b, a, [str(w.message) for w in caught])


def reconcile_forecasts(
    cfg: ExperimentConfig,
    panel: pd.DataFrame,
    cat: pd.DataFrame,
    results: dict[str, Any],
    periods: dict[str, list[pd.Timestamp]],
    mapper: Callable[[Callable[[Any], Any], list[Any]], list[Any]] | None = None,
) -> dict[str, Any]:
    """Coherent means and quantiles per (measure, cluster, frequency) tree, plus the backtest check.

    Each tree is reconciled on the periods all its series forecast (``common_window``); a series' earlier
    steps (nowcasts of periods a sibling has already observed) keep their base forecast.
    ``out["window"][sid] = (offset, length)`` says which of its steps were reconciled. Trees are
    independent, so they run through ``mapper`` (the job's joblib/Dask fan-out; serial by default), each
    with the same seed as a serial run, so the result does not depend on the backend.
    """
    out: dict[str, Any] = {
        "mean": {},
        "quantiles": {},
        "edges": pd.DataFrame(columns=["parent_id", "child_id"]),
        "mase_base": {},
        "mase_reconciled": {},
        "window": {},
        "warnings": [],
    }
    method = cfg.reconciliation.method
    if method == "none":
        return out
    nonneg = cat.set_index("series_id")["non_negative"].astype(bool).to_dict()
    qs = list(cfg.forecast.quantiles)
    skipped: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hier = hierarchy_from_reference(cat[["series_id", "measure", "geography", "cluster", "frequency"]])
    out["edges"] = hier.edges
    jobs: list[TreeJob] = []
    windows: list[tuple[list[str], dict[str, int], int]] = []
    for (_, _, freq), ids in sorted(hier.groups.items()):
        sub = hier.subset(ids)
        rows = sub.all_ids
        offsets, length = common_window(rows, results, periods, freq)
        if length < 1:
            skipped.append(f"tree of {rows[0]}: its series share no forecast period; not reconciled")
            continue
        cut = {s: slice(offsets[s], offsets[s] + length) for s in rows}
        jobs.append(
            TreeJob(
                sub=sub,
                method=method,
                non_negative=cfg.reconciliation.non_negative and all(nonneg[s] for s in rows),
                base=np.vstack([results[s].forecast.mean[cut[s]] for s in rows]),
                base_q={q: np.vstack([results[s].forecast.quantiles[q][cut[s]] for s in rows]) for q in qs},
                backtests={s: results[s].backtest for s in rows},
                periods={s: periods[s] for s in rows},
                history=_history_matrix(rows, panel) if method == "top_down" else None,
                samples=cfg.reconciliation.samples,
                seed=cfg.seed,
                quantiles=qs,
            )
        )
        windows.append((rows, offsets, length))
    done = (mapper or _serial)(reconcile_tree, jobs)
    for (rows, offsets, length), res in zip(windows, done, strict=True):
        for i, s in enumerate(rows):
            a, b = offsets[s], offsets[s] + length
            full = results[s].forecast.mean.copy()
            full[a:b] = res.mean[i]
            out["mean"][s] = full
            fq = {q: results[s].forecast.quantiles[q].copy() for q in qs}
            for q in qs:
                fq[q][a:b] = res.quantiles[q][i]
            out["quantiles"][s] = fq
            out["window"][s] = (a, length)
        out["mase_base"].update(res.mase_base)
        out["mase_reconciled"].update(res.mase_reconciled)
        skipped.extend(res.warnings)
    out["warnings"] = sorted({str(w.message) for w in caught} | set(skipped))
    return out
