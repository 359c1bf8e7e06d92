"""One reported number with everything a reader needs to trust it, and where it was found.

Why a figure carries its own level note: most statistics are published for some geographies only (FDI
positions for regions and combined authorities, BRES by ITL2). A profile states a district's figure when
it exists, else the finest area above it that has one — and says so, so a partner never reads the West
Midlands' number as Birmingham's.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from forecasting.profiles.inputs import ProfileInputs
from forecasting.reference.measures import Measure


@dataclass(frozen=True)
class Figure:
    id: str
    label: str
    value: float
    unit: str
    price_basis: str
    year: int
    measure: str
    geography: str
    geography_name: str
    geography_level: str
    source: str
    release: str
    vintage: str
    kind: str  # observed | derived (computed here from published figures)
    basis: str  # "published for this area" | "sum of member districts" | "published for <parent> …"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def unit_of(m: Measure) -> str:
    return m.unit


def _release(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(pd.Timestamp(value).date()) if not isinstance(value, str) else value


def figure_from_row(
    fid: str, label: str, inputs: ProfileInputs, measure: str, row: pd.Series, geography: str, basis: str
) -> Figure:
    geo = inputs.geography
    m = inputs.measures[measure]
    return Figure(
        id=fid,
        label=label,
        value=float(row["value"]),
        unit=m.unit,
        price_basis=m.price_basis,
        year=int(pd.Timestamp(row["period"]).year),
        measure=measure,
        geography=geography,
        geography_name=geo.name(geography),
        geography_level=geo.level(geography),
        source=str(row["source"]),
        release=_release(row.get("release")),
        vintage=str(row.get("vintage", "")),
        kind="observed",
        basis=basis,
    )


def own_or_members(inputs: ProfileInputs, measure: str, code: str) -> tuple[pd.DataFrame, str]:
    """The area's own series; for a combined authority or county without one, the sum of its districts
    (summable measures only, and only for years every member publishes)."""
    own = inputs.series(measure, code)
    if not own.empty:
        return own, "published for this area"
    members = inputs.memberships.get(code)
    m = inputs.measures.get(measure)
    if not members or m is None or m.aggregation != "sum":
        return own, ""
    parts = [inputs.series(measure, c) for c in members]
    if any(p.empty for p in parts):
        return own, ""
    frame = pd.concat(parts)
    counts = frame.groupby("period")["value"].count()
    full = counts[counts == len(members)].index
    if len(full) == 0:
        return own, ""
    frame = frame[frame["period"].isin(full)]
    summed = frame.groupby("period", as_index=False).agg(
        value=("value", "sum"),
        source=("source", lambda s: ",".join(sorted(set(s)))),
        release=("release", "max"),
        vintage=("vintage", "max"),
    )
    summed["measure"], summed["geography"], summed["cluster"] = measure, code, "all"
    return summed, f"sum of its {len(members)} member districts"


def containing_areas(inputs: ProfileInputs, code: str) -> list[str]:
    """Areas above ``code`` to fall back to, nearest first. A combined authority or county is not in the ITL
    tree: its fallbacks are the smallest ITL areas holding all its member districts, then its region."""
    geo = inputs.geography
    members = inputs.memberships.get(code)
    if not members:
        return [a for a in geo.ancestors(code) if geo.level(a) not in ("world",)]
    common = set(geo.ancestors(members[0]))
    for m in members[1:]:
        common &= set(geo.ancestors(m))
    chain = [a for a in geo.ancestors(members[0]) if a in common and geo.level(a) != "world"]
    return chain or [a for a in geo.ancestors(code) if geo.level(a) != "world"]


def finest(inputs: ProfileInputs, measure: str, code: str) -> tuple[pd.DataFrame, str, str]:
    """(rows, geography used, basis): the area's own series, its districts' sum, else the nearest parent's."""
    rows, basis = own_or_members(inputs, measure, code)
    if not rows.empty:
        return rows, code, basis
    geo = inputs.geography
    for parent in containing_areas(inputs, code):
        rows = inputs.series(measure, parent)
        if not rows.empty:
            return (
                rows,
                parent,
                f"not published for this area; shown for {geo.name(parent)} ({geo.level(parent)})",
            )
    return rows, code, ""


def latest(inputs: ProfileInputs, fid: str, label: str, measure: str, code: str) -> Figure | None:
    rows, used, basis = finest(inputs, measure, code)
    if rows.empty:
        return None
    last = rows.sort_values("period").iloc[-1]
    if not math.isfinite(float(last["value"])):
        return None
    return figure_from_row(fid, label, inputs, measure, last, used, basis)


def derived(
    fid: str, label: str, value: float, unit: str, year: int, base: Figure, sources: list[Figure]
) -> Figure:
    """A number computed here (a ratio, a growth rate) from published figures: kind 'derived'."""
    return Figure(
        id=fid,
        label=label,
        value=float(value),
        unit=unit,
        price_basis=base.price_basis if unit.startswith("GBP") else "none",
        year=year,
        measure=base.measure,
        geography=base.geography,
        geography_name=base.geography_name,
        geography_level=base.geography_level,
        source=",".join(sorted({s.source for s in sources})),
        release=max(s.release for s in sources),
        vintage=max(s.vintage for s in sources),
        kind="derived",
        basis=base.basis,
    )
