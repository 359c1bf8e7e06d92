"""Small synthetic series shared by the model tests (annual and quarterly, like the service data)."""

from __future__ import annotations

import numpy as np


def annual(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 + 2.0 * np.arange(n) + np.cumsum(rng.normal(0, 1.5, n))


def quarterly(n: int, seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 200 + 1.5 * t + 12 * np.sin(2 * np.pi * t / 4) + rng.normal(0, 2, n)


SERIES = {
    "annual3": (annual(3), 1),
    "annual5": (annual(5), 1),
    "annual12": (annual(12), 1),
    "quarterly24": (quarterly(24), 4),
    "quarterly40": (quarterly(40), 4),
}
