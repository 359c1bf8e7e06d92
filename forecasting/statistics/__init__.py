"""Generic statistics the layers above share: HAC regressions, elasticities of paired year-indexed series
and empirical-Bayes shrinkage (engine layer).

Why its own package: transmission estimation (training) and the scenario engine (consumers) need the same
estimators, and they are plain numpy (and year-indexed pandas series), with nothing about which series,
their units or bundles.
"""

from forecasting.statistics.pairs import consecutive_diffs, elasticity_ols, paired
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
    "consecutive_diffs",
    "elasticity_ols",
    "hac_lags",
    "mean_se",
    "ols_slope",
    "paired",
    "pool_toward_prior",
    "shrink_hierarchical",
    "shrink_toward",
]
