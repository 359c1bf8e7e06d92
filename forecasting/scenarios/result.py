"""What a projection returns: per series baseline vs scenario paths, the difference with its intervals.

Why one result object with ``to_dict`` and ``to_frame``: the CLI (table or JSON), the API (JSON) and the
chart all read the same numbers, so they cannot disagree. Each point carries ``diff`` (scenario minus
baseline), ``diff_pct`` and the difference's own 80% and 95% intervals (``diff_lo80`` ... ``diff_hi95``,
from the projection draws), beside the baseline's and the scenario's intervals, and ``kind`` (nowcast or
forecast). A stock (a position, employment) reports its gap per period and its largest and last gap; a
flow reports the cumulative difference too (summing a stock's gap over years would mean nothing).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import NotFound
from forecasting.scenarios.definitions import Scenario

LEVELS = (80, 95)


def _f(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@lru_cache(maxsize=64)
def _interval_rows(quantiles: tuple[float, ...], level: int) -> tuple[int, int] | None:
    """Rows of the quantile grid that bound the central ``level``% interval (None when not on the grid)."""
    a = round((1 - level / 100) / 2, 6)
    qs = [round(q, 6) for q in quantiles]
    if a not in qs or round(1 - a, 6) not in qs:
        return None
    return qs.index(a), qs.index(round(1 - a, 6))


def _floats(a: np.ndarray) -> list[float | None]:
    """A float array as JSON-safe values (non-finite -> None)."""
    return [x if math.isfinite(x) else None for x in np.asarray(a, dtype=float).tolist()]


def _pct(num: np.ndarray, den: np.ndarray) -> list[float | None]:
    return [None if abs(d) < 1e-12 else _f(100 * n / d) for n, d in zip(num, den, strict=True)]


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_clean(x) for x in v.tolist()]
    if isinstance(v, float | np.floating):
        return _f(v)
    if isinstance(v, np.integer | np.bool_):
        return v.item()
    return v


@dataclass
class DriverPath:
    driver_id: str
    alias: str | None
    source: str  # "scenario path changes[i]" | "transmitted" | "baseline"
    periods: list[str]
    baseline: np.ndarray
    scenario: np.ndarray
    unit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "driver_id": self.driver_id,
            "alias": self.alias,
            "unit": self.unit,
            "source": self.source,
            "periods": list(self.periods),
            "baseline": [_f(v) for v in self.baseline],
            "scenario": [_f(v) for v in self.scenario],
            "deviation_pct": _pct(self.scenario - self.baseline, self.baseline),
        }


@dataclass
class SeriesProjection:
    series_id: str
    info: dict[str, Any]
    periods: list[str]
    kinds: list[str]
    baseline_mean: np.ndarray
    baseline_q: np.ndarray  # (n_quantiles, h)
    scenario_mean: np.ndarray
    scenario_q: np.ndarray
    quantiles: np.ndarray
    affected: bool
    reason: str | None
    channels: list[str]
    links: list[dict[str, Any]]
    history: list[tuple[str, float]]
    diff_intervals: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    status: str = "baseline"  # moved | baseline | not_identified
    accumulates: bool = False
    synthetic: bool = False
    decomposition: list[dict[str, Any]] = field(default_factory=list)
    accounting: dict[str, Any] | None = None

    @property
    def diff(self) -> np.ndarray:
        return self.scenario_mean - self.baseline_mean

    @property
    def diff_pct(self) -> np.ndarray:
        b = self.baseline_mean
        return np.divide(100 * self.diff, b, out=np.zeros_like(b, dtype=float), where=np.abs(b) > 1e-12)

    def interval(self, which: str, level: int) -> tuple[np.ndarray, np.ndarray] | None:
        if which == "diff":
            return self.diff_intervals.get(level)
        pos = _interval_rows(tuple(float(q) for q in self.quantiles), level)
        if pos is None:
            return None
        q = self.baseline_q if which == "baseline" else self.scenario_q
        return q[pos[0]], q[pos[1]]

    def summary(self) -> dict[str, Any]:
        """First-period, largest and last difference; for flows the cumulative one too."""
        d, pct = self.diff, self.diff_pct
        out: dict[str, Any] = {"quantity": self.info.get("quantity"), "accumulates": self.accumulates}
        if not len(d):
            return out
        nz = np.flatnonzero(d != 0)
        first = int(nz[0]) if len(nz) else 0
        big = int(np.argmax(np.abs(d)))
        iv80 = self.diff_intervals.get(80)
        out |= {
            "first_period": self.periods[first],
            "first_diff": _f(d[first]),
            "first_diff_pct": _f(pct[first]),
            "first_diff_lo80": _f(iv80[0][first]) if iv80 else None,
            "first_diff_hi80": _f(iv80[1][first]) if iv80 else None,
            "largest_period": self.periods[big],
            "largest_diff": _f(d[big]),
            "largest_diff_pct": _f(pct[big]),
            "last_period": self.periods[-1],
            "last_diff": _f(d[-1]),
            "last_diff_pct": _f(pct[-1]),
            "gap_kept": _f(d[-1] / d[big]) if d[big] != 0 else None,
        }
        if self.accumulates:
            tot, base = float(d.sum()), float(self.baseline_mean.sum())
            out |= {"cumulative_diff": _f(tot), "cumulative_diff_pct": _f(100 * tot / base) if base else None}
        return out

    def points(self) -> list[dict[str, Any]]:
        d = self.diff
        h = len(self.periods)
        cols: dict[str, list[Any]] = {
            "step": list(range(1, h + 1)),
            "period": list(self.periods),
            "kind": list(self.kinds) + [None] * (h - len(self.kinds)),
        }
        for which, mean in (("baseline", self.baseline_mean), ("scenario", self.scenario_mean)):
            cols[f"{which}_mean"] = _floats(mean)
            for lv in LEVELS:
                iv = self.interval(which, lv)
                if iv is not None:
                    cols[f"{which}_lo{lv}"], cols[f"{which}_hi{lv}"] = _floats(iv[0]), _floats(iv[1])
        cols["diff"] = _floats(d)
        cols["diff_pct"] = _pct(d, self.baseline_mean)
        for lv in LEVELS:
            iv = self.diff_intervals.get(lv)
            lo, hi = (iv[0], iv[1]) if iv is not None else (d, d)
            cols[f"diff_lo{lv}"], cols[f"diff_hi{lv}"] = _floats(lo), _floats(hi)
        if self.accumulates:
            cum = np.cumsum(d)
            cols["cum_diff"], cols["cum_diff_pct"] = _floats(cum), _pct(cum, np.cumsum(self.baseline_mean))
        else:
            cols["cum_diff"] = cols["cum_diff_pct"] = [None] * h
        keys = list(cols)
        return [dict(zip(keys, row, strict=True)) for row in zip(*cols.values(), strict=True)]

    def to_dict(self) -> dict[str, Any]:
        out = {
            "series_id": self.series_id,
            **self.info,
            "synthetic": self.synthetic,
            "affected": self.affected,
            "status": self.status,
            "reason": self.reason,
            "channels": self.channels,
            "links": self.links,  # LinkSpec.as_dict: JSON-safe already
            "decomposition": self.decomposition,
            "summary": self.summary(),
            "points": self.points(),
        }
        if self.accounting is not None:
            out["stock_flow"] = _clean(self.accounting)
        return out


@dataclass
class ScenarioResult:
    scenario: Scenario
    provenance: dict[str, Any]
    series: list[SeriesProjection]
    drivers: list[DriverPath]
    notes: list[str] = field(default_factory=list)
    macro: dict[str, Any] | None = None
    seed: int | None = None
    draws: int | None = None
    headline: tuple[str, ...] = ()
    related: tuple[str, ...] = ()  # shown after the headline when they move (GDP: the accounting channel)
    today: str | None = None  # the date the projection was made (ISO): what scenario time is relative to
    starts: dict[int, str] = field(default_factory=dict)  # change index -> its first period
    accounting: dict[str, Any] | None = None  # bases, identities and which channels are off

    @property
    def timing(self) -> dict[str, Any]:
        """When the scenario happens relative to today, and whether it is a counterfactual."""
        first = sorted(self.starts.values())
        return {
            "today": self.today,
            "counterfactual": bool(self.scenario.counterfactual),
            "label": "counterfactual (changes periods already over)"
            if self.scenario.counterfactual
            else "projection",
            "change_starts": {str(k): v for k, v in sorted(self.starts.items())},
            "first_period": first[0] if first else None,
            "kinds": "nowcast: the period has begun (or is over) but is not published; forecast: it starts after today",
        }

    @property
    def unaffected(self) -> list[str]:
        return [s.series_id for s in self.series if not s.affected]

    @property
    def not_identified(self) -> list[str]:
        return [s.series_id for s in self.series if s.status == "not_identified"]

    def get(self, series_id: str) -> SeriesProjection:
        for s in self.series:
            if s.series_id == series_id:
                return s
        raise NotFound(f"series {series_id!r} is not in this result")

    def movers(
        self, n: int = 10, *, include_synthetic: bool = False, uk_only: bool = True
    ) -> list[SeriesProjection]:
        """The ``n`` UK and Midlands series the scenario moves most: the largest difference relative to the
        series' own scale (its largest |baseline| or last observation), so a series whose baseline passes
        near zero does not top the list with a meaningless percentage. Other economies' flows are drivers'
        context for this service, not movers (``uk_only=False`` ranks them too). Synthetic (demo partner)
        series are left out unless asked for, and even then rank after every real series: they are
        labelled, never the top mover."""

        def score(s: SeriesProjection) -> float:
            scale = max(
                [float(np.max(np.abs(s.baseline_mean))) if len(s.baseline_mean) else 0.0]
                + [abs(s.history[-1][1])]
                if s.history
                else [0.0]
            )
            return float(np.max(np.abs(s.diff))) / scale if scale > 0 else 0.0

        moved = [
            s
            for s in self.series
            if s.affected
            and (include_synthetic or not s.synthetic)
            and (not uk_only or s.info.get("geography_level") not in ("country", "aggregate", "world"))
        ]
        return sorted(moved, key=lambda s: (not s.synthetic, score(s)), reverse=True)[:n]

    def summary_series(
        self, n_movers: int = 10, *, include_synthetic: bool = False
    ) -> list[SeriesProjection]:
        """The headline series, then the largest movers (what an analyst reads first). A synthetic series
        is never a headline figure (only a labelled mover, when asked for)."""
        by = {s.series_id: s for s in self.series if not s.synthetic}
        head = [by[s] for s in self.headline if s in by]
        head += [by[s] for s in self.related if s in by and by[s].affected and by[s] not in head]
        seen = {s.series_id for s in head}
        return head + [
            s for s in self.movers(n_movers, include_synthetic=include_synthetic) if s.series_id not in seen
        ]

    def to_dict(self, series: Sequence[SeriesProjection] | None = None) -> dict[str, Any]:
        chosen = self.series if series is None else list(series)
        return {
            "scenario": self.scenario.model_dump(mode="json"),
            "model": dict(self.provenance),
            "draws": {"n": self.draws, "seed": self.seed},
            "timing": self.timing,
            "accounting": _clean(self.accounting) if self.accounting is not None else None,
            "drivers": [d.to_dict() for d in self.drivers],
            "macro": _clean(self.macro) if self.macro is not None else None,
            "count": len(self.series),
            "shown": len(chosen),
            "affected": sum(s.affected for s in self.series),
            "unaffected": self.unaffected,
            "not_identified": self.not_identified,
            "notes": list(self.notes),
            "series": [s.to_dict() for s in chosen],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per series and period (the CLI table and CSV)."""
        rows = []
        for s in self.series:
            for p in s.points():
                rows.append({"series_id": s.series_id, "affected": s.affected, "status": s.status, **p})
        return pd.DataFrame(rows)


def decomposition(
    parts: Mapping[str, np.ndarray], central: np.ndarray, periods: Sequence[str]
) -> list[dict[str, Any]]:
    """Which assumption moves the series, at the period where it moves most."""
    if not parts or not np.any(central):
        return []
    k = int(np.argmax(np.abs(central)))
    tot = float(central[k])
    out = []
    for label, arr in parts.items():
        v = float(arr[k]) if len(arr) > k else 0.0
        v = v if math.isfinite(v) else 0.0
        out.append({"assumption": label, "period": periods[k], "diff": v, "share": v / tot if tot else None})
    return sorted(out, key=lambda r: -abs(r["diff"]))


__all__ = ["DriverPath", "ScenarioResult", "SeriesProjection", "decomposition"]
