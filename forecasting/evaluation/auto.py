"""``auto``: the engine's default forecaster - backtest candidates, select/combine, calibrate intervals.

Per series: rolling-origin backtests of each candidate family, a choice from the backtest scores
(``selection``), a final fit of the chosen method on the whole history, and - when a calibrator is given -
intervals re-drawn from pooled, MASE-scaled backtest errors instead of the model's own. ``forecast_many``
runs that over a panel (in parallel), fits one calibrator per season length from the chosen methods'
backtest errors and applies it. Defaults were chosen on the tourism data (benchmarks/tourism_accuracy.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from forecasting.evaluation.backtest import backtest
from forecasting.evaluation.calibration import Calibrator, errors_table, fit_calibrator
from forecasting.evaluation.metrics import naive_scale
from forecasting.evaluation.selection import Choice, select
from forecasting.vocabulary import QUANTILE_GRID
from models.base import Forecast, make, registry

Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], list[Any]]


@dataclass(frozen=True)
class Defaults:
    """What ``auto`` does for one kind of series when the caller does not say."""

    methods: tuple[str, ...]  # candidates, in preference order (ties and labels follow it)
    selection: str
    n_windows: int  # for one series on its own
    min_windows: int  # in a panel: at least this many (what the selection needs) ...


# ... and otherwise enough windows for ~this many pooled errors per horizon step (calibration tails).
ERRORS_PER_STEP = 400
MAX_WINDOWS = 8


# Chosen on tourism (benchmarks/tourism_accuracy.py; study in the auto report):
# - annual: per-series best of naive / drift / theta by backtest MASE over 3 windows (3-6 all gave
#   MASE 2.59-2.60; 2 or 8 windows 2.61). Trend vs no trend is the decision that matters on short annual
#   series; adding ETS/ARIMA candidates made the choice noisier (MASE 2.63-2.69) and ARIMA costs ~10x.
# - seasonal: the equal-weight mean of seasonal naive, theta, ETS and ARIMA, fixed: choosing per series
#   from a few windows lost to the fixed combination (MASE 1.63 vs 1.52 without ARIMA; 1.49 with it).
#   The backtest only feeds the calibrator, and the most recent windows calibrate best (80% intervals
#   covered 85% with 8 windows, 82% with 1-2), so a large panel needs just one window per series.
DEFAULTS: dict[str, Defaults] = {
    "annual": Defaults(("naive", "drift", "theta"), "best", 3, 3),
    "seasonal": Defaults(("seasonal_naive", "theta", "ets", "arima"), "mean", 2, 1),
}


SELECTION_WINDOWS = 3  # a per-series choice needs a few windows to be more than noise


def panel_windows(season_length: int, n_series: int, selection: str | None = None, n_methods: int = 2) -> int:
    """Windows per series in a panel: what the selection needs, else enough pooled errors to calibrate."""
    d = defaults_for(season_length)
    strategy, k = parse_selection(selection or d.selection)
    choosing = n_methods > 1 and (strategy in ("best", "best_any") or k is not None)
    need = -(-ERRORS_PER_STEP // max(n_series, 1))
    return max(SELECTION_WINDOWS if choosing else 1, d.min_windows, min(MAX_WINDOWS, need))


def defaults_for(season_length: int) -> Defaults:
    return DEFAULTS["seasonal" if season_length > 1 else "annual"]


@dataclass
class SeriesResult:
    forecast: Forecast
    method: str
    scores: dict[str, dict[str, float]]
    backtest: pd.DataFrame  # origin, step, actual, mean, q<p>, scale of the chosen method
    state: dict[str, Any]
    scale: float = 1.0  # MASE scale of the full history (what the calibrator multiplies)
    errors: pd.DataFrame = field(default_factory=pd.DataFrame)  # scaled backtest errors of the choice
    calibrated: bool = False


def default_methods(season_length: int) -> tuple[str, ...]:
    """Registered candidates for this season length (families still being written are skipped)."""
    names = defaults_for(season_length).methods
    known = registry()
    return tuple(n for n in names if n in known)


def parse_selection(selection: str) -> tuple[str, int | None]:
    """``"best"``, ``"mean"``, ``"median"``, ``"best_any"``, optionally ``":k"`` (e.g. ``"mean:2"``)."""
    name, _, k = selection.partition(":")
    if name not in ("best", "mean", "median", "best_any"):
        raise ValueError(
            f"unknown selection {selection!r}; use best, mean, median or best_any (optionally :k)"
        )
    return name, int(k) if k else None


def forecast_series(
    y: Sequence[float] | np.ndarray,
    h: int,
    *,
    season_length: int = 1,
    methods: Sequence[str] | None = None,
    selection: str | None = None,
    metric: str = "mase",
    n_windows: int | None = None,
    step: int = 1,
    quantiles: Sequence[float] = QUANTILE_GRID,
    seed: int = 0,
    non_negative: bool = False,
    calibrator: Calibrator | None = None,
    history_at: Callable[[int], np.ndarray] | None = None,
) -> SeriesResult:
    """Backtest, choose and fit one series; intervals from ``calibrator`` when given (see module doc).

    ``methods``/``selection``/``n_windows`` default to ``defaults_for(season_length)``. ``selection`` is
    ``best``, ``mean``, ``median`` or ``best_any``, optionally ``:k`` (combine the best k).
    """
    y = np.asarray(y, dtype=float).ravel()
    dflt = defaults_for(season_length)
    selection = selection or dflt.selection
    n_windows = n_windows or dflt.n_windows
    names = tuple(methods) if methods else default_methods(season_length)
    if not names:
        raise ValueError("no candidate methods")
    kw = {"season_length": season_length, "seed": seed, "non_negative": non_negative}
    bts = {
        n: backtest(y, n, h, n_windows=n_windows, step=step, quantiles=quantiles, history_at=history_at, **kw)
        for n in names
    }
    strategy, k = parse_selection(selection)
    if any(bt.n_windows == 0 for bt in bts.values()):  # too short to backtest: combine every candidate
        strategy, k = ("mean", None) if len(names) > 1 else ("best", None)
    choice, chosen_bt = select(bts, metric=metric, strategy=strategy, k=k)  # type: ignore[arg-type]
    model = _final_model(choice, kw)
    fc = model.fit(y).predict(h, quantiles=quantiles)
    fc.method = choice.method
    scale = naive_scale(y, season_length)
    result = SeriesResult(
        forecast=fc,
        method=choice.method,
        scores=choice.scores,
        backtest=chosen_bt.frame(),
        state=model.get_state(),
        scale=scale,
        errors=errors_table("", chosen_bt.windows),
    )
    return calibrate(result, calibrator, non_negative=non_negative) if calibrator is not None else result


def _final_model(choice: Choice, kw: dict[str, Any]):
    if choice.how == "single":
        return make(choice.members[0], **kw)
    if "combo" in registry():
        return make("combo", members=list(choice.members), how=choice.how, **kw)
    raise ValueError("combination chosen but the 'combo' model is not registered")


def calibrate(result: SeriesResult, calibrator: Calibrator, *, non_negative: bool = False) -> SeriesResult:
    """Replace the forecast's quantiles by calibrated ones around its mean (keeps requested probabilities)."""
    fc = result.forecast
    h = fc.mean.size
    cal = calibrator.apply(fc.mean, result.scale, h, non_negative=non_negative)
    qs = {q: _at(cal, q, fc.quantiles.get(q)) for q in fc.quantiles} if fc.quantiles else cal
    arr = np.sort(np.vstack([qs[q] for q in sorted(qs)]), axis=0)
    new = replace(fc, quantiles={q: arr[i] for i, q in enumerate(sorted(qs))})
    return replace(result, forecast=new, calibrated=True)


