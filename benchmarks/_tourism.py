"""Shared loader for the tourism competition data (yearly/quarterly/monthly), used by every benchmark.

Reads the tidy ``tourism/tourism_long.csv`` + ``tourism_series_meta.csv`` described in SOURCES.md §8
from ``$INVEST_MIRROR`` (or ``/work/shared/data``), so each benchmark scores exactly the same series.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_DATA = Path("/work/shared/data")
FREQUENCIES: dict[str, tuple[str, int, int]] = {
    # name -> (meta "period" label, season length, competition horizon)
    "yearly": ("YEARLY", 1, 4),
    "quarterly": ("QUARTERLY", 4, 8),
    "monthly": ("MONTHLY", 12, 24),
}


@dataclass(frozen=True)
class TourismSeries:
    series_id: str
    train: np.ndarray
    test: np.ndarray
    season_length: int
    h: int


def data_dir(path: str | Path | None = None) -> Path:
    """Explicit path, else ``$INVEST_MIRROR``, else the shared mirror."""
    if path is not None:
        return Path(path)
    env = os.environ.get("INVEST_MIRROR")
    return Path(env) if env else DEFAULT_DATA


def load_tourism(frequency: str, *, limit: int | None = None, path: str | Path | None = None) -> list[TourismSeries]:
    """Series of one frequency in file order (``limit`` takes an evenly spaced subset, for quick runs)."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {sorted(FREQUENCIES)}, got {frequency!r}")
    label, m, h = FREQUENCIES[frequency]
    root = data_dir(path) / "tourism"
    meta = pd.read_csv(root / "tourism_series_meta.csv")
    ids = meta.loc[meta["period"] == label, "series_id"].tolist()
    ids.sort(key=lambda s: (s[0], int(s[1:])) if s[1:].isdigit() else (s, 0))
    if limit is not None and limit < len(ids):
        idx = np.linspace(0, len(ids) - 1, limit).round().astype(int)
        ids = [ids[i] for i in sorted(set(idx))]
    long = pd.read_csv(root / "tourism_long.csv")
    long = long[long["series_id"].isin(set(ids))].sort_values(["series_id", "split", "t"])
    groups = {key: g["value"].to_numpy(float) for key, g in long.groupby(["series_id", "split"], sort=False)}
    return [TourismSeries(sid, groups[(sid, "train")], groups[(sid, "test")][:h], m, h) for sid in ids]
