"""A series as its share of its group's total, the total forecast by drift: ``group_share``.

Why: the ITL3 areas' nominal GVA move mostly with the UK's (inflation, the national cycle), and an
area's share of the total is persistent. The sum over the group is smoother than any one area and its
drift slope is estimated from every area at once; one area's own drift slope is mostly noise beside
it. So the share is held at its last value and the total follows its drift:
``y[n+k] = y[n] * (1 + g * k)`` with ``g`` the total's relative drift slope (its drift over its value at
the origin). A parent published on its own (the UK total) is not needed: the group's sum is it when the
group covers the parent (every ITL3 area of the UK), and otherwise the group's own aggregate.

The group's figures come from the caller (``forecasting.evaluation.pooling.group_growth_rows``, computed
from data up to each origin only) as rows ``[n, g]``: the fit on ``n`` points reads the row of its own
length, so no backtest window sees its group's later data. Without a row (no group, a group too small, a
last value <= 0: a share needs a positive level) it is the plain drift. Intervals: the spread of the
series' steps around the group-implied step, growing with the square root of the horizon (the group's
slope is estimated from many series; its own error is in the calibrated intervals a panel gives).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.base import Capabilities, Forecast, Forecaster, gaussian_quantiles, register


@register
class GroupShare(Forecaster):
    name = "group_share"
    capabilities = Capabilities(min_length=2)

    def __init__(
        self, season_length: int = 1, seed: int = 0, non_negative: bool = False, **params: Any
    ) -> None:
        params.setdefault("group_growth", [])
        params["group_growth"] = [[float(v) for v in row] for row in params["group_growth"]]
        super().__init__(season_length, seed, non_negative, **params)

    def _group_slope(self, n: int) -> float | None:
        """The group total's relative drift slope at this training length, if the caller gave one."""
        for row in self.params["group_growth"]:
            if int(row[0]) == n and np.isfinite(row[1]):
                return float(row[1])
        return None

    def _fit(self, y, X):
        n = y.size
        last = float(y[-1])
        g = self._group_slope(n)
        self.shared_ = g is not None and last > 0
        self.slope_ = last * g if self.shared_ else (last - y[0]) / (n - 1)
        resid = np.diff(y) - self.slope_
        self.sigma_ = float(np.sqrt(np.mean(resid**2))) if n > 2 else abs(self.slope_) + 1e-9

    def _predict(self, h, X, quantiles):
        n = self.y_.size
        steps = np.arange(1, h + 1)
        mean = self.y_[-1] + self.slope_ * steps
        own_slope = 0.0 if self.shared_ else steps / max(n - 1, 1)  # drift's slope uncertainty
        sd = self.sigma_ * np.sqrt(steps * (1 + own_slope))
        return Forecast(mean, gaussian_quantiles(mean, sd, quantiles))
