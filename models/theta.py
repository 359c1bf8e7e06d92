"""Theta method (statsmodels ``ThetaModel``, theta = 2): the yearly benchmark that is hard to beat.

Why these choices
- Seasonal data (season_length > 1 with two full seasons) is deseasonalised by classical decomposition
  when statsmodels' 90% autocorrelation test finds seasonality; multiplicative for positive data.
- Intervals follow statsmodels' ``prediction_intervals`` (the ARIMA(0,1,1)-with-drift form of Theta),
  with two changes: sigma^2 is the mean squared in-sample one-step error of Theta's own SES-with-drift
  recursion on the *deseasonalised* series (statsmodels fits a second model, an ARIMA(0,1,1) on the raw,
  still seasonal series: slower, and too wide for quarterly data), and the spread is re-seasonalised
  like the mean when the decomposition is multiplicative.
- Fitting is cheap and deterministic, so the state is the history and ``from_state`` refits.
- ``spec`` (what ``pinned()`` returns for seasonal data: ``"seasonal"`` or ``"none"``, the
  seasonality test's verdict) skips the test at a backtest's later origins.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from models.base import Capabilities, Forecast, Forecaster, gaussian_quantiles, register


@register
class Theta(Forecaster):
    name = "theta"
    capabilities = Capabilities(min_length=4, seasonal=True)

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        self.constant_ = bool(np.ptp(y) == 0)
        if self.constant_:  # statsmodels' trend regression drops the constant column on a flat series
            return
        m = self.season_length
        seasonal = m > 1 and y.size >= 2 * m
        pinned = self.params.get("spec")  # the seasonality test's verdict at an earlier origin
        test = seasonal and pinned is None
        if seasonal and pinned is not None:
            seasonal = pinned == "seasonal"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ThetaModel(y, period=m if seasonal else 1, deseasonalize=seasonal, use_test=test)
            res = model.fit()
            self.seasonal_ = bool(model.deseasonalize and res._seasonal.size)
            self.mul_ = bool(self.seasonal_ and model.method.startswith("mul"))
            season = self._season(res, np.arange(y.size))
        adjusted = y / season if self.mul_ else y - season
        theta = float(self.params.get("theta", 2.0))
        drift = float(res.params["b0"]) * (1 - 1 / theta)
        res._sigma2 = _one_step_mse(adjusted, float(res.params["alpha"]), drift)
        self.res_ = res

    def _pinned(self) -> dict[str, Any]:
        if self.constant_ or not (self.season_length > 1 and self.y_.size >= 2 * self.season_length):
            return {}  # nothing was tested
        return {"spec": "seasonal" if self.seasonal_ else "none"}

    def _season(self, res, idx: np.ndarray) -> np.ndarray:
        base = 1.0 if self.mul_ else 0.0
        if not (res.model.deseasonalize and res._seasonal.size):
            return np.full(idx.size, base)
        return np.asarray(res._seasonal)[idx % res.model.period]

    def _predict(self, h: int, X: np.ndarray | None, quantiles: list[float]) -> Forecast:
        if self.constant_:
            mean = np.full(h, self.y_[-1])
            return Forecast(mean, {q: mean.copy() for q in quantiles}, method="theta(constant)")
        theta = float(self.params.get("theta", 2.0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mean = np.asarray(self.res_.forecast(h, theta=theta), dtype=float)
        sd = theta_sd(self.res_, h)
        if self.mul_:
            sd = sd * self._season(self.res_, self.y_.size + np.arange(h))
        return Forecast(mean, gaussian_quantiles(mean, sd, quantiles), method="theta")


def _one_step_mse(y: np.ndarray, alpha: float, drift: float) -> float:
    """Mean squared one-step error of SES with drift (Hyndman & Billah's form of the theta method)."""
    level, sse = y[0], 0.0
    for value in y[1:]:
        error = value - (level + drift)
        sse += error * error
        level = level + drift + alpha * error
    return sse / max(y.size - 1, 1)


def theta_sd(res, h: int) -> np.ndarray:
    """The spread behind statsmodels' ``ThetaResults.prediction_intervals`` (same formula), without the
    second forecast call and pandas frame it builds; a test pins the two together."""
    alpha = float(res.params["alpha"])
    return np.sqrt((1 + np.arange(h) * (1 + (alpha - 1) ** 2)) * res.sigma2)
