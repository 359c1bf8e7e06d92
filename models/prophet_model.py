"""Prophet, set up for short annual and quarterly economic series; quiet, seeded and JSON-serialisable.

Why these choices
- Annual: no seasonality at all; quarterly/monthly: a yearly Fourier seasonality (order 2 quarterly,
  4 monthly) only with two full years of data. Changepoints: about one per three observations (at
  most 10) over the first 80% of the history, with Prophet's default prior scale; the default 25 would
  give a short series a changepoint almost every period.
- Determinism: ``seed`` goes to Stan's optimiser, and the posterior-predictive draws (Prophet uses the
  global NumPy RNG) are made with a seeded global state that is restored afterwards. The number of
  draws is fixed (``samples``, default 500). Quantiles come from those draws; the mean is Prophet's
  ``yhat``.
- Timestamps: optional ``start`` (ISO date, default 2000-01-01) and ``freq`` (A/Q/M, default from
  season_length) only place the series on a calendar for Prophet; results do not depend on the year.
- Extra regressors: X columns become ``x0..xk`` (Prophet standardises them).
- State: ``prophet.serialize.model_to_json`` (never pickle); ``from_state`` does not refit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from models.base import Capabilities, Forecast, Forecaster, ModelError, register

_FREQ = {"A": "YS", "Q": "QS", "M": "MS"}


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence Prophet/cmdstanpy for the call only (cmdstanpy installs its own handler on first use)."""
    logging.getLogger("prophet.plot").disabled = True  # "Importing plotly failed" at import: irrelevant here
    import cmdstanpy

    cmdstanpy.utils.get_logger()
    loggers = [logging.getLogger(name) for name in ("cmdstanpy", "prophet", "prophet.models")]
    saved = [lg.disabled for lg in loggers]
    for lg in loggers:
        lg.disabled = True
    try:
        yield
    finally:
        for lg, was in zip(loggers, saved, strict=True):
            lg.disabled = was


class _SeededGlobalRNG:
    """Prophet samples with ``np.random.*``: seed it for the call and restore the caller's state."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __enter__(self) -> None:
        self.saved = np.random.get_state()
        np.random.seed(self.seed % (2**32))

    def __exit__(self, *exc: object) -> None:
        np.random.set_state(self.saved)


@register
class ProphetForecaster(Forecaster):
    name = "prophet"
    capabilities = Capabilities(exogenous=True, min_length=3, seasonal=True, stochastic=True)

    def _validate(self, y: np.ndarray, X: np.ndarray | None) -> None:
        freq = self._freq()
        if freq not in _FREQ:
            raise ModelError(f"prophet: freq must be one of {sorted(_FREQ)}, got {freq!r}")
        try:
            pd.Timestamp(self.params.get("start", "2000-01-01"))
        except ValueError as exc:
            raise ModelError(f"prophet: start is not an ISO date: {exc}") from exc

    def _freq(self) -> str:
        default = {4: "Q", 12: "M"}.get(self.season_length, "A")
        return str(self.params.get("freq", default)).upper()

    def _dates(self, n: int, offset: int = 0) -> pd.DatetimeIndex:
        start = pd.Timestamp(self.params.get("start", "2000-01-01"))
        return pd.date_range(start, periods=n + offset, freq=_FREQ[self._freq()])[offset:]

    def _frame(self, dates: pd.DatetimeIndex, X: np.ndarray | None) -> pd.DataFrame:
        df = pd.DataFrame({"ds": dates})
        if X is not None:
            for j in range(X.shape[1]):
                df[f"x{j}"] = X[:, j]
        return df

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        with _quiet():
            self._fit_quiet(y, X)

    def _fit_quiet(self, y: np.ndarray, X: np.ndarray | None) -> None:
        from prophet import Prophet

        n = y.size
        n_cp = int(self.params.get("n_changepoints", min(10, max(0, n // 3))))
        model = Prophet(
            growth="linear",
            yearly_seasonality=False,
            weekly_seasonality=False,
            daily_seasonality=False,
            n_changepoints=n_cp,
            changepoint_range=0.8,
            changepoint_prior_scale=float(self.params.get("changepoint_prior_scale", 0.05)),
            uncertainty_samples=int(self.params.get("samples", 500)),
        )
        freq = self._freq()
        per_year = {"Q": 4, "M": 12}.get(freq, 1)
        if per_year > 1 and n >= 2 * per_year:
            model.add_seasonality("yearly", period=365.25, fourier_order=2 if per_year == 4 else 4)
        df = self._frame(self._dates(n), X)
        df["y"] = y
        if X is not None:
            for j in range(X.shape[1]):
                model.add_regressor(f"x{j}")
        model.fit(df, seed=self.seed)
        self.model_ = model

    def _predict(self, h: int, X: np.ndarray | None, quantiles: list[float]) -> Forecast:
        model = self.model_
        future = self._frame(self._dates(h, offset=self.y_.size), X)
        samples = model.uncertainty_samples
        try:
            model.uncertainty_samples = 0  # the point forecast needs no draws
            with _quiet():
                mean = model.predict(future)["yhat"].to_numpy(dtype=float)
        finally:
            model.uncertainty_samples = samples
        with _quiet(), _SeededGlobalRNG(self.seed):
            draws = np.asarray(model.predictive_samples(future)["yhat"], dtype=float)
        qs = np.quantile(draws, quantiles, axis=1)
        return Forecast(mean, {q: qs[i] for i, q in enumerate(quantiles)}, method="prophet")

    # ---- state: Prophet's own JSON, no refit on load -------------------------------------------
    def get_state(self) -> dict[str, Any]:
        from prophet.serialize import model_to_json

        state = super().get_state()
        if self.fallback_ is None and getattr(self, "model_", None) is not None:
            state["prophet"] = model_to_json(self.model_)
        return state

    @classmethod
    def _restore(cls, state: dict[str, Any]) -> ProphetForecaster:
        if "prophet" not in state:
            return super()._restore(state)  # type: ignore[return-value]
        with _quiet():
            from prophet.serialize import model_from_json

        model = cls(state["season_length"], state["seed"], state["non_negative"], **state.get("params", {}))
        model._restored(state)
        payload = state["prophet"]
        model.model_ = model_from_json(payload if isinstance(payload, str) else json.dumps(payload))
        return model
