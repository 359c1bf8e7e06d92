"""Numbers shown to people, rounded to the precision the data carry (at the display boundary only).

Why: a forecast computed in floating point (``1500.0000000000002``) claims 16 significant digits that
no published series has. Stored numbers keep full precision; whatever serialises them for a reader (the
API's JSON and CSV, ``invest forecast`` CSVs) rounds each series to the decimals its own history is
published with, but never so coarsely that a band's width could move by more than 0.1% (so rounding
cannot make a band look narrower further ahead): ``decimals = max(data decimals, digits for 1/1000 of
the series' narrowest 80% band)``, at most ``MAX_DECIMALS``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

MAX_DECIMALS = 10
WIDTH_SHARE = 1e-3  # rounding unit at most this share of the narrowest band


def data_decimals(values: Iterable[float]) -> int:
    """Decimals the published values carry: the fewest that reproduce every value to 1e-9 of itself (so
    a sum with floating-point noise, ``1500.0000000000002``, counts as a whole number)."""
    x = np.asarray([float(v) for v in values if v is not None and math.isfinite(float(v))], dtype=float)
    if x.size == 0:
        return 0
    tol = 1e-9 * np.maximum(np.abs(x), 1.0)
    for d in range(MAX_DECIMALS + 1):
        if np.all(np.abs(x - np.round(x, d)) <= tol):
            return d
    return MAX_DECIMALS


def display_decimals(history: Iterable[float], band_widths: Iterable[float] = ()) -> int:
    """Decimals to show a series' forecasts with (module docstring)."""
    d = data_decimals(history)
    w = [float(x) for x in band_widths if x is not None and math.isfinite(float(x)) and float(x) > 0]
    if w:
        d = max(d, math.ceil(-math.log10(WIDTH_SHARE * min(w))))
    return int(min(max(d, 0), MAX_DECIMALS))


def round_forecasts(
    forecasts: pd.DataFrame,
    history: pd.DataFrame,
    value_columns: Sequence[str],
    band: tuple[str, str] | None = ("q0.1", "q0.9"),
) -> pd.DataFrame:
    """A copy of ``forecasts`` with ``value_columns`` rounded per series (``series_id``) for display."""
    out = forecasts.copy()
    cols = [c for c in value_columns if c in out.columns]
    if not cols or out.empty:
        return out
    hist = history.groupby("series_id")["value"] if not history.empty else None
    for sid, idx in out.groupby("series_id", sort=False).groups.items():
        past = hist.get_group(sid).to_numpy(float) if hist is not None and sid in hist.groups else []
        widths: Iterable[float] = ()
        if band is not None and band[0] in out.columns and band[1] in out.columns:
            widths = (out.loc[idx, band[1]] - out.loc[idx, band[0]]).to_numpy(float)
        d = display_decimals(past, widths)
        out.loc[idx, cols] = np.round(out.loc[idx, cols].to_numpy(float), d)
    return out
