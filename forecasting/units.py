"""Units layer: £ <-> US$ at the matching period's rate, nominal -> real terms, and unit compatibility.

The warehouse holds US$ (World Bank FDI) beside £ million (ONS), current prices beside chained volumes
of different reference years. This module turns the measure registry's unit fields into conversions so
that callers never add or link series in different units by accident. Pure functions over pandas
objects: it reads rates from canonical warehouse-style frames but never touches the warehouse itself.

Conventions: a rate or index series is a ``pd.Series`` indexed by period-start timestamps (annual 2022
-> 2022-01-01, 2022 Q3 -> 2022-07-01), like the warehouse's ``period``; ``attrs["frequency"]`` ("A",
"Q", "M") says which periods it holds (set by the functions here). Convert annual values with annual
mean rates and quarterly values with quarterly means (``RateTable.usd_per_gbp(frequency)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import InvestError
from forecasting.reference.measures import Measure, get_measure
from forecasting.vocabulary import FREQUENCIES, period_label

FX_MONTHLY = "usd_per_gbp"  # FRED EXUSUK, US$ per £1, monthly average
FX_ANNUAL_WDI = "exchange_rate_lcu_per_usd"  # WDI PA.NUS.FCRF, local currency (for the UK: £) per US$
DEFLATOR_Q = "gdp_deflator"  # ONS YBGB, quarterly index
DEFLATOR_A = "gdp_deflator_annual"  # ONS YBGB, calendar-year index
DEFLATOR_GROWTH = "gdp_deflator_growth"  # ONS IHYS, % change on a year earlier (extends YBGB)
_PER_YEAR = {"A": 1, "Q": 4, "M": 12}
_PERIOD_NAME = {"A": "year", "Q": "quarter", "M": "month"}


class UnitError(InvestError):
    """A conversion cannot be done: a rate or index is missing for a period, or the inputs disagree."""


# ---- period helpers ---------------------------------------------------------------------------------


def _label(ts: pd.Timestamp, frequency: str | None) -> str:
    """The shared period label (an ISO date when the frequency is unknown, as in an error message)."""
    return period_label(ts, frequency) if frequency in FREQUENCIES else ts.strftime("%Y-%m-%d")


def _frequency(series: pd.Series) -> str:
    """The series' frequency: ``attrs["frequency"]`` or, failing that, read off its period starts."""
    freq = series.attrs.get("frequency")
    if freq in _PER_YEAR:
        return str(freq)
    months = pd.DatetimeIndex(series.index).month
    if (months == 1).all():
        return "A"
    if np.isin(months, (1, 4, 7, 10)).all():
        return "Q"
    return "M"


def _with_frequency(series: pd.Series, frequency: str, **attrs: Any) -> pd.Series:
    out = series.sort_index()
    out.attrs = {"frequency": frequency, **attrs}
    return out


def _timestamps(periods: Sequence[Any] | pd.Series | pd.Index | np.ndarray) -> pd.DatetimeIndex:
    try:
        return pd.DatetimeIndex(pd.to_datetime(np.asarray(periods)))
    except (TypeError, ValueError) as exc:
        raise UnitError(f"periods must be period-start dates ({exc})") from exc


def _check_starts(periods: pd.DatetimeIndex, frequency: str, what: str) -> None:
    """Periods must be starts of ``frequency`` periods (else a quarterly value could meet an annual rate)."""
    ok = periods.day == 1
    if frequency == "A":
        ok &= periods.month == 1
    elif frequency == "Q":
        ok &= np.isin(periods.month, (1, 4, 7, 10))
    if not ok.all():
        bad = periods[~ok][0]
        raise UnitError(
            f"period {bad.date()} is not the start of a {_PERIOD_NAME[frequency]}: {what} is {frequency} "
            "(pass rates at the values' frequency)"
        )


def _monthly(monthly: pd.Series) -> pd.Series:
    idx = pd.DatetimeIndex(monthly.index)
    if idx.has_duplicates:
        raise UnitError(f"monthly series has a repeated month: {idx[idx.duplicated()][0].date()}")
    _check_starts(idx, "M", "the series")
    return pd.Series(monthly.to_numpy(dtype=float), index=idx, name=monthly.name).dropna().sort_index()


