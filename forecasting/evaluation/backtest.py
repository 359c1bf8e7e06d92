"""Rolling-origin, expanding-window backtests of one model spec on one series, fitted to its length.

An *origin* is the number of observations the model is trained on: with ``n`` points, horizon ``h``,
``n_windows`` and ``step``, origins are ``n - h - k * step`` for ``k = n_windows - 1 .. 0``, so the last
window's horizon ends on the last observation and every window has all ``h`` actuals.

Short series (issue 11 §4). Ten annual points with ``h = 5`` and 3 windows used to train on 3, 4 and 5
points, score each window against the naive MAE of its own 2-4 differences and report "MASE 20". Now
:func:`plan` adapts to the length: no window trains on fewer than ``min_train`` points (5 for annual
data, two seasons + 1 for seasonal data); when that leaves fewer than ``min_windows`` windows at the
requested horizon, the backtest horizon is shortened (down to 1 step) to keep them, and then only as
many windows as fit are used. What was asked, what was used and why are recorded on the result
(:attr:`BacktestResult.diagnostics`). The calibrator extrapolates steps beyond a shortened horizon.

Scale. Each window's errors are divided by the MASE scale of the whole history known at *its* origin
(``y[:origin]``, at least ``min_train - 1`` differences; ``scale_from="origin"``, the default), the
same way the forecast made at the end of the series is scaled by its whole history when the calibrator
multiplies the scale back. Scaling every window by the full series (``scale_from="series"``) lets each
window's own test period into its scale; on tourism yearly that shrank the calibrated 95% intervals
to 88-90% coverage (96% with the origin's scale), so it is only an option.

Specification search. With ``search="first"`` a family that searches its specification (ETS type, ARIMA
order, Theta variant; ``Forecaster.pinned``) searches at the earliest origin only and refits that one
specification, parameters re-estimated, at every later origin: a search costs several fits, and a large
panel's backtest runs up to ``MIN_CALIBRATION_WINDOWS`` origins per series. No look-ahead: the
specification rests on the earliest window's training data, which every later window's contains. The
found specification is kept on the result (``BacktestResult.pinned``) for the final fit to reuse.
``search="each"`` searches at every origin.

Vintage-aware mode: ``history_at(origin)`` returns the series as it was published at that origin (revised
values, and possibly fewer points when the latest ones were not yet out). The model is fitted on that
vintage; the forecast is extended over any publication lag and scored against the latest actuals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from forecasting.evaluation.metrics import naive_scale
from forecasting.vocabulary import QUANTILE_GRID
from models.base import Forecast, Forecaster, make

HistoryAt = Callable[[int], np.ndarray]
ScaleFrom = Literal["origin", "series"]
Search = Literal["first", "each"]
MIN_WINDOWS = 2  # shorten the backtest horizon (down to 1) rather than keep fewer windows than this


@dataclass(frozen=True)
class ModelSpec:
    """A registered model name plus its constructor params (e.g. combo members)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if not self.params:
            return self.name
        members = self.params.get("members")
        if members:
            return f"{self.name}({','.join(map(str, members))})"
        return self.name + "(" + ",".join(f"{k}={v}" for k, v in sorted(self.params.items())) + ")"

    @classmethod
    def of(cls, spec: str | ModelSpec) -> ModelSpec:
        return spec if isinstance(spec, ModelSpec) else cls(spec)


@dataclass
class Window:
    origin: int  # training length (index of the first forecast point in the full series)
    mean: np.ndarray
    quantiles: dict[float, np.ndarray]
    actual: np.ndarray
    scale: float  # MASE scale of this window's training data
    scale_sq: float = 1.0  # RMSSE scale (mean squared naive difference)
    fallback: str | None = None

    @property
    def errors(self) -> np.ndarray:
        """Actual minus forecast, by horizon step."""
        return self.actual - self.mean

    @property
    def scaled_errors(self) -> np.ndarray:
        return self.errors / self.scale


