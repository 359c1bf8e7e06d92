"""Scenario drivers: short names, which driver family a target listens to, and the accounting pairs.

Why a family prior: target histories are short (FDI positions 2015-2024), so letting every driver compete
for every target would pick spurious links. A target first tries the drivers of its own family (FDI
measures -> FDI drivers, investment -> business investment, output -> GDP/GVA); only when none of those
can be estimated does it look at the rest. Why a direction rule: outward FDI positions are UK companies'
investment abroad, so inward flows into the UK say nothing about them (a link found between the two is a
shared trend, not a channel). Why explicit stock-flow pairs: a position moves with its flow by accounting
(position = last position + flow + valuation and other changes), which no regression should overrule.
"""

from __future__ import annotations

import pandas as pd

# Short names analysts can use in scenario files (the series id is always accepted too).
DRIVER_ALIASES: dict[str, str] = {
    "world_fdi": "fdi_net_inflows_usd.WLD.all.A",
    "uk_fdi": "fdi_net_inflows_usd.UK.all.A",
    "uk_gdp": "gdp_cp.UK.all.A",
    "uk_gdp_quarterly": "uk_gdp_cp_sa.UK.all.Q",
    "uk_gdp_annual": "uk_gdp_cp_annual.UK.all.A",
    "uk_gva": "gva_cp.UK.all.A",
    "uk_business_investment": "business_investment_cvm_sa.UK.all.Q",
    # not a forecast series: the macro block's annual US$/GBP rate (random-walk baseline)
    "usd_per_gbp": "usd_per_gbp.UK.all.A",
}
# The default driver list, upstream first (a driver may only be explained by drivers listed before it).
DEFAULT_DRIVERS: tuple[str, ...] = (
    "fdi_net_inflows_usd.WLD.all.A",
    "fdi_net_inflows_usd.UK.all.A",
    "gdp_cp.UK.all.A",
    "uk_gdp_cp_sa.UK.all.Q",
    "business_investment_cvm_sa.UK.all.Q",
)
# The World aggregate whose flows the economies' pass-through links are estimated against.
WORLD_FLOWS = "fdi_net_inflows_usd.WLD.all.A"
# stock measure -> the flow that accumulates into it (same direction, same economy)
STOCK_FLOW: dict[str, str] = {"fdi_inward_position": "fdi_net_inflows_usd"}
_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fdi", ("fdi", "equity", "project", "capex")),
    ("investment", ("investment", "gfcf", "berd", "rd")),
    ("output", ("gdp", "gva", "employment", "jobs", "exports", "business", "productivity", "population")),
)


def family(measure: str) -> str | None:
    """The driver family a measure belongs to (first keyword match), or None."""
    m = measure.lower()
    for name, words in _FAMILIES:
        if any(w in m for w in words):
            return name
    return None


def direction(measure: str) -> str | None:
    """``outward`` for UK investment abroad, ``inward`` for investment into an economy, else None."""
    m = measure.lower()
    if "outward" in m:
        return "outward"
    if "inward" in m or "inflow" in m:
        return "inward"
    return None


def may_drive(driver_measure: str, target_measure: str) -> tuple[bool, str]:
    """Whether a driver may explain a target at all, with the reason when it may not."""
    dd, td = direction(driver_measure), direction(target_measure)
    if td == "outward" and dd != "outward":
        return False, (
            f"{target_measure} is outward FDI (UK investment abroad): {driver_measure} is not a channel for it"
        )
    if dd == "outward" and td == "inward":
        return False, f"outward {driver_measure} does not drive inward {target_measure}"
    return True, ""


def resolve_driver(name: str) -> str:
    """Alias -> series id (ids pass through unchanged)."""
    return DRIVER_ALIASES.get(name, name)


def alias_of(series_id: str) -> str | None:
    for k, v in DRIVER_ALIASES.items():
        if v == series_id:
            return k
    return None


def annual(panel: pd.DataFrame) -> pd.DataFrame:
    """Quarterly/monthly rows summed to calendar years (complete years only); annual rows unchanged.

    ``panel`` has series_id, frequency, period, value; returns series_id, year, value.
    """
    df = panel.loc[:, ["series_id", "frequency", "period", "value"]].copy()
    df["year"] = pd.DatetimeIndex(df["period"]).year
    a = df[df["frequency"] == "A"][["series_id", "year", "value"]]
    sub = df[df["frequency"] != "A"]
    if sub.empty:
        return a.reset_index(drop=True)
    need = sub["frequency"].map({"Q": 4, "M": 12})
    sub = sub.assign(need=need)
    g = sub.groupby(["series_id", "year"]).agg(
        value=("value", "sum"), n=("value", "size"), need=("need", "first")
    )
    g = g[g["n"] == g["need"]].reset_index()[["series_id", "year", "value"]]
    return pd.concat([a, g], ignore_index=True)
