"""Each cluster's rank under alternative weightings, normalisations and aggregations.

Why, beside the Monte Carlo interval: the interval says how far a rank can move; this table says *which*
choice moves it (OECD/JRC Handbook, step 7). Every alternative changes one thing against the headline:
the normalisation (min-max, z-score, percentile), the aggregation across areas (arithmetic instead of
geometric), the weighting (every metric equal instead of every area equal) or one evidence area left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.scorecards.composite import area_scores, composite, ranks
from forecasting.scorecards.normalise import METHODS, Method, normalise, orient


@dataclass(frozen=True)
class Alternative:
    key: str
    label: str


@dataclass
class Robustness:
    alternatives: list[Alternative]
    ranks: pd.DataFrame  # clusters x alternative keys (1 = best)

    @property
    def max_shift(self) -> pd.Series:
        """Largest absolute rank change against the headline, per cluster."""
        head = self.ranks["headline"]
        return self.ranks.drop(columns="headline").sub(head, axis=0).abs().max(axis=1)

    def as_dict(self) -> dict[str, object]:
        return {
            "alternatives": [{"key": a.key, "label": a.label} for a in self.alternatives],
            "ranks": {c: {k: int(v) for k, v in row.items()} for c, row in self.ranks.iterrows()},
            "max_shift": {c: int(v) for c, v in self.max_shift.items()},
        }


def _arithmetic(
    norm: np.ndarray, metric_w: np.ndarray, membership: np.ndarray, area_w: np.ndarray
) -> np.ndarray:
    a = area_scores(norm, metric_w, membership)
    avail = ~np.isnan(a)
    w = area_w[None, :] * avail
    return np.where(
        w.sum(1) > 0, np.nansum(np.where(avail, a, 0.0) * w, 1) / np.maximum(w.sum(1), 1e-12), np.nan
    )


def robustness(
    values: np.ndarray,
    signs: np.ndarray,
    membership: np.ndarray,
    metric_w: np.ndarray,
    area_w: np.ndarray,
    clusters: list[str],
    area_keys: list[str],
    area_labels: list[str],
    headline: Method,
    noise: np.ndarray | None = None,
) -> Robustness:
    """Ranks of every cluster under the headline and each single-change alternative."""
    oriented = orient(values, signs)

    def score(method: Method, mw: np.ndarray, aw: np.ndarray, arithmetic: bool = False) -> np.ndarray:
        norm = normalise(oriented, method, axis=0, noise=noise)
        if arithmetic:
            return _arithmetic(norm, mw, membership, aw)
        return composite(norm, mw, membership, aw)[1]

    alts: list[tuple[Alternative, np.ndarray]] = [
        (
            Alternative("headline", f"Headline ({headline}, equal area weights, geometric)"),
            score(headline, metric_w, area_w),
        )
    ]
    for m in METHODS:
        if m != headline:
            alts.append((Alternative(m, f"{m} normalisation"), score(m, metric_w, area_w)))
    alts.append(
        (Alternative("arithmetic", "arithmetic mean across areas"), score(headline, metric_w, area_w, True))
    )
    per_area = membership.sum(axis=0).astype(float)
    alts.append(
        (
            Alternative("metric_equal", "every metric equal (areas weighted by their metric count)"),
            score(headline, np.ones_like(metric_w), per_area),
        )
    )
    if len(area_keys) > 1:
        for k, (key, label) in enumerate(zip(area_keys, area_labels, strict=True)):
            aw = area_w.copy()
            aw[k] = 0.0
            alts.append((Alternative(f"without_{key}", f"without {label}"), score(headline, metric_w, aw)))
    frame = pd.DataFrame({a.key: ranks(s) for a, s in alts}, index=clusters)
    return Robustness([a for a, _ in alts], frame)
