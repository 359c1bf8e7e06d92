"""Rolling-origin, expanding-window backtests of one model spec on one series.

An *origin* is the number of observations the model is trained on: with ``n`` points, horizon ``h``,
``n_windows`` and ``step``, origins are ``n - h - k * step`` for ``k = n_windows - 1 .. 0``, so the last
window's horizon ends on the last observation and every window has all ``h`` actuals. Origins below
``min_train`` are dropped (a short series gets fewer windows, possibly none) rather than fitting on
too little data. Each window's errors are also divided by the MASE scale of *its own* training data, the
scale the calibrator later multiplies back at forecast time.

Vintage-aware mode: ``history_at(origin)`` returns the series as it was published at that origin (revised
values, and possibly fewer points when the latest ones were not yet out). The model is fitted on that
vintage; the forecast is extended over any publication lag and scored against the latest actuals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.evaluation.metrics import naive_scale
from forecasting.vocabulary import QUANTILE_GRID
from models.base import Forecast, make

HistoryAt = Callable[[int], np.ndarray]


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


@dataclass
class BacktestResult:
    method: str
    h: int
    windows: list[Window]

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
        """Long table: origin, step, actual, mean, q<p> columns, scale, method."""
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


def origins(n: int, h: int, n_windows: int, step: int = 1, min_train: int = 3) -> list[int]:
    """Training lengths of the backtest windows, oldest first; fewer than asked when the series is short."""
    if h < 1 or n_windows < 1 or step < 1:
        raise ValueError("h, n_windows and step must be >= 1")
    last = n - h
    return [o for o in (last - k * step for k in range(n_windows - 1, -1, -1)) if o >= max(min_train, 1)]


def default_min_train(season_length: int, h: int) -> int:
    """Enough points to fit something sensible: 3 for annual, two seasons + 1 for seasonal data."""
    return max(3, 2 * season_length + 1) if season_length > 1 else 3


def backtest(
    y: Sequence[float] | np.ndarray,
    spec: str | ModelSpec,
    h: int,
    *,
    n_windows: int = 3,
    step: int = 1,
    min_train: int | None = None,
    season_length: int = 1,
    seed: int = 0,
    non_negative: bool = False,
    quantiles: Sequence[float] = QUANTILE_GRID,
    history_at: HistoryAt | None = None,
) -> BacktestResult:
    """Fit ``spec`` at each rolling origin and forecast ``h`` steps; see the module docstring."""
    y = np.asarray(y, dtype=float).ravel()
    spec = ModelSpec.of(spec)
    mt = default_min_train(season_length, h) if min_train is None else int(min_train)
    windows: list[Window] = []
    for o in origins(y.size, h, n_windows, step, mt):
        train = y[:o] if history_at is None else np.asarray(history_at(o), dtype=float).ravel()
        fc, lag = _forecast(train, o, spec, h, season_length, seed, non_negative, quantiles)
        windows.append(
            Window(
                origin=o,
                mean=fc.mean[lag:],
                quantiles={q: v[lag:] for q, v in fc.quantiles.items()},
                actual=y[o : o + h].copy(),
                scale=naive_scale(train, season_length),
                scale_sq=naive_scale(train, season_length, power=2),
                fallback=fc.fallback,
            )
        )
    return BacktestResult(method=spec.label, h=h, windows=windows)


def _forecast(
    train: np.ndarray,
    origin: int,
    spec: ModelSpec,
    h: int,
    season_length: int,
    seed: int,
    non_negative: bool,
    quantiles: Sequence[float],
) -> tuple[Forecast, int]:
    """Forecast far enough to cover the origin's horizon when the vintage lags the origin."""
    lag = origin - train.size
    if lag < 0:
        raise ValueError(f"history_at({origin}) returned {train.size} points, more than the origin")
    model = make(
        spec.name, season_length=season_length, seed=seed, non_negative=non_negative, **dict(spec.params)
    )
    return model.fit(train).predict(h + lag, quantiles=quantiles), lag