def _at(cal: Mapping[float, np.ndarray], q: float, fallback: np.ndarray | None) -> np.ndarray:
    for p, v in cal.items():
        if abs(p - q) < 1e-9:
            return v
    if fallback is None:
        raise KeyError(q)
    return fallback  # a probability the calibrator was not fitted for keeps the model's quantile


# ---- panels -----------------------------------------------------------------------------------------------
def default_mapper(n_jobs: int = -1) -> Mapper:
    """joblib (loky processes), items batched automatically; order-preserving."""

    def run(fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        from joblib import Parallel, delayed

        items = list(items)
        if n_jobs == 1 or len(items) <= 1:
            return [fn(x) for x in items]
        return list(Parallel(n_jobs=n_jobs, backend="loky", batch_size="auto")(delayed(fn)(x) for x in items))

    return run


def _one(
    item: tuple[str, np.ndarray, int, int, bool, int | None, Callable[[int], np.ndarray] | None],
    **kwargs: Any,
) -> SeriesResult:
    sid, y, m, h, nn, nw, hist = item
    res = forecast_series(y, h, season_length=m, non_negative=nn, n_windows=nw, history_at=hist, **kwargs)
    res.errors["series_id"] = sid
    return res


def forecast_many(
    panel: Mapping[str, np.ndarray],
    h: int | Mapping[str, int],
    *,
    season_length: int | Mapping[str, int] = 1,
    methods: Sequence[str] | None = None,
    selection: str | None = None,
    metric: str = "mase",
    n_windows: int | None = None,
    step: int = 1,
    quantiles: Sequence[float] = QUANTILE_GRID,
    seed: int = 0,
    non_negative: bool | Mapping[str, bool] = False,
    calibrate_intervals: bool = True,
    min_per_step: int = 100,
    min_errors: int = 60,
    mapper: Mapper | None = None,
    n_jobs: int = -1,
    history_at: Mapping[str, Callable[[int], np.ndarray]] | None = None,
) -> dict[str, SeriesResult]:
    """``forecast_series`` over a panel, then one pooled calibrator per season length (see module doc).

    ``h``, ``season_length`` and ``non_negative`` may be one value or a mapping by series id;
    ``n_windows=None`` picks ``panel_windows`` per season length. ``history_at`` (by series id, picklable)
    makes those series' backtests real-time: each origin sees the data as published then. ``mapper``
    is any order-preserving ``mapper(fn, items) -> list`` (e.g. ``forecasting.parallel.map_series``);
    default: joblib processes with ``n_jobs``.
    """
    ids = list(panel)
    m_of = {s: int(season_length if isinstance(season_length, int) else season_length[s]) for s in ids}
    h_of = {s: int(h if isinstance(h, int) else h[s]) for s in ids}
    nn_of = {s: bool(non_negative if isinstance(non_negative, bool) else non_negative[s]) for s in ids}
    fn = partial(
        _one,
        methods=methods,
        selection=selection,
        metric=metric,
        step=step,
        quantiles=quantiles,
        seed=seed,
    )
    group_size: dict[int, int] = {}
    for s in ids:
        group_size[m_of[s]] = group_size.get(m_of[s], 0) + 1
    n_methods = {m: len(methods or default_methods(m)) for m in group_size}
    nw_of = {
        s: n_windows or panel_windows(m_of[s], group_size[m_of[s]], selection, n_methods[m_of[s]])
        for s in ids
    }
    hist = history_at or {}
    items = [
        (s, np.asarray(panel[s], dtype=float), m_of[s], h_of[s], nn_of[s], nw_of[s], hist.get(s)) for s in ids
    ]
    results: list[SeriesResult] = (mapper or default_mapper(n_jobs))(fn, items)
    out = dict(zip(ids, results, strict=True))
    if calibrate_intervals:
        for cal, members in fit_calibrators(
            out, m_of, quantiles, min_per_step=min_per_step, min_errors=min_errors
        ):
            for s in members:
                out[s] = calibrate(out[s], cal, non_negative=nn_of[s])
    return out


def fit_calibrators(
    results: Mapping[str, SeriesResult],
    season_lengths: Mapping[str, int],
    quantiles: Sequence[float] = QUANTILE_GRID,
    *,
    min_per_step: int = 100,
    min_errors: int = 60,
) -> list[tuple[Calibrator, list[str]]]:
    """One calibrator per season length from the pooled scaled errors of each series' chosen method.

    A group with fewer than ``min_errors`` errors keeps the models' own intervals: a handful of errors
    from one or two series says little about the tails.
    """
    groups: dict[int, list[str]] = {}
    for s in results:
        groups.setdefault(season_lengths[s], []).append(s)
    out: list[tuple[Calibrator, list[str]]] = []
    for _, members in sorted(groups.items()):
        frames = [results[s].errors for s in members if not results[s].errors.empty]
        if frames and sum(len(f) for f in frames) >= min_errors:
            out.append((fit_calibrator(pd.concat(frames), quantiles, min_per_step=min_per_step), members))
    return out


__all__ = [
    "DEFAULTS",
    "Defaults",
    "SeriesResult",
    "calibrate",
    "default_mapper",
    "defaults_for",
    "fit_calibrators",
    "forecast_many",
    "forecast_series",
    "panel_windows",
]
