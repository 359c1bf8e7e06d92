"""What a projection returns: per series baseline vs scenario paths with intervals and differences.

Why one result object with ``to_dict`` and ``to_frame``: the CLI (table or JSON), the API (JSON) and the
chart all read the same numbers, so they cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import NotFound
from forecasting.scenarios.definitions import Scenario

LEVELS = (80, 95)


def _f(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _pct(num: np.ndarray, den: np.ndarray) -> list[float | None]:
    return [None if abs(d) < 1e-12 else _f(100 * n / d) for n, d in zip(num, den, strict=True)]


@dataclass
class DriverPath:
    driver_id: str
    alias: str | None
    source: str  # "scenario path changes[i]" | "transmitted" | "baseline"
    periods: list[str]
    baseline: np.ndarray
    scenario: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {
            "driver_id": self.driver_id,
            "alias": self.alias,
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

    @property
    def diff(self) -> np.ndarray:
        return self.scenario_mean - self.baseline_mean

    def interval(self, which: str, level: int) -> tuple[np.ndarray, np.ndarray] | None:
        a = round((1 - level / 100) / 2, 6)
        qs = np.round(self.quantiles, 6)
        lo, hi = np.flatnonzero(qs == a), np.flatnonzero(qs == round(1 - a, 6))
        if not len(lo) or not len(hi):
            return None
        q = self.baseline_q if which == "baseline" else self.scenario_q
        return q[lo[0]], q[hi[0]]

    def points(self) -> list[dict[str, Any]]:
        d = self.diff
        cd, cb = np.cumsum(d), np.cumsum(self.baseline_mean)
        pct, cpct = _pct(d, self.baseline_mean), _pct(cd, cb)
        rows = []
        for k, period in enumerate(self.periods):
            row: dict[str, Any] = {"step": k + 1, "period": period}
            for which, mean in (("baseline", self.baseline_mean), ("scenario", self.scenario_mean)):
                row[f"{which}_mean"] = _f(mean[k])
                for lv in LEVELS:
                    iv = self.interval(which, lv)
                    if iv is not None:
                        row[f"{which}_lo{lv}"], row[f"{which}_hi{lv}"] = _f(iv[0][k]), _f(iv[1][k])
            row |= {"diff": _f(d[k]), "diff_pct": pct[k], "cum_diff": _f(cd[k]), "cum_diff_pct": cpct[k]}
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        d = self.diff
        return {
            "series_id": self.series_id,
            **self.info,
            "affected": self.affected,
            "reason": self.reason,
            "channels": self.channels,
            "links": [
                {k: (_f(v) if isinstance(v, float) else v) for k, v in lk.items()} for lk in self.links
            ],
            "cumulative": {
                "diff": _f(d.sum()),
                "diff_pct": _pct(np.array([d.sum()]), np.array([self.baseline_mean.sum()]))[0],
            },
            "points": self.points(),
        }


@dataclass
class ScenarioResult:
    scenario: Scenario
    provenance: dict[str, Any]
    series: list[SeriesProjection]
    drivers: list[DriverPath]
    notes: list[str] = field(default_factory=list)

    @property
    def unaffected(self) -> list[str]:
        return [s.series_id for s in self.series if not s.affected]

    def get(self, series_id: str) -> SeriesProjection:
        for s in self.series:
            if s.series_id == series_id:
                return s
        raise NotFound(f"series {series_id!r} is not in this result")

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.model_dump(mode="json"),
            "model": dict(self.provenance),
            "drivers": [d.to_dict() for d in self.drivers],
            "count": len(self.series),
            "affected": sum(s.affected for s in self.series),
            "unaffected": self.unaffected,
            "notes": list(self.notes),
            "series": [s.to_dict() for s in self.series],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per series and period (the CLI table and CSV)."""
        rows = []
        for s in self.series:
            for p in s.points():
                rows.append({"series_id": s.series_id, "affected": s.affected, **p})
        return pd.DataFrame(rows)
