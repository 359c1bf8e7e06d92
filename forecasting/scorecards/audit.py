"""Correlation audit of the metric set: redundant pairs and metrics that pull against their area.

Why: with 25 clusters a handful of near-duplicate metrics silently multiplies their weight, and a metric
that moves against the rest of its area dilutes what the area is meant to measure. Both are flagged for
the economist to act on (re-weight in the weights file); nothing is dropped automatically.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

REDUNDANT_R = 0.9


@dataclass
class Audit:
    metrics: list[str]
    corr: np.ndarray  # (M, M) Pearson r of direction-adjusted normalised values across clusters
    redundant: list[dict[str, object]] = field(default_factory=list)
    against_area: list[dict[str, object]] = field(default_factory=list)
    excluded: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "metrics": self.metrics,
            "correlation": [[None if np.isnan(x) else round(float(x), 3) for x in row] for row in self.corr],
            "redundant": self.redundant,
            "against_area": self.against_area,
            "excluded": self.excluded,
            "threshold": REDUNDANT_R,
        }


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def audit(norm: np.ndarray, metrics: list[str], areas: list[str], metric_w: np.ndarray) -> Audit:
    """norm (C, M) direction-adjusted normalised values; ``areas[m]`` is metric m's area."""
    m = len(metrics)
    corr = np.array([[_corr(norm[:, i], norm[:, j]) for j in range(m)] for i in range(m)])
    out = Audit(metrics, corr)
    for i in range(m):
        for j in range(i + 1, m):
            if abs(corr[i, j]) > REDUNDANT_R:
                out.redundant.append({"a": metrics[i], "b": metrics[j], "r": round(float(corr[i, j]), 3)})
    for i in range(m):
        peers = [j for j in range(m) if j != i and areas[j] == areas[i] and metric_w[j] > 0]
        if not peers:
            continue
        w = metric_w[peers]
        rest = np.nansum(norm[:, peers] * w, axis=1) / np.sum(w * ~np.isnan(norm[:, peers]), axis=1)
        r = _corr(norm[:, i], rest)
        if r < 0:
            out.against_area.append({"metric": metrics[i], "area": areas[i], "r": round(r, 3)})
    return out