@dataclass(frozen=True)
class BacktestPlan:
    """Which windows a series of ``n`` points supports: requested vs used horizon and windows, and why."""

    origins: tuple[int, ...]
    h: int  # horizon used (<= requested)
    h_requested: int
    windows_requested: int
    min_train: int
    note: str | None = None  # why less than requested was used; None when the request fitted

    @property
    def n_windows(self) -> int:
        return len(self.origins)

    def as_dict(self) -> dict[str, Any]:
        return {
            "h_requested": self.h_requested,
            "h_used": self.h,
            "windows_requested": self.windows_requested,
            "windows_used": self.n_windows,
            "min_train": self.min_train,
            "note": self.note,
        }


def plan(
    n: int,
    h: int,
    n_windows: int,
    step: int = 1,
    min_train: int = 5,
    min_windows: int = MIN_WINDOWS,
) -> BacktestPlan:
    """Backtest windows for ``n`` points: never train on fewer than ``min_train``; see the module doc.

    The horizon is cut (never below 1) only as far as needed to keep ``min(n_windows, min_windows)``
    windows; with the horizon fixed, as many of the requested windows as fit are used.
    """
    if h < 1 or n_windows < 1 or step < 1:
        raise ValueError("h, n_windows and step must be >= 1")
    mt = max(int(min_train), 1)
    available = n - mt  # forecast targets after the shortest allowed training set
    if available < 1:
        note = f"{n} points: a window needs at least {mt} to train on plus 1 to score, so no backtest"
        return BacktestPlan((), 0, h, n_windows, mt, note)
    want = min(n_windows, max(1, min_windows))
    h_used = min(h, available)
    while h_used > 1 and (available - h_used) // step + 1 < want:
        h_used -= 1
    fits = (available - h_used) // step + 1
    used = min(n_windows, fits)
    last = n - h_used
    origins_ = tuple(last - k * step for k in range(used - 1, -1, -1))
    reasons = []
    if h_used < h:
        reasons.append(f"horizon {h_used} instead of {h}")
    if used < n_windows:
        reasons.append(f"{used} window{'s' if used != 1 else ''} instead of {n_windows}")
    note = None
    if reasons:
        note = f"{n} points, at least {mt} to train on: " + " and ".join(reasons)
    return BacktestPlan(origins_, h_used, h, n_windows, mt, note)


