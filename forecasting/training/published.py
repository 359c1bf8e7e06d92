"""Each series' publication history from the warehouse, for real-time backtests (``[backtest] real_time``).

The engine's ``PublishedHistory`` answers "what was known at this origin" in memory; reading the releases
out of the warehouse is the training job's side of that, so the engine never touches the warehouse.
"""

from __future__ import annotations

import pandas as pd

from forecasting.evaluation.realtime import DEFAULT_LAG_MONTHS, PublishedHistory
from forecasting.warehouse.snapshot import Snapshot


def _current_base(g: pd.DataFrame) -> pd.DataFrame:
    """Only the releases on the reference year of the newest one: an origin's view is built per period from
    several releases, and levels of different reference years (e.g. 2019 and 2023 prices) must never be
    spliced into one history. Releases before a rebase drop out of the real-time backtest."""
    newest = g.sort_values(["release", "vintage"]).iloc[-1]["reference_year"]
    if pd.isna(newest):
        return g[g["reference_year"].isna()]
    return g[g["reference_year"] == newest]


def published_histories(
    wh: Snapshot,
    series_ids: list[str],
    *,
    as_of: str | None = None,
    lag_months: dict[str, int] | None = None,
) -> dict[str, PublishedHistory]:
    """One ``PublishedHistory`` per series with more than one publisher release visible ``as_of``."""
    lags = {**DEFAULT_LAG_MONTHS, **(lag_months or {})}
    rows = wh.release_rows(series_ids=list(series_ids), as_of=as_of)
    out: dict[str, PublishedHistory] = {}
    for sid, g in rows.groupby("series_id", sort=True):
        g = _current_base(g)
        if g["release"].nunique() < 2:
            continue  # a single release: real-time and revised histories are the same
        freq = str(g["frequency"].iloc[0])
        g = g.assign(period=pd.to_datetime(g["period"]))
        periods = tuple(sorted(g["period"].unique()))
        out[sid] = PublishedHistory(
            periods=tuple(pd.Timestamp(p) for p in periods),
            releases=g[["period", "value", "release"]].reset_index(drop=True),
            frequency=freq,
            lag_months=int(lags[freq]),
        )
    return out
