"""The last word on a forecast's quantiles: never crossing, bands never narrower further ahead, a floor.

Why here and not only in the calibrator: whatever produced the quantiles (a model's own intervals, a
calibrator, a floor at zero, reconciliation by samples, a mean moved by reconciliation), a reader of the
fan chart must see the same three properties, so :func:`enforce` runs last on every served forecast:

* quantiles sorted at every step (q0.1 <= q0.5 <= q0.9);
* for each central band (q_p, q_{1-p}), inner bands first, the outer band contains the inner one and its
  width never falls from one step to the next: a shortfall is added half below and half above (all above
  where the lower side is at the floor), so the median never moves;
* an optional floor (0 for a measure that cannot be negative, or for a series that never was) on every
  quantile;
* an optional ceiling per probability (a child's quantiles capped at its parent's:
  ``forecasting.hierarchy.bounds``): a band widened under a ceiling grows downward (as far as the floor
  allows) rather than above it; when floor and ceiling leave no room, the band still widens (above the
  ceiling): never narrowing comes first.

:func:`within_band` keeps a served mean inside the central 80% band (the mean of a distribution cut at a
floor and estimated robustly lies there; a mean outside its own fan is an estimation artefact).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from forecasting.vocabulary import at_probability


def _pairs(probs: list[float]) -> list[tuple[int, int]]:
    """Index pairs (p, 1-p) of symmetric central bands present in ``probs`` (sorted), inner first."""
    out = []
    for i, p in enumerate(probs):
        if p >= 0.5:
            break
        j = next((k for k, q in enumerate(probs) if abs(q - (1 - p)) < 1e-9), None)
        if j is not None:
            out.append((i, j))
    return out[::-1]


def enforce(
    quantiles: Mapping[float, np.ndarray],
    *,
    floor: float | np.ndarray | None = None,
    ceiling: Mapping[float, np.ndarray] | None = None,
) -> dict[float, np.ndarray]:
    """``quantiles`` (probability -> ``(h,)``) sorted, capped at ``ceiling`` (probability -> ``(h,)``,
    ``inf`` = none), floored and with non-decreasing band widths."""
    if not quantiles:
        return {}
    probs = sorted(float(p) for p in quantiles)
    key = {float(p): p for p in quantiles}
    arr = np.vstack([np.asarray(quantiles[key[p]], dtype=float) for p in probs])
    top = None
    if ceiling:
        top = np.vstack(
            [
                np.broadcast_to(np.asarray(at_probability(ceiling, p, np.inf), dtype=float), arr.shape[1:])
                for p in probs
            ]
        )
        arr = np.minimum(arr, top)
    if floor is not None:
        arr = np.maximum(arr, floor)
    arr = np.sort(arr, axis=0)
    inner: tuple[int, int] | None = None
    for i, j in _pairs(probs):
        if inner is not None:
            arr[i] = np.minimum(arr[i], arr[inner[0]])
            arr[j] = np.maximum(arr[j], arr[inner[1]])
        for s in range(1, arr.shape[1]):
            short = (arr[j, s - 1] - arr[i, s - 1]) - (arr[j, s] - arr[i, s])
            if short <= 0:
                continue
            down = short / 2
            if top is not None:  # under a ceiling: grow downward first
                down = max(down, short - max(top[j, s] - arr[j, s], 0.0))
            if floor is not None:
                f = float(np.broadcast_to(floor, arr.shape[1:])[s])
                down = min(down, max(arr[i, s] - f, 0.0))
            arr[i, s] -= down
            arr[j, s] += short - down
        inner = (i, j)
    arr = np.sort(arr, axis=0)
    return {key[p]: arr[k] for k, p in enumerate(probs)}


def within_band(mean: np.ndarray, quantiles: Mapping[float, np.ndarray], level: float = 80) -> np.ndarray:
    """``mean`` clipped into its central ``level`` band (when the band's quantiles are stored)."""
    a = (1 - level / 100) / 2
    lo, hi = at_probability(quantiles, a), at_probability(quantiles, 1 - a)
    mean = np.asarray(mean, dtype=float)
    if lo is None or hi is None:
        return mean
    return np.clip(mean, lo, hi)


def median(quantiles: Mapping[float, np.ndarray]) -> np.ndarray | None:
    """The stored 0.5 quantile, if any."""
    got = at_probability(quantiles, 0.5)
    return None if got is None else np.asarray(got, dtype=float)
