"""Per-series choice of a method from backtest scores: the best single model or a combination.

Why combinations: with three or four backtest windows per annual series, picking the single best model
mostly picks noise; averaging the best few (or all) candidates is the robust default the forecasting
competitions keep confirming. Combinations are scored from the members' backtest forecasts (means and
quantiles averaged window by window: no refitting), so every candidate, single or combined, is scored on
exactly the same windows and all scores are recorded with the choice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from forecasting.evaluation import metrics as M
from forecasting.evaluation.backtest import BacktestResult, Window

How = Literal["single", "mean", "median"]
Strategy = Literal["best", "mean", "median", "best_any"]
METRICS: tuple[str, ...] = (
    "mase",
    "rmsse",
    "smape",
    "mape",
    "pinball",
    "crps",
    "coverage80",
    "coverage95",
    "winkler95",
)


@dataclass(frozen=True)
class Choice:
    method: str  # label, e.g. "theta" or "combo(naive,theta,ets)"
    members: tuple[str, ...]
    how: How
    metric: str
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # every candidate's backtest scores


def combo_label(members: Sequence[str], how: str) -> str:
    """Same labels as the ``combo`` model: ``combo(a,b)`` (mean), ``combo(median:a,b)``."""
    if len(members) == 1:
        return members[0]
    return f"combo({'median:' if how == 'median' else ''}{','.join(members)})"


def score(bt: BacktestResult) -> dict[str, float]:
    """Backtest metrics averaged over steps, then windows (scaled ones use each window's own scale)."""
    if not bt.windows:
        return {k: float("nan") for k in METRICS}
    a, f = bt.array("actual"), bt.array("mean")
    qa = bt.quantile_arrays()
    out = {
        "mase": float(np.mean(M.mase(a, f, bt.scales))),
        "rmsse": float(np.mean(M.rmsse(a, f, bt.scales_sq))),
        "smape": float(np.mean(M.smape(a, f))),
        "mape": float(np.nanmean(M.mape(a, f))) if np.any(a != 0) else float("nan"),
    }
    if qa:
        pin = M.pinball(a, qa, scale=bt.scales)
        out["pinball"] = float(np.mean([np.mean(v) for v in pin.values()]))
        out["crps"] = float(np.mean(M.crps(a, qa, scale=bt.scales)))
        for level in (80, 95):
            lo, hi = _pair(qa, level)
            if lo is not None:
                out[f"coverage{level}"] = float(np.mean(M.coverage(a, lo, hi)))
        lo, hi = _pair(qa, 95)
        if lo is not None:
            out["winkler95"] = float(np.mean(M.msis(a, lo, hi, bt.scales, 95)))
    return out


def _pair(qa: Mapping[float, np.ndarray], level: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    a = round((1 - level / 100) / 2, 6)
    lo = next((v for q, v in qa.items() if abs(q - a) < 1e-9), None)
    hi = next((v for q, v in qa.items() if abs(q - (1 - a)) < 1e-9), None)
    return (lo, hi) if lo is not None and hi is not None else (None, None)


def combine(backtests: Sequence[BacktestResult], how: How = "mean") -> BacktestResult:
    """Window-by-window mean/median of the members' forecasts and quantiles (same origins required)."""
    if not backtests:
        raise ValueError("nothing to combine")
    if len(backtests) == 1:
        return backtests[0]
    agg = np.median if how == "median" else np.mean
    first = backtests[0]
    windows: list[Window] = []
    for i, w in enumerate(first.windows):
        members = [bt.windows[i] for bt in backtests]
        if any(m.origin != w.origin for m in members):
            raise ValueError("backtests to combine must share origins")
        qs = {q: agg(np.vstack([m.quantiles[q] for m in members]), axis=0) for q in w.quantiles}
        mean = agg(np.vstack([m.mean for m in members]), axis=0)
        windows.append(Window(w.origin, mean, qs, w.actual, w.scale, w.scale_sq))
    label = combo_label([bt.method for bt in backtests], how)
    return BacktestResult(method=label, h=first.h, windows=windows, backtest_plan=first.backtest_plan)


def select(
    backtests: Mapping[str, BacktestResult],
    *,
    metric: str = "mase",
    strategy: Strategy = "best",
    k: int | None = None,
) -> tuple[Choice, BacktestResult]:
    """Choose from per-candidate backtests; returns the choice and the chosen (possibly combined) backtest.

    ``best``: lowest ``metric``. ``mean``/``median``: combine the best ``k`` (all when ``k`` is None).
    ``best_any``: lowest ``metric`` among the singles and the mean/median of the best k for every k >= 2.
    Ties break by candidate order, so the choice is deterministic.
    """
    names = list(backtests)
    if not names:
        raise ValueError("no candidates")
    scores = {n: score(backtests[n]) for n in names}
    ranked = sorted(names, key=lambda n: (metric_key(scores[n], metric), names.index(n)))
    options: list[tuple[tuple[str, ...], How]]
    if strategy == "best":
        options = [((ranked[0],), "single")]
    elif strategy in ("mean", "median"):
        kk = len(ranked) if k is None else max(1, min(k, len(ranked)))
        chosen = tuple(n for n in names if n in ranked[:kk])  # keep candidate order in labels
        options = [(chosen, strategy if kk > 1 else "single")]  # type: ignore[list-item]
    elif strategy == "best_any":
        options = [((n,), "single") for n in names]
        for kk in range(2, len(ranked) + 1):
            chosen = tuple(n for n in names if n in ranked[:kk])
            options += [(chosen, "mean"), (chosen, "median")] if kk > 2 else [(chosen, "mean")]
    else:
        raise ValueError(f"unknown selection strategy {strategy!r}")
    results: dict[str, tuple[tuple[str, ...], How, BacktestResult]] = {}
    for members, how in options:
        bt = backtests[members[0]] if how == "single" else combine([backtests[m] for m in members], how)
        label = combo_label(members, how)
        results[label] = (members, how, bt)
        if label not in scores:
            scores[label] = score(bt)
    best = min(results, key=lambda lab: (metric_key(scores[lab], metric), list(results).index(lab)))
    members, how, bt = results[best]
    return Choice(best, members, how, metric, scores), bt


def metric_key(s: Mapping[str, float], metric: str) -> float:
    """Lower is better: the metric itself, or the distance from nominal for a coverage; NaN ranks last."""
    v = s.get(metric, float("nan"))
    if metric.startswith("coverage"):
        v = abs(v - int(metric[len("coverage") :]) / 100)  # closest to nominal wins
    return float(v) if np.isfinite(v) else float("inf")
