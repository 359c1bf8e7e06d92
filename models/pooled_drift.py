"""Drift with its slope shrunk toward its group's: ``pooled_drift``.

Why: like series (e.g. the ITL3 areas' nominal GVA) share inflation and national growth, and one
series' drift slope is estimated from its own short, noisy history. The slope is taken in relative terms
(``r`` = mean step change / last value, comparable across series of any size) and shrunk toward the
group's mean relative slope at the same origin with the empirical-Bayes (positive-part James-Stein)
weight ``B = v / (v + tau2)``: ``v`` is the series' own sampling variance of ``r`` (variance of its steps
over their count, over the last value squared) and ``tau2`` the group's between-series variance of ``r``
beyond sampling noise. The group's figures come from the caller (``forecasting.evaluation.pooling``,
computed from data up to each origin only) as rows ``[n, mu, tau2]``: the fit on ``n`` points reads the
row of its own length, so no backtest window sees its group's later data.

Without a row for its length (no group, a group too small, a last value <= 0) it is the plain drift.
Intervals: drift's, with the slope's estimation variance reduced by the shrinkage (``1 - B`` of it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.base import Capabilities, Forecast, Forecaster, gaussian_quantiles, register


@register
class PooledDrift(Forecaster):
    name = "pooled_drift"
    capabilities = Capabilities(min_length=2)

    def __init__(
        self, season_length: int = 1, seed: int = 0, non_negative: bool = False, **params: Any
    ) -> None:
        params.setdefault("group_slope", [])
        params["group_slope"] = [[float(v) for v in row] for row in params["group_slope"]]
        super().__init__(season_length, seed, non_negative, **params)

    def _group_row(self, n: int) -> tuple[float, float] | None:
        """The group's ``(mu, tau2)`` at this training length, if the caller gave one."""
        for row in self.params["group_slope"]:
            if int(row[0]) == n and np.isfinite(row[1]) and np.isfinite(row[2]):
                return float(row[1]), max(float(row[2]), 0.0)
        return None

    def _fit(self, y, X):
        n = y.size
        d = np.diff(y)
        own = (y[-1] - y[0]) / (n - 1)
        self.weight_ = 0.0  # B: the share of the slope taken from the group
        self.slope_ = own
        row = self._group_row(n)
        last = float(y[-1])
        if row is not None and last > 0 and d.size > 1:
            mu, tau2 = row
            v = float(np.var(d, ddof=1)) / d.size / last**2
            b = 1.0 if tau2 <= 0 else v / (v + tau2)
            self.weight_ = float(b)
            self.slope_ = last * (b * mu + (1 - b) * own / last)
        resid = d - self.slope_
        self.sigma_ = float(np.sqrt(np.mean(resid**2))) if n > 2 else abs(self.slope_) + 1e-9

    def _predict(self, h, X, quantiles):
        n = self.y_.size
        steps = np.arange(1, h + 1)
        mean = self.y_[-1] + self.slope_ * steps
        sd = self.sigma_ * np.sqrt(steps * (1 + (1 - self.weight_) * steps / max(n - 1, 1)))
        return Forecast(mean, gaussian_quantiles(mean, sd, quantiles))