@dataclass
class BacktestResult:
    method: str
    h: int  # horizon used (see ``diagnostics`` for what was requested)
    windows: list[Window]
    backtest_plan: BacktestPlan | None = None
    pinned: dict[str, Any] = field(default_factory=dict)  # specification found at the earliest origin

    def __reduce_ex__(self, protocol: Any) -> Any:
        """Pickled as a few stacked arrays, not one small array per window and quantile: a panel's workers
        send every candidate's backtest of thousands of series back (one array each was ~10% of a worker's
        time, and as much again to unpickle). Unpickles to equal windows; irregular ones pickle as usual."""
        packed = _pack(self.windows)
        if packed is None:
            return super().__reduce_ex__(protocol)
        return (_unpacked, (self.method, self.h, self.backtest_plan, self.pinned, *packed))

    @property
    def diagnostics(self) -> dict[str, Any]:
        """Requested vs used horizon and windows, the minimum training length and why they differ."""
        if self.backtest_plan is None:
            return {"h_requested": self.h, "h_used": self.h, "windows_used": self.n_windows, "note": None}
        return self.backtest_plan.as_dict()

    @property
    def n_windows(self) -> int:
        return len(self.windows)

    def array(self, what: str = "mean") -> np.ndarray:
        """``(n_windows, h)`` array of ``mean``, ``actual``, ``errors`` or ``scaled_errors``."""
        if not self.windows:
            return np.empty((0, self.h))
        return np.vstack([getattr(w, what) for w in self.windows])

    @property
    def scales(self) -> np.ndarray:
        return np.array([w.scale for w in self.windows], dtype=float)

    @property
    def scales_sq(self) -> np.ndarray:
        return np.array([w.scale_sq for w in self.windows], dtype=float)

    def quantile_arrays(self) -> dict[float, np.ndarray]:
        """Probability -> ``(n_windows, h)`` array of that quantile."""
        if not self.windows:
            return {}
        return {q: np.vstack([w.quantiles[q] for w in self.windows]) for q in self.windows[0].quantiles}

    def frame(self) -> pd.DataFrame:
        """Long table: origin, step, actual, mean, q<p> columns, scale, method.

        Built column-wise (every series' final fit makes one: row dicts were ~3% of training time);
        windows with differing quantiles take the row-by-row path."""
        ws, h = self.windows, self.h
        qs = sorted(ws[0].quantiles) if ws else []
        if ws and h >= 1 and all(sorted(w.quantiles) == qs for w in ws):

            def col(get: Any) -> np.ndarray:
                return np.concatenate([np.asarray(get(w), dtype=float)[:h] for w in ws])

            data: dict[str, Any] = {
                "origin": np.repeat(np.array([w.origin for w in ws], dtype=np.int64), h),
                "step": np.tile(np.arange(1, h + 1, dtype=np.int64), len(ws)),
                "actual": col(lambda w: w.actual),
                "mean": col(lambda w: w.mean),
            }
            for q in qs:
                data[f"q{q:g}"] = col(lambda w, q=q: w.quantiles[q])
            data["scale"] = np.repeat(np.array([w.scale for w in ws], dtype=float), h)
            data["method"] = self.method  # a scalar in the constructor: adding the column after costs more
            return pd.DataFrame(data)
        rows: list[dict[str, Any]] = []
        for w in self.windows:
            for j in range(self.h):
                row = {"origin": w.origin, "step": j + 1, "actual": w.actual[j], "mean": w.mean[j]}
                row.update({f"q{q:g}": w.quantiles[q][j] for q in sorted(w.quantiles)})
                row["scale"] = w.scale
                rows.append(row)
        cols = ["origin", "step", "actual", "mean"]
        df = pd.DataFrame(rows, columns=None if rows else cols)
        df["method"] = self.method
        return df


def _pack(windows: Sequence[Window]) -> tuple[Any, ...] | None:
    """``windows`` as stacked arrays (None when they differ in length, quantiles or dtype)."""
    if not windows:
        return None
    qs = tuple(windows[0].quantiles)
    n = len(windows[0].mean)
    if any(tuple(w.quantiles) != qs for w in windows):
        return None
    arrays = [a for w in windows for a in (w.mean, w.actual, *w.quantiles.values())]
    if any(not isinstance(a, np.ndarray) or a.dtype != np.float64 or a.shape != (n,) for a in arrays):
        return None
    return (
        qs,
        np.array([w.origin for w in windows], dtype=np.int64),
        np.array([[w.scale, w.scale_sq] for w in windows], dtype=float),
        tuple(w.fallback for w in windows),
        np.stack(arrays).reshape(len(windows), 2 + len(qs), n),  # window x (mean, actual, q...) x step
    )


def _unpacked(
    method: str,
    h: int,
    backtest_plan: BacktestPlan | None,
    pinned: dict[str, Any],
    qs: tuple[float, ...],
    origins_: np.ndarray,
    scales: np.ndarray,
    fallbacks: tuple[str | None, ...],
    data: np.ndarray,
) -> BacktestResult:
    """:meth:`BacktestResult.__reduce_ex__`'s inverse."""
    windows = [
        Window(
            origin=int(o),
            mean=data[k, 0],
            quantiles=dict(zip(qs, data[k, 2:], strict=True)),
            actual=data[k, 1],
            scale=float(scales[k, 0]),
            scale_sq=float(scales[k, 1]),
            fallback=fallbacks[k],
        )
        for k, o in enumerate(origins_)
    ]
    return BacktestResult(method, h, windows, backtest_plan, pinned)


def origins(n: int, h: int, n_windows: int, step: int = 1, min_train: int = 3) -> list[int]:
    """Training lengths of the backtest windows at a fixed horizon, oldest first; fewer when the series is
    short (see :func:`plan` for the length-adaptive choice the backtests use)."""
    if h < 1 or n_windows < 1 or step < 1:
        raise ValueError("h, n_windows and step must be >= 1")
    last = n - h
    return [o for o in (last - k * step for k in range(n_windows - 1, -1, -1)) if o >= max(min_train, 1)]


