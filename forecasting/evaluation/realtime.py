"""Real-time backtests: each rolling origin sees a series as the publishers had released it then.

Revisions matter for investment data (WDI revised UK 2020 FDI inflows from 132.5 bn to 157.2 bn US$
between its 2023 and 2025 releases). A backtest on today's revised data flatters every model; one on data
as published at each origin measures what a forecaster could really have done.

``PublishedHistory`` holds every release of one series (the training job reads them from the warehouse
once: ``forecasting.training.published``) and answers ``history_at(origin)`` in memory, so it pickles to
joblib/Dask workers without a database connection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.vocabulary import FREQ, months_per_period

# Months after a period ends before its first estimate is typically published.
DEFAULT_LAG_MONTHS = {code: spec.publication_lag_months for code, spec in FREQ.items()}


@dataclass(frozen=True)
class PublishedHistory:
    """Every published value of one series: ``periods`` (current, oldest first) and a release table."""

    periods: tuple[pd.Timestamp, ...]
    releases: pd.DataFrame  # period, value, release (YYYY-MM-DD), ordered by release
    frequency: str
    lag_months: int

    def cutoff(self, origin: int) -> pd.Timestamp:
        """When the forecast at ``origin`` was made: end of its last period plus the publication lag."""
        last = self.periods[origin - 1]
        return last + pd.DateOffset(months=months_per_period(self.frequency) + self.lag_months)

    def __call__(self, origin: int) -> np.ndarray:
        """Values of ``periods[:origin]`` as known at the origin's cutoff (a prefix: unreleased tail dropped).

        An origin earlier than every release the warehouse holds sees the earliest release: the closest
        record of what was known then that we have.
        """
        released = pd.to_datetime(self.releases["release"])
        cutoff = max(self.cutoff(origin), released.min())
        known = self.releases[released <= cutoff]
        latest = known.drop_duplicates("period", keep="last").set_index("period")["value"]
        out = []
        for p in self.periods[:origin]:
            if p not in latest.index:
                break
            out.append(float(latest[p]))
        return np.asarray(out, dtype=float)
