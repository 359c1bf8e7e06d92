"""Scenario time: periods relative to the date a projection is made ("today"), not to the last observation.

Why: a bundle's forecasts start after its last observation, which for annual FDI is years ago, so "World
FDI -20% next year" applied at the first forecast period lands in the past. A projection therefore carries
``today`` (injectable for tests and reruns, defaulting to the real date): a change without a start begins in
the first period that starts after today ("next year" for annual series), every point says whether its
period has begun (``nowcast``: begun or over but not published) or not (``forecast``), and a change wholly
in periods that have already ended is refused unless the scenario says it is a counterfactual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from forecasting.vocabulary import period_end


def today() -> dt.date:
    """The real date (UTC): what "next year" means when the caller does not inject a date."""
    return dt.datetime.now(dt.UTC).date()


def resolve_today(value: dt.date | str | None) -> dt.date:
    """``None`` -> the real date; an ISO date string or a date as given."""
    if value is None:
        return today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _day(d: dt.date) -> np.datetime64:
    return np.datetime64(d.isoformat(), "ns")


def kinds(starts: np.ndarray, when: dt.date) -> tuple[str, ...]:
    """Per period: ``nowcast`` when it has begun on or before ``when`` (not published yet), else ``forecast``."""
    t = _day(when)
    return tuple("nowcast" if s <= t else "forecast" for s in np.asarray(starts, dtype="datetime64[ns]"))


def first_future(starts: np.ndarray, when: dt.date) -> int | None:
    """Index of the first period that starts after ``when`` (None when the horizon has none)."""
    t = _day(when)
    hit = np.flatnonzero(np.asarray(starts, dtype="datetime64[ns]") > t)
    return int(hit[0]) if len(hit) else None


def ended(starts: np.ndarray, frequency: str, positions: Sequence[int], when: dt.date) -> bool:
    """Whether every period at ``positions`` ended on or before ``when`` (wholly in the past)."""
    if not len(positions):
        return False
    s = np.asarray(starts, dtype="datetime64[ns]")[list(positions)]
    return bool(np.all(period_end(s, frequency) <= _day(when)))  # exclusive ends


__all__ = ["ended", "first_future", "kinds", "resolve_today", "today"]
