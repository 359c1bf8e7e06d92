"""Naive, seasonal naive, drift and mean: the benchmarks every other family must beat."""

from __future__ import annotations

import numpy as np

from models.base import Capabilities, Forecast, Forecaster, gaussian_quantiles, register


def _sigma(resid: np.ndarray) -> float:
    resid = resid[np.isfinite(resid)]
    return float(np.sqrt(np.mean(resid**2))) if resid.size else 0.0


@register
class Naive(Forecaster):
    name = "naive"
    capabilities = Capabilities(min_length=1)

    def _fit(self, y, X):
        self.sigma_ = _sigma(np.diff(y)) if y.size > 1 else abs(float(y[-1])) * 0.1

    def _predict(self, h, X, quantiles):
        mean = np.full(h, self.y_[-1])
        sd = self.sigma_ * np.sqrt(np.arange(1, h + 1))
        return Forecast(mean, gaussian_quantiles(mean, sd, quantiles))


@register
class SeasonalNaive(Forecaster):
    name = "seasonal_naive"
    capabilities = Capabilities(min_length=1, seasonal=True)

    def _fit(self, y, X):
        m = self.season_length
        self.m_ = m if m > 1 and y.size >= m + 1 else 1
        m = self.m_
        self.sigma_ = _sigma(y[m:] - y[:-m]) if y.size > m else abs(float(y[-1])) * 0.1

    def _predict(self, h, X, quantiles):
        m = self.m_
        last = self.y_[-m:]
        mean = np.array([last[i % m] for i in range(h)], dtype=float)
        sd = self.sigma_ * np.sqrt(np.floor(np.arange(h) / m) + 1)
        return Forecast(mean, gaussian_quantiles(mean, sd, quantiles))


@register
class Drift(Forecaster):
    name = "drift"
    capabilities = Capabilities(min_length=2)

    def _fit(self, y, X):
        n = y.size
        self.slope_ = (y[-1] - y[0]) / (n - 1)
        self.sigma_ = _sigma(np.diff(y) - self.slope_) if n > 2 else abs(self.slope_) + 1e-9

    def _predict(self, h, X, quantiles):
        n = self.y_.size
        steps = np.arange(1, h + 1)
        mean = self.y_[-1] + self.slope_ * steps
        sd = self.sigma_ * np.sqrt(steps * (1 + steps / max(n - 1, 1)))
        return Forecast(mean, gaussian_quantiles(mean, sd, quantiles))


@register
class Mean(Forecaster):
    name = "mean"
    capabilities = Capabilities(min_length=1)

    def _fit(self, y, X):
        self.mu_ = float(y.mean())
        self.sigma_ = float(y.std(ddof=1)) if y.size > 1 else abs(self.mu_) * 0.1

    def _predict(self, h, X, quantiles):
        n = self.y_.size
        mean = np.full(h, self.mu_)
        sd = np.full(h, self.sigma_ * np.sqrt(1 + 1 / n))
        return Forecast(mean, gaussian_quantiles(mean, sd, quantiles))