def default_min_train(season_length: int, h: int = 1) -> int:
    """The shortest training set a window may have: 5 for annual data (the MASE scale then rests on 4
    differences and every family's own minimum is met), two seasons + 1 for seasonal data."""
    return max(5, 2 * season_length + 1) if season_length > 1 else 5


def backtest(
    y: Sequence[float] | np.ndarray,
    spec: str | ModelSpec,
    h: int,
    *,
    n_windows: int = 3,
    step: int = 1,
    min_train: int | None = None,
    min_windows: int = MIN_WINDOWS,
    season_length: int = 1,
    scale_season: int | None = None,
    scale_from: ScaleFrom = "origin",
    seed: int = 0,
    non_negative: bool = False,
    quantiles: Sequence[float] = QUANTILE_GRID,
    history_at: HistoryAt | None = None,
    search: Search = "each",
) -> BacktestResult:
    """Fit ``spec`` at each rolling origin and forecast; windows adapt to the length (module docstring).

    ``season_length`` goes to the model (1 = no seasonal model); ``scale_season`` is the lag of the MASE
    scale (default ``season_length``): a seasonally adjusted quarterly series is modelled with 1 and
    scaled with 4, like the benchmarks. ``search="first"``: the specification is searched at the
    earliest origin only and refitted at the later ones (module docstring).
    """
    y = np.asarray(y, dtype=float).ravel()
    spec = ModelSpec.of(spec)
    lag_m = season_length if scale_season is None else int(scale_season)
    mt = default_min_train(season_length, h) if min_train is None else int(min_train)
    bp = plan(y.size, h, n_windows, step, mt, min_windows)
    if scale_from not in ("origin", "series"):
        raise ValueError(f"scale_from must be 'origin' or 'series', got {scale_from!r}")
    full = (naive_scale(y, lag_m), naive_scale(y, lag_m, power=2)) if scale_from == "series" else None
    if search not in ("first", "each"):
        raise ValueError(f"search must be 'first' or 'each', got {search!r}")
    windows: list[Window] = []
    pinned: dict[str, Any] = {}
    for i, o in enumerate(bp.origins):
        train = y[:o] if history_at is None else np.asarray(history_at(o), dtype=float).ravel()
        model = _model(spec, season_length, seed, non_negative, pinned)
        fc, lag = _forecast(model, train, o, bp.h, quantiles)
        if i == 0 and search == "first":
            pinned = model.pinned()
        scale, scale_sq = full or (naive_scale(train, lag_m), naive_scale(train, lag_m, power=2))
        windows.append(
            Window(
                origin=o,
                mean=fc.mean[lag:],
                quantiles={q: v[lag:] for q, v in fc.quantiles.items()},
                actual=y[o : o + bp.h].copy(),
                scale=scale,
                scale_sq=scale_sq,
                fallback=fc.fallback,
            )
        )
    return BacktestResult(
        method=spec.label, h=bp.h if windows else h, windows=windows, backtest_plan=bp, pinned=pinned
    )


def _model(
    spec: ModelSpec, season_length: int, seed: int, non_negative: bool, pinned: Mapping[str, Any]
) -> Forecaster:
    """``spec``'s model, with a specification found at an earlier origin when there is one."""
    params = {**dict(spec.params), **dict(pinned)}
    return make(spec.name, season_length=season_length, seed=seed, non_negative=non_negative, **params)


def _forecast(
    model: Forecaster, train: np.ndarray, origin: int, h: int, quantiles: Sequence[float]
) -> tuple[Forecast, int]:
    """Forecast far enough to cover the origin's horizon when the vintage lags the origin."""
    lag = origin - train.size
    if lag < 0:
        raise ValueError(f"history_at({origin}) returned {train.size} points, more than the origin")
    return model.fit(train).predict(h + lag, quantiles=quantiles), lag
