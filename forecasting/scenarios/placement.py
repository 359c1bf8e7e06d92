"""Projects placed where they happen: a project at a place lands in that place and its parents only.

Why: a project in Coventry spread over the West Midlands by level shares would move Herefordshire; and a
capital expenditure is not an FDI position. A ``project`` change says what the project is (capital
expenditure, the part of it financed by inward FDI, jobs, a project count) and where (a Local Authority,
combined authority or ITL code); each part becomes a shock on the measure it belongs to:

* ``fdi`` (GBP million) -> the inward FDI position (level from the start year);
* ``capex`` (GBP million, spread over ``years``) -> UK business investment (chained volume, GBP million at
  reference-year prices, quarters) and GDP by the expenditure identity (UK quarterly and the regional
  accounts' annual GDP); multiplier, import and price channels are off;
* ``jobs`` -> employment (the project's cluster, counted in 'all' too), level from the start year;
* ``projects`` -> FDI project counts, in the start year.

Each lands on the place's *smallest modelled area containing it* (the place itself when modelled, else
its nearest ancestor) and reaches that area's parents by the summing trees; the shock is never passed on
to other areas through estimated exposures (``propagate``), so siblings stay at baseline.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from forecasting.errors import NotFound
from forecasting.scenarios.definitions import ProjectChange
from forecasting.scenarios.index import BundleIndex, SeriesData

POSITION = "fdi_inward_position"
EMPLOYMENT = "bres_employment"
PROJECTS = "fdi_projects"
INVESTMENT = ("business_investment_cvm_sa.UK.all.Q",)
GDP_UK = ("uk_gdp_cp_sa.UK.all.Q", "uk_gdp_cp_annual.UK.all.A")
GDP_AREA = "gdp_cp"


def chain(place: str) -> list[str]:
    """The place and the areas containing it, nearest first (an unknown code: just itself).

    A Local Authority's ITL ancestors, plus the combined authority and county it is a member of
    (``geography.lad_ca`` and ``geography/lad_county.csv``): they are outside the ITL summing tree, so a
    project in Coventry reaches the West Midlands Combined Authority as its own landing, not by a share."""
    from forecasting.reference.geography import load_geography
    from forecasting.reference.memberships import groups_of

    try:
        up = load_geography().ancestors(place)
    except (KeyError, NotFound):
        return [place]
    groups = [g for g in groups_of(place) if g not in up]
    return [place, *groups, *up]


def landing(index: BundleIndex, measure: str, cluster: str, places: list[str]) -> list[str]:
    """Where a shock to ``measure``/``cluster`` at the first of ``places`` lands: the nearest modelled area
    in each summing tree the chain passes through (a combined authority and its ITL region are two
    trees); the parents of each landing in its tree get it by summation."""
    out: list[str] = []
    units: set[int] = set()
    for code in places:
        sid = next(
            (s for f in ("A", "Q", "M") if (s := f"{measure}.{code}.{cluster}.{f}") in index.series), None
        )
        if sid is None:
            continue
        u = index.unit_of[sid]
        if u in units:
            continue
        units.add(u)
        out.append(sid)
    return out


def _in_units(s: SeriesData, gbp_million: float) -> float:
    """GBP million in the series' unit (its scale: 1e6 for GBP million)."""
    return gbp_million * 1e6 / (s.scale or 1.0)


def project_shocks(
    index: BundleIndex, i: int, ch: ProjectChange, start_year: int
) -> tuple[list[tuple[str, np.ndarray, str]], list[str]]:
    """(series id, difference per period, label) for every part of the project, and notes on what had
    nowhere to land."""
    places = chain(ch.place)
    out: list[tuple[str, np.ndarray, str]] = []
    notes: list[str] = []
    head = f"changes[{i}] project at {ch.place}"

    def level(
        sid: str, amount: float, what: str, years: int | None = None, per_quarter: bool = False
    ) -> None:
        s = index.series[sid]
        yr = np.array([int(p[:4]) for p in s.periods])
        on = yr >= start_year if years is None else (yr >= start_year) & (yr < start_year + years)
        d = np.where(on, amount / (4 if per_quarter and s.frequency == "Q" else 1), 0.0)
        if np.any(d):
            out.append((sid, d, f"{head}: {what}"))

    if ch.fdi:
        got = landing(index, POSITION, "all", places)
        for sid in got:
            level(sid, _in_units(index.series[sid], ch.fdi), f"inward FDI {ch.fdi:g} GBP million (position)")
        if not got:
            notes.append(f"{head}: no inward FDI position at {ch.place} or its parents in this bundle")
    if ch.capex:
        per_year = ch.capex / ch.years
        what = f"capital expenditure {ch.capex:g} GBP million over {ch.years} year(s)"
        for sid in [s for s in INVESTMENT if s in index.series]:
            level(
                sid, _in_units(index.series[sid], per_year), what + " (business investment)", ch.years, True
            )
        for sid in [s for s in GDP_UK if s in index.series] + landing(index, GDP_AREA, "all", places):
            level(
                sid,
                _in_units(index.series[sid], per_year),
                what + " (GDP, expenditure identity)",
                ch.years,
                True,
            )
    if ch.jobs:
        clusters = [ch.cluster] + (["all"] if ch.cluster != "all" else [])
        for c in clusters:
            for sid in landing(index, EMPLOYMENT, c, places):
                level(sid, ch.jobs, f"{ch.jobs:g} jobs ({c})")
    if ch.projects:
        clusters = [ch.cluster] + (["all"] if ch.cluster != "all" else [])
        for c in clusters:
            for sid in landing(index, PROJECTS, c, places):
                s = index.series[sid]
                d = np.array([ch.projects if int(p[:4]) == start_year else 0.0 for p in s.periods])
                if s.frequency != "A":
                    d = d / (4 if s.frequency == "Q" else 12)
                if np.any(d):
                    out.append((sid, d, f"{head}: {ch.projects:g} project(s) ({c})"))
    return out, notes


def start_year(ch: ProjectChange, today: dt.date) -> int:
    """The project's first year: its ``start`` or the year after today."""
    return int(ch.start[:4]) if ch.start else today.year + 1


__all__ = ["chain", "landing", "project_shocks", "start_year"]
