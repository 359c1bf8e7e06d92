"""Generic statistics the layers above share: HAC regressions and empirical-Bayes shrinkage (engine layer).

Why its own package: transmission estimation (training) and the scenario engine (consumers) need the same
estimators, and they are plain numpy on arrays, with nothing about series, units or bundles.
"""

from forecasting.statistics.regression import hac_lags, mean_se, ols_slope
from forecasting.statistics.shrinkage import (
    Pooled,
    Shrunk,
    pool_toward_prior,
    shrink_hierarchical,
    shrink_toward,
)

__all__ = [
    "Pooled",
    "Shrunk",
    "hac_lags",
    "mean_se",
    "ols_slope",
    "pool_toward_prior",
    "shrink_hierarchical",
    "shrink_toward",
]
