"""The project's shared vocabulary: series identity, frequencies and period labels, the quantile grid.

Why one module: every stage (adapters, warehouse, training, registry, API, scenarios, scorecards) and the
engine speak about the same three things. Each used to carry its own copy (four of the quantile column
names, six frequency maps, one of which said ``"Y"`` where the rest said ``"A"``); a copy that drifts is a
silent bug. This module imports nothing from the project, so anything may import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

# ---- frequencies ----------------------------------------------------------------------------------------
Frequency = Literal["A", "Q", "M"]
FREQUENCIES: tuple[Frequency, ...] = ("A", "Q", "M")


@dataclass(frozen=True)
class FrequencySpec:
    """What a frequency code means everywhere: months per period, season length, pandas period code."""

    code: Frequency
    months: int
    season_length: int
    pandas: str  # pandas Period frequency ("Y", "Q", "M")
    noun: str  # "year", "quarter", "month"
    # Months after a period ends before its first estimate is typically published (ONS, World Bank).
    publication_lag_months: int


FREQ: dict[str, FrequencySpec] = {
    "A": FrequencySpec("A", 12, 1, "Y", "year", 10),
    "Q": FrequencySpec("Q", 3, 4, "Q", "quarter", 3),
    "M": FrequencySpec("M", 1, 12, "M", "month", 2),
}


def frequency_spec(frequency: str) -> FrequencySpec:
    try:
        return FREQ[frequency]
    except KeyError:
        raise ValueError(f"unknown frequency {frequency!r}; expected one of {FREQUENCIES}") from None


def season_length(frequency: str) -> int:
    return frequency_spec(frequency).season_length


def months_per_period(frequency: str) -> int:
    return frequency_spec(frequency).months


def period_label(period: pd.Timestamp | np.datetime64 | str, frequency: str) -> str:
    """The label used across CLI, API, CSV and charts: ``2015``, ``2015Q1``, ``2015-01``."""
    ts = pd.Timestamp(period)
    if frequency == "A":
        return f"{ts.year}"
    if frequency == "Q":
        return f"{ts.year}Q{(ts.month - 1) // 3 + 1}"
    if frequency == "M":
        return f"{ts.year}-{ts.month:02d}"
    raise ValueError(f"unknown frequency {frequency!r}; expected one of {FREQUENCIES}")


def period_start(label: str, frequency: str) -> pd.Timestamp:
    """Inverse of ``period_label``: ``"2015Q2"`` -> 2015-04-01."""
    return pd.Period(str(label), freq=frequency_spec(frequency).pandas).start_time


def shift_periods(start: pd.Timestamp, frequency: str, steps: int | Iterable[int]) -> list[pd.Timestamp]:
    """Period starts ``steps`` periods after ``start`` (one step = one period of ``frequency``)."""
    months = months_per_period(frequency)
    seq = [steps] if isinstance(steps, int) else list(steps)
    return [pd.Timestamp(start) + pd.DateOffset(months=months * int(k)) for k in seq]


def period_end(starts: np.ndarray | Sequence[pd.Timestamp], frequency: str) -> np.ndarray:
    """Exclusive end of each period (datetime64[ns] in, out)."""
    idx = pd.DatetimeIndex(starts)
    return (idx + pd.DateOffset(months=months_per_period(frequency))).values


def periods_between(first: pd.Timestamp, last: pd.Timestamp, frequency: str) -> int:
    """How many periods ``last`` lies after ``first`` (0 when equal; negative when before)."""
    a, b = pd.Timestamp(first), pd.Timestamp(last)
    months = (b.year - a.year) * 12 + (b.month - a.month)
    return months // months_per_period(frequency)


def period_containing(when: pd.Timestamp | str, frequency: str) -> pd.Timestamp:
    """Start of the period of ``frequency`` that contains ``when``."""
    return pd.Period(pd.Timestamp(when), freq=frequency_spec(frequency).pandas).start_time


def nowcast_steps(last_start: pd.Timestamp, frequency: str, present: pd.Timestamp | str) -> int:
    """Periods after the last observed one that have begun by ``present``: not yet published, so nowcasts.

    A series observed to 2023Q3 with the present in December 2026 has 13 (2023Q4 ... 2026Q4); one whose
    last period is the present's own has none.
    """
    return max(0, periods_between(last_start, period_containing(present, frequency), frequency))


def months_behind(last_start: pd.Timestamp, frequency: str, present: pd.Timestamp | str) -> int:
    """Whole months from the end of the last observed period to ``present``."""
    end = pd.Timestamp(last_start) + pd.DateOffset(months=months_per_period(frequency))
    p = pd.Timestamp(present)
    return max(0, (p.year - end.year) * 12 + (p.month - end.month))


def is_stale(last_start: pd.Timestamp, frequency: str, present: pd.Timestamp | str) -> bool:
    """More than a year behind what publishers usually have out by ``present`` (its publication lag)."""
    spec = frequency_spec(frequency)
    return months_behind(last_start, frequency, present) > 12 + spec.publication_lag_months


def stale_reason(
    last_start: pd.Timestamp,
    frequency: str,
    present: pd.Timestamp | str,
    release: str | None = None,
    source: str | None = None,
) -> str:
    """Why a series is stale, in words people read beside a chart or table row; "" when it is not.

    Says where the data end, how far behind the present that is, and which publisher release (and its
    age) the numbers come from, so "stale" never appears without its reason: usually the source is
    pinned at an old release, or the publisher stopped.
    """
    if not is_stale(last_start, frequency, present):
        return ""
    p = pd.Timestamp(present)
    behind = months_behind(last_start, frequency, p)
    lag = frequency_spec(frequency).publication_lag_months
    text = (
        f"stale: data end {period_label(last_start, frequency)}, {behind} months before {p.date().isoformat()} "
        f"(over a year past the usual {lag}-month publication lag)"
    )
    if release:
        r = pd.Timestamp(str(release)[:10])
        age = max(0, (p.year - r.year) * 12 + (p.month - r.month))
        text += f"; from the release of {r.date().isoformat()}" + (f" ({source})" if source else "")
        text += f", {age} months old"
    return text


# ---- series identity ------------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class SeriesId:
    """``measure.geography.cluster.frequency``, parsed once and carried typed."""

    measure: str
    geography: str
    cluster: str
    frequency: str

    def __str__(self) -> str:
        return f"{self.measure}.{self.geography}.{self.cluster}.{self.frequency}"

    @classmethod
    def parse(cls, sid: str) -> SeriesId:
        parts = str(sid).split(".")
        if len(parts) != 4 or not all(parts):
            raise ValueError(f"series id {sid!r}: expected measure.geography.cluster.frequency")
        if parts[3] not in FREQ:
            raise ValueError(f"series id {sid!r}: frequency {parts[3]!r} is not one of {FREQUENCIES}")
        return cls(*parts)

    def __iter__(self) -> Iterator[str]:
        """Unpacks as ``measure, geography, cluster, frequency``."""
        return iter((self.measure, self.geography, self.cluster, self.frequency))

    def at(self, geography: str) -> SeriesId:
        """The same measure, cluster and frequency in another area."""
        return SeriesId(self.measure, geography, self.cluster, self.frequency)


def series_id(measure: str, geography: str, cluster: str, frequency: str) -> str:
    """Stable, URL-safe series identifier: ``measure.geography.cluster.frequency``."""
    return f"{measure}.{geography}.{cluster}.{frequency}"


def parse_series_id(sid: str) -> SeriesId:
    return SeriesId.parse(sid)


# ---- quantiles --------------------------------------------------------------------------------------------
# The grid every stored forecast carries (levels 50/60/80/90/95 are pairs of these).
QUANTILE_GRID: tuple[float, ...] = (0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 0.8, 0.9, 0.95, 0.975)
INTERVAL_LEVELS: tuple[int, ...] = (80, 95)  # the intervals user-facing tables show


def qcol(q: float) -> str:
    """0.025 -> ``"q0.025"`` (the stored column name)."""
    return f"q{float(q):g}"


QUANTILE_COLUMNS: tuple[str, ...] = tuple(qcol(q) for q in QUANTILE_GRID)


def qcol_prob(column: str) -> float | None:
    """``"q0.025"`` -> 0.025; None for any other column name."""
    if not column.startswith("q"):
        return None
    try:
        p = float(column[1:])
    except ValueError:
        return None
    return p if 0 < p < 1 else None


def quantile_columns(columns: Iterable[str]) -> list[str]:
    """The quantile columns among ``columns``, in probability order."""
    found = [(p, c) for c in columns if (p := qcol_prob(str(c))) is not None]
    return [c for _, c in sorted(found)]


def at_probability(values: Mapping[float, Any], p: float, default: Any = None) -> Any:
    """``values[p]`` for a mapping keyed by probability, float keys compared with a tolerance (0.1 may be
    stored as 0.1000000001); ``default`` when no key matches."""
    return next((v for q, v in values.items() if abs(float(q) - p) < 1e-9), default)


def level_to_quantiles(level: float) -> tuple[float, float]:
    """80 -> (0.1, 0.9)."""
    a = (1 - float(level) / 100) / 2
    return round(a, 6), round(1 - a, 6)


def interval_columns(level: float) -> tuple[str, str]:
    """80 -> (``"lo80"``, ``"hi80"``): the user-facing names of an interval's bounds."""
    return f"lo{float(level):g}", f"hi{float(level):g}"


def interval_levels(quantiles: Iterable[float]) -> list[int]:
    """Central interval levels (integer %) whose two bounds are both in ``quantiles``."""
    qs = {round(float(q), 6) for q in quantiles}
    out = []
    for q in sorted(qs):
        if q < 0.5 and round(1 - q, 6) in qs:
            out.append(round((1 - 2 * q) * 100))
    return sorted(set(out))


__all__ = [
    "FREQ",
    "FREQUENCIES",
    "INTERVAL_LEVELS",
    "QUANTILE_COLUMNS",
    "QUANTILE_GRID",
    "Frequency",
    "FrequencySpec",
    "SeriesId",
    "frequency_spec",
    "interval_columns",
    "interval_levels",
    "is_stale",
    "stale_reason",
    "level_to_quantiles",
    "months_behind",
    "months_per_period",
    "nowcast_steps",
    "parse_series_id",
    "period_end",
    "period_label",
    "period_start",
    "periods_between",
    "qcol",
    "qcol_prob",
    "quantile_columns",
    "season_length",
    "series_id",
    "shift_periods",
]
