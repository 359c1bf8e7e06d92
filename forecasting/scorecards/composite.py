"""Composite investment-potential score: weights, arithmetic mean within an area, geometric across areas.

Why geometric across areas: it is only partly compensatory, so a cluster cannot make up for a very weak
area (say, no investment momentum) with a very strong one, which is what a board asks of "potential".
Within an area the metrics measure one thing and are averaged arithmetically. Area scores are floored at
``FLOOR`` before the geometric mean so that a single zero does not zero the composite. Missing metrics are
left out of their area's mean (weights renormalised); an area with no metric is left out of the composite.

Weights file (TOML), all optional, relative (normalised internally); 0 drops a metric or area::

    [areas]
    investment_trends = 2
    [metrics]
    location_quotient = 2
    public_rd_intensity = 0
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from forecasting.scorecards.catalogue import Catalogue, ScorecardError

FLOOR = 0.01


@dataclass(frozen=True)
class Weights:
    areas: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    source: str = "equal weights (default)"

    def area(self, area: str) -> float:
        return float(self.areas.get(area, 1.0))

    def metric(self, metric: str) -> float:
        return float(self.metrics.get(metric, 1.0))


def load_weights(path: Path | None, catalogue: Catalogue) -> Weights:
    """Equal weights, or the user's file checked against the catalogue (unknown names are errors)."""
    if path is None:
        return Weights()
    path = Path(path)
    if not path.is_file():
        raise ScorecardError(f"weights file {path} not found")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScorecardError(f"weights file {path} is not valid TOML ({exc})") from exc
    unknown = set(data) - {"areas", "metrics"}
    areas = {str(k): float(v) for k, v in data.get("areas", {}).items()}
    metrics = {str(k): float(v) for k, v in data.get("metrics", {}).items()}
    bad_a = sorted(set(areas) - set(catalogue.areas))
    bad_m = sorted(set(metrics) - set(catalogue.ids))
    neg = sorted(k for k, v in {**areas, **metrics}.items() if v < 0 or not np.isfinite(v))
    problems = []
    if unknown:
        problems.append(f"unknown sections {sorted(unknown)} (use [areas] and [metrics])")
    if bad_a:
        problems.append(f"unknown areas {bad_a}; known {list(catalogue.areas)}")
    if bad_m:
        problems.append(f"unknown metrics {bad_m}; known {catalogue.ids}")
    if neg:
        problems.append(f"weights must be finite and >= 0: {neg}")
    if problems:
        raise ScorecardError(f"weights file {path}: " + "; ".join(problems))
    return Weights(areas, metrics, source=str(path))


def area_scores(norm: np.ndarray, metric_w: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Weighted arithmetic mean of normalised metrics within each area.

    norm (..., C, M) in [0, 1]; metric_w (..., M) >= 0; membership (M, K) 0/1 -> (..., C, K), NaN where an
    area has no available metric with positive weight.
    """
    avail = ~np.isnan(norm)
    w = metric_w[..., None, :] * avail  # (..., C, M)
    num = np.einsum("...cm,mk->...ck", np.where(avail, norm, 0.0) * w, membership)
    den = np.einsum("...cm,mk->...ck", w, membership)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def geometric(areas: np.ndarray, area_w: np.ndarray) -> np.ndarray:
    """Weighted geometric mean across areas (floored at ``FLOOR``): (..., C, K), (..., K) -> (..., C)."""
    avail = ~np.isnan(areas)
    w = area_w[..., None, :] * avail
    logs = np.log(np.maximum(np.where(avail, areas, 1.0), FLOOR))
    den = w.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, np.exp((logs * w).sum(-1) / np.where(den > 0, den, 1.0)), np.nan)


def composite(
    norm: np.ndarray, metric_w: np.ndarray, membership: np.ndarray, area_w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(area scores, composite) for normalised metrics; see the module docstring."""
    a = area_scores(norm, metric_w, membership)
    return a, geometric(a, area_w)


def ranks(scores: np.ndarray) -> np.ndarray:
    """Rank 1 = best along the last axis; missing scores rank last; ties broken by position (stable)."""
    key = np.where(np.isnan(scores), -np.inf, scores)
    order = np.argsort(-key, axis=-1, kind="stable")
    out = np.empty_like(order)
    np.put_along_axis(out, order, np.arange(1, scores.shape[-1] + 1), axis=-1)
    return out