def _period_means(monthly: pd.Series, frequency: str) -> pd.Series:
    """Means over complete periods (all months present); the incomplete ones are listed in attrs."""
    s = _monthly(monthly)
    start = s.index.to_period("Y" if frequency == "A" else "Q").to_timestamp()
    g = s.groupby(start)
    n, mean = g.size(), g.mean()
    complete = n == _PER_YEAR["M"] // _PER_YEAR[frequency]
    out = pd.Series(mean[complete].to_numpy(), index=pd.DatetimeIndex(mean.index[complete]), name=s.name)
    partial = {_label(p, frequency): int(k) for p, k in n[~complete].items()}
    return _with_frequency(out, frequency, partial=partial)


def annual_rate(monthly: pd.Series) -> pd.Series:
    """Calendar-year means of a monthly rate, complete years only.

    Years with fewer than 12 months are left out (a Jan-Apr mean is not that year's rate) and flagged in
    ``result.attrs["partial"]`` as {year label: months present}.
    """
    return _period_means(monthly, "A")


def quarterly_rate(monthly: pd.Series) -> pd.Series:
    """Quarterly means of a monthly rate, complete quarters only (partial ones in ``attrs["partial"]``)."""
    return _period_means(monthly, "Q")


# ---- currency ---------------------------------------------------------------------------------------


def _rates_for(periods: pd.DatetimeIndex, rates: pd.Series, needed: np.ndarray, what: str) -> np.ndarray:
    """The rate of each period (exact period match); a missing one names the first period without it."""
    freq = _frequency(rates)
    _check_starts(periods, freq, what)
    table = pd.Series(rates.to_numpy(dtype=float), index=pd.DatetimeIndex(rates.index)).dropna()
    if table.index.has_duplicates:
        raise UnitError(f"{what} has two values for {_label(table.index[table.index.duplicated()][0], freq)}")
    out = table.reindex(periods).to_numpy()
    missing = needed & ~np.isfinite(out)
    if missing.any():
        first = periods[np.flatnonzero(missing)[0]]
        cover = (
            f"{_label(table.index.min(), freq)}-{_label(table.index.max(), freq)}" if len(table) else "none"
        )
        raise UnitError(f"no {what} for period {_label(first, freq)} (rates cover {cover})")
    if (out[needed] <= 0).any():
        raise UnitError(f"{what} must be positive")
    return out


def _like(values: Any, result: np.ndarray) -> Any:
    """Return the result in the shape the values came in (a Series keeps its index and name)."""
    if isinstance(values, pd.Series):
        return pd.Series(result, index=values.index, name=values.name)
    return result


def _as_array(values: Any, periods: pd.DatetimeIndex) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.shape != (len(periods),):
        raise UnitError(f"{arr.size} values but {len(periods)} periods")
    return arr


def usd_to_gbp(values: Any, periods: Any, usd_per_gbp: pd.Series) -> Any:
    """US$ amounts -> £ at each period's US$-per-£ rate (same scale: US$ million -> £ million)."""
    idx = _timestamps(periods)
    arr = _as_array(values, idx)
    rate = _rates_for(idx, usd_per_gbp, ~np.isnan(arr), "US$ per £ rate")
    return _like(values, arr / rate)


def gbp_to_usd(values: Any, periods: Any, usd_per_gbp: pd.Series) -> Any:
    """£ amounts -> US$ at each period's US$-per-£ rate (same scale)."""
    idx = _timestamps(periods)
    arr = _as_array(values, idx)
    rate = _rates_for(idx, usd_per_gbp, ~np.isnan(arr), "US$ per £ rate")
    return _like(values, arr * rate)


# ---- prices -----------------------------------------------------------------------------------------


def _base_level(deflator: pd.Series, base_year: int) -> float:
    """The deflator's level in ``base_year``: the annual value, or the mean of a complete year of periods."""
    freq = _frequency(deflator)
    s = pd.Series(deflator.to_numpy(dtype=float), index=pd.DatetimeIndex(deflator.index)).dropna()
    in_year = s[s.index.year == base_year]
    if len(in_year) != _PER_YEAR[freq]:
        raise UnitError(
            f"deflator has {len(in_year)} of {_PER_YEAR[freq]} periods in base year {base_year}: cannot price at {base_year}"
        )
    return float(in_year.mean())


