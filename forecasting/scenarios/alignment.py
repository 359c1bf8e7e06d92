"""Mapping a driver's deviation onto a target's periods.

Why by overlap: drivers and targets may have different frequencies (quarterly business investment vs
annual FDI), so a driver's deviation reaches a target period as the baseline-weighted deviation of the
driver periods that overlap it.
"""

from __future__ import annotations

import numpy as np

from forecasting.vocabulary import period_end


def align_deviation(
    dev: np.ndarray,
    weights: np.ndarray,
    starts: np.ndarray,
    frequency: str,
    target_starts: np.ndarray,
    target_frequency: str,
) -> np.ndarray:
    """A driver's relative deviation on its forecast periods, mapped onto a target's periods.

    A target period takes the ``weights``-weighted (baseline) mean deviation of the driver periods that
    overlap it; a period after the driver's last forecast period holds the last mapped value (the driver
    horizon is shorter than the target's, e.g. quarterly vs annual); a period before it is history (0).
    """
    if frequency == target_frequency and np.array_equal(starts, target_starts):
        return dev.astype(float, copy=True)
    d_start, d_end = starts, period_end(starts, frequency)
    t_start, t_end = target_starts, period_end(target_starts, target_frequency)
    out = np.zeros(len(t_start))
    last: float | None = None
    for k in range(len(t_start)):
        hit = (d_start < t_end[k]) & (d_end > t_start[k])
        if hit.any():
            w = np.abs(weights[hit])
            out[k] = float(np.average(dev[hit], weights=w)) if w.sum() > 0 else float(dev[hit].mean())
            last = out[k]
        elif t_start[k] >= d_end[-1]:
            out[k] = last if last is not None else float(dev[-1])
    return out
