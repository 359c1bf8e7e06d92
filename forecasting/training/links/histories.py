"""Annual histories by series id, and the unit conversions a link needs before it is estimated.

Why together: every estimator reads a target's and a driver's annual history and puts the driver in the
target's units first (US$ -> GBP at the published rates, rescaled), or refuses the pair with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.errors import NotFound
from forecasting.reference.measures import Measure, get_measure
from forecasting.training.drivers import annual
from forecasting.units import RateTable, compatible, usd_to_gbp
from forecasting.vocabulary import parse_series_id, series_id


# ---- histories and units ----------------------------------------------------------------------------
class Histories:
    """Annual histories by series id; an aggregate absent from the panel is summed from a full partition."""

    def __init__(self, panel: pd.DataFrame) -> None:
        ann = annual(panel)
        ann = ann.drop_duplicates(["series_id", "year"], keep="last")
        years, values = ann["year"].to_numpy(), ann["value"].to_numpy(dtype=float)
        self.by_id = {
            sid: pd.Series(values[rows], index=pd.Index(years[rows], name="year"), name="value")
            for sid, rows in ann.groupby("series_id").indices.items()
        }
        self._partitions: dict[str, list[str]] | None = None

    def get(self, sid: str, depth: int = 0) -> pd.Series | None:
        if sid in self.by_id or depth > 6:
            return self.by_id.get(sid)
        measure, geo, cluster, freq = parse_series_id(sid)
        if self._partitions is None:
            from forecasting.reference.geography import load_geography

            self._partitions = load_geography().partitions()
        kids = self._partitions.get(geo)
        if not kids:
            return None
        parts = [self.get(series_id(measure, k, cluster, freq), depth + 1) for k in kids]
        if any(p is None for p in parts):
            return None
        total = pd.concat(parts, axis=1, join="inner").sum(axis=1)
        self.by_id[sid] = total
        return total


def _measure(name: str) -> Measure | None:
    try:
        return get_measure(name)
    except NotFound:
        return None


def gbp_values(values: pd.Series, rates: RateTable) -> pd.Series:
    """Annual US$ values (indexed by year) in GBP at each year's mean rate; years without a rate drop."""
    have = set(pd.DatetimeIndex(rates.usd_per_gbp("A").index).year)
    v = values[[y in have for y in values.index]]
    periods = [pd.Timestamp(int(y), 1, 1) for y in v.index]
    return pd.Series(np.asarray(usd_to_gbp(v.to_numpy(), periods, rates.usd_per_gbp("A"))), index=v.index)


@dataclass(frozen=True)
class Units:
    """How a driver's values are put in the target's units before estimating a level-type link."""

    ok: bool
    to_gbp: bool = False
    scale: float = 1.0  # multiply the driver (after currency conversion) by this
    text: str = ""


def level_units(target: str, driver: str, rates: RateTable | None) -> Units:
    """Same units (possibly rescaled), US$ -> GBP with the published rates, or refused with the reason."""
    tm, dm = _measure(parse_series_id(target).measure), _measure(parse_series_id(driver).measure)
    if tm is None or dm is None:
        return Units(True, text="")  # measures outside the registry (test data): taken as they come
    ok, why = compatible(dm, tm)
    if ok:
        return Units(True)
    if dm.price_basis != tm.price_basis or dm.base_year != tm.base_year:
        return Units(False, text=f"refused: {why}")
    if tm.currency is None or dm.currency is None:
        return Units(False, text=f"refused: {why}")
    scale = dm.scale / tm.scale
    if dm.currency == tm.currency:
        return Units(True, scale=scale, text=f"rescaled x{scale:g} ({dm.unit} -> {tm.unit})")
    if dm.currency == "USD" and tm.currency == "GBP":
        if rates is None:
            return Units(False, text=f"refused: {why}; no US$/GBP rates in this training run")
        text = "US$ -> GBP at each year's mean US$ per GBP (FRED EXUSUK; WDI FCRF where FRED has no year)"
        if scale != 1:
            text += f", x{scale:g} ({dm.unit} -> {tm.unit})"
        return Units(True, to_gbp=True, scale=scale, text=text)
    return Units(False, text=f"refused: {why} (only US$ -> GBP is converted)")


def log_units(target: str, driver: str, rates: RateTable | None) -> Units:
    """An elasticity is unit-free in scale, not in currency (converted) or price basis (refused)."""
    tm, dm = _measure(parse_series_id(target).measure), _measure(parse_series_id(driver).measure)
    if tm is None or dm is None or tm.currency is None or dm.currency is None:
        return Units(True)
    if tm.price_basis != dm.price_basis:
        return Units(
            False,
            text=(
                f"refused: {dm.name} is {dm.price_basis} and {tm.name} {tm.price_basis}: an elasticity "
                "between them mixes in inflation"
            ),
        )
    if tm.currency == dm.currency:
        return Units(True)
    if dm.currency == "USD" and tm.currency == "GBP" and rates is not None:
        return Units(True, to_gbp=True, text="driver in GBP (US$ at each year's mean US$ per GBP)")
    return Units(False, text=f"refused: {dm.currency} driver for a {tm.currency} target and no rates")


def convert(x: pd.Series, u: Units, rates: RateTable | None) -> pd.Series:
    if u.to_gbp and rates is not None:
        x = gbp_values(x, rates)
    return x * u.scale