def deflate(values: Any, periods: Any, deflator: pd.Series, base_year: int) -> Any:
    """Nominal -> real at ``base_year`` prices: value x deflator(base year) / deflator(period).

    ``deflator`` is a price index at the values' frequency (e.g. YBGB annual for annual values); any
    reference year works, the result is expressed in ``base_year`` prices. At the base year the
    annual result equals the input.
    """
    idx = _timestamps(periods)
    arr = _as_array(values, idx)
    level = _rates_for(idx, deflator, ~np.isnan(arr), "deflator value")
    return _like(values, arr * _base_level(deflator, base_year) / level)


def extend_deflator(index_annual: pd.Series, growth_pct: pd.Series) -> pd.Series:
    """Chain annual % growth onto an annual index past its last year (YBGB to 2022 + IHYS -> 2024).

    Published index years are kept as they are; each following year with a growth rate is
    ``previous x (1 + growth / 100)``, stopping at the first year without one. Extended years are listed
    in ``attrs["extended"]``. The growth series may come from a later release than the index (revisions
    then differ slightly: IHYS 2025 vs YBGB Dec 2023), so only years beyond the index are chained.
    """
    idx = pd.Series(index_annual.to_numpy(dtype=float), index=pd.DatetimeIndex(index_annual.index)).dropna()
    growth = pd.Series(growth_pct.to_numpy(dtype=float), index=pd.DatetimeIndex(growth_pct.index)).dropna()
    for s, what in ((idx, "index"), (growth, "growth")):
        _check_starts(pd.DatetimeIndex(s.index), "A", f"the annual {what}")
    if idx.empty:
        raise UnitError("cannot extend an empty index")
    idx = idx.sort_index()
    by_year = dict(zip(growth.index.year, growth.to_numpy(), strict=True))
    level, year, extended = float(idx.iloc[-1]), int(idx.index[-1].year), []
    values = dict(zip(idx.index, idx.to_numpy(), strict=True))
    while year + 1 in by_year:
        year += 1
        level *= 1 + by_year[year] / 100
        values[pd.Timestamp(year, 1, 1)] = level
        extended.append(str(year))
    out = pd.Series(values, name=index_annual.name)
    return _with_frequency(out, "A", extended=extended)


# ---- compatibility ----------------------------------------------------------------------------------


def _complete_years(series: pd.Series) -> pd.DataFrame:
    """Calendar-year sums, means and period counts of a quarterly or monthly series (indexed by period start)."""
    s = series.dropna()
    years = pd.DatetimeIndex(s.index).year
    return pd.DataFrame(
        {"sum": s.groupby(years).sum(), "mean": s.groupby(years).mean(), "n": s.groupby(years).size()}
    )


def chain_reference_years(cvm: pd.Series, cp: pd.Series, frequency: str, rounding: float = 1.0) -> list[int]:
    """Years in which a chained-volume series' calendar-year total equals its current-price counterpart.

    Why: chain-linked volumes are expressed "in the prices of the reference year", and by construction
    the volume equals the current-price value in that year only. So the reference year is read off the
    published numbers rather than trusted from a label: one year for a clean release, none when the
    pair is inconsistent, two or more when levels of different reference years were spliced together.
    ``rounding`` is the publication's rounding unit (ONS £m: 1): complete years agree within
    ``periods per year x rounding``.
    """
    per_year = _PER_YEAR[frequency]
    a, b = _complete_years(cvm), _complete_years(cp)
    both = a.join(b, lsuffix="_cvm", rsuffix="_cp", how="inner")
    both = both[(both["n_cvm"] == per_year) & (both["n_cp"] == per_year)]
    close = (both["sum_cvm"] - both["sum_cp"]).abs() <= per_year * rounding
    return [int(y) for y in both.index[close]]


def index_reference_year(index: pd.Series, frequency: str, rounding: float = 0.1) -> int | None:
    """The year in which an index (e.g. a deflator, 2023 = 100) averages 100: its reference year.

    ``rounding`` is the published precision (one decimal: 0.1); a complete year's mean must be within it
    of 100. In years of flat prices two adjacent years can both round to 100 (CPI: 2014 99.96, 2015
    100.01): the closest wins. None when no complete year is near 100.
    """
    years = _complete_years(index)
    years = years[years["n"] == _PER_YEAR[frequency]]
    gap = (years["mean"] - 100).abs()
    gap = gap[gap <= rounding + 1e-9]
    return int(gap.idxmin()) if not gap.empty else None


def compatible(measure_a: Measure | str, measure_b: Measure | str) -> tuple[bool, str]:
    """Can two measures be added or spliced without conversion? (True, why) or (False, what differs).

    They must share currency, price basis, base (reference) year and scale; measures that are not money
    amounts must also share the unit (a percentage and an exchange rate do not mix).
    """
    a = get_measure(measure_a) if isinstance(measure_a, str) else measure_a
    b = get_measure(measure_b) if isinstance(measure_b, str) else measure_b
    why: list[str] = []
    if a.currency != b.currency:
        why.append(f"currency {a.currency or 'none'} vs {b.currency or 'none'} (convert with usd_to_gbp)")
    if a.price_basis != b.price_basis:
        why.append(f"price basis {a.price_basis} vs {b.price_basis} (deflate current prices first)")
    if a.base_year != b.base_year:
        why.append(
            f"base year {a.base_year or 'none'} vs {b.base_year or 'none'} (rebase to one reference year)"
        )
    if a.scale != b.scale:
        why.append(f"scale {a.scale:g} vs {b.scale:g} (rescale)")
    if not why and a.currency is None and a.unit != b.unit:
        why.append(f"unit {a.unit!r} vs {b.unit!r}")
    if why:
        return False, f"{a.name} and {b.name} differ: " + "; ".join(why)
    return True, f"{a.name} and {b.name}: same currency, price basis, base year and scale"


# ---- the rate table ---------------------------------------------------------------------------------


def _series(panel: pd.DataFrame, measure: str, geography: str) -> pd.Series:
    rows = panel[(panel["measure"] == measure) & (panel["geography"] == geography)]
    s = pd.Series(rows["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(pd.to_datetime(rows["period"])))
    if s.index.has_duplicates:
        raise UnitError(
            f"{measure} for {geography} has two values for {s.index[s.index.duplicated()][0].date()}: "
            "pass one value per period (a warehouse view, not raw vintages)"
        )
    return s.sort_index()


def _deflator_base_year(df: pd.DataFrame, geography: str) -> int:
    """The deflator's reference year: the panel's ``reference_year`` (read off the release) when it has
    one, else the measure registry's ``base_year``; annual and quarterly must agree."""
    years: dict[str, int | None] = {}
    for measure in (DEFLATOR_A, DEFLATOR_Q):
        year = get_measure(measure).base_year
        if "reference_year" in df.columns:
            rows = df[(df["measure"] == measure) & (df["geography"] == geography)]["reference_year"].dropna()
            if not rows.empty:
                if rows.nunique() > 1:
                    raise UnitError(
                        f"{measure} mixes reference years {sorted(set(rows.astype(int)))} in this panel"
                    )
                year = int(rows.iloc[0])
        years[measure] = year
    if years[DEFLATOR_A] is None or years[DEFLATOR_A] != years[DEFLATOR_Q]:
        raise UnitError(f"{DEFLATOR_A} and {DEFLATOR_Q} must share a reference year, got {years}")
    return int(years[DEFLATOR_A])


@dataclass(frozen=True, eq=False)
class RateTable:
    """US$-per-£ rates (monthly, quarterly and annual means) and the UK GDP deflator, from one panel.

    Annual rates are means of complete FRED years; years FRED lacks fall back to 1 / WDI FCRF (the UK
    row, £ per US$); ``annual_source`` says which per year. The annual deflator is YBGB extended with
    IHYS growth past its last year (``deflator_extended`` lists those years; IHYS is lower trust).
    """

    usd_per_gbp_monthly: pd.Series
    usd_per_gbp_quarterly: pd.Series
    usd_per_gbp_annual: pd.Series
    annual_source: pd.Series
    deflator_quarterly: pd.Series
    deflator_annual: pd.Series
    deflator_extended: tuple[str, ...]
    deflator_base_year: int

    @classmethod
    def from_panel(cls, df: pd.DataFrame, geography: str = "UK") -> RateTable:
        """Build from canonical rows (columns measure, geography, period, value), e.g. ``Warehouse.panel``."""
        missing = {"measure", "geography", "period", "value"} - set(df.columns)
        if missing:
            raise UnitError(f"panel lacks columns {sorted(missing)}")
        monthly = _with_frequency(_series(df, FX_MONTHLY, geography), "M")
        fcrf = _series(df, FX_ANNUAL_WDI, geography)
        if monthly.empty and fcrf.empty:
            raise UnitError(f"panel has no {FX_MONTHLY} or {FX_ANNUAL_WDI} rows for {geography}")
        fred_annual = annual_rate(monthly) if not monthly.empty else pd.Series(dtype=float)
        fallback = (1.0 / fcrf[fcrf > 0]).drop(fred_annual.index, errors="ignore")
        annual = pd.concat([fred_annual, fallback]).sort_index()
        source = pd.Series(
            np.where(annual.index.isin(fred_annual.index), "fred_monthly_mean", "wdi_fcrf_inverse"),
            index=annual.index,
        )
        quarterly = (
            quarterly_rate(monthly) if not monthly.empty else _with_frequency(pd.Series(dtype=float), "Q")
        )

        base_year = _deflator_base_year(df, geography)
        ybgb_a, ybgb_q = _series(df, DEFLATOR_A, geography), _series(df, DEFLATOR_Q, geography)
        if ybgb_a.empty or ybgb_q.empty:
            raise UnitError(f"panel has no {DEFLATOR_A} / {DEFLATOR_Q} rows for {geography}")
        if base_year not in set(ybgb_a.index.year) or abs(ybgb_a[pd.Timestamp(base_year, 1, 1)] - 100) > 0.05:
            raise UnitError(f"{DEFLATOR_A} is not {base_year} = 100 in this panel (its reference year)")
        growth = _series(df, DEFLATOR_GROWTH, geography)
        deflator_a = extend_deflator(ybgb_a, growth) if not growth.empty else _with_frequency(ybgb_a, "A")
        return cls(
            usd_per_gbp_monthly=monthly,
            usd_per_gbp_quarterly=quarterly,
            usd_per_gbp_annual=_with_frequency(annual, "A", partial=fred_annual.attrs.get("partial", {})),
            annual_source=source,
            deflator_quarterly=_with_frequency(ybgb_q, "Q"),
            deflator_annual=deflator_a,
            deflator_extended=tuple(deflator_a.attrs.get("extended", ())),
            deflator_base_year=int(base_year),
        )

    def usd_per_gbp(self, frequency: str) -> pd.Series:
        """Rates for values of ``frequency``: annual or quarterly means, or the monthly averages."""
        try:
            return {
                "A": self.usd_per_gbp_annual,
                "Q": self.usd_per_gbp_quarterly,
                "M": self.usd_per_gbp_monthly,
            }[frequency]
        except KeyError:
            raise UnitError(f"unknown frequency {frequency!r}: expected A, Q or M") from None

    def deflator(self, frequency: str) -> pd.Series:
        """The GDP deflator at ``frequency`` (A or Q; there is no monthly GDP deflator)."""
        if frequency == "A":
            return self.deflator_annual
        if frequency == "Q":
            return self.deflator_quarterly
        raise UnitError(f"no GDP deflator at frequency {frequency!r}: expected A or Q")

    def to_gbp(self, values: Any, periods: Any, frequency: str) -> Any:
        """US$ -> £ with the rate matching ``frequency`` (annual mean for annual values …)."""
        return usd_to_gbp(values, periods, self.usd_per_gbp(frequency))

    def to_usd(self, values: Any, periods: Any, frequency: str) -> Any:
        """£ -> US$ with the rate matching ``frequency``."""
        return gbp_to_usd(values, periods, self.usd_per_gbp(frequency))

    def deflate(self, values: Any, periods: Any, frequency: str, base_year: int | None = None) -> Any:
        """Current prices -> real terms at ``base_year`` prices (default: the deflator's reference year)."""
        return deflate(values, periods, self.deflator(frequency), base_year or self.deflator_base_year)
