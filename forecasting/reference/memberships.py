"""Which local authority districts make up each Midlands combined authority and county.

Why a lookup of its own: combined authorities and counties are not in the ITL summing tree (an LA's ITL3
parent says nothing about the combined authority it joined), yet partners ask for their figures. The data
live in ``geography/memberships.csv``; every member must be a current district under the group's ITL1, so a
typo or a district abolished by a reorganisation is caught when the lookup is read.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from forecasting.reference.geography import DATA_DIR, load_geography

GROUP_LEVELS = ("combined_authority", "county")


@lru_cache(maxsize=1)
def load_memberships() -> dict[str, tuple[str, ...]]:
    """Group code (E47…, E10…, E11…) -> its member districts, checked against the geography."""
    df = pd.read_csv(DATA_DIR / "memberships.csv", dtype=str, comment="#")
    geo = load_geography()
    out: dict[str, list[str]] = {}
    for line, r in enumerate(df.itertuples(index=False), start=2):
        group = geo.area(r.group_code)
        lad = geo.area(r.lad)
        if group.level != r.group_level or r.group_level not in GROUP_LEVELS:
            raise ValueError(
                f"memberships.csv row {line}: {r.group_code} is a {group.level}, not a {r.group_level}"
            )
        if lad.level != "lad" or lad.status != "current":
            raise ValueError(f"memberships.csv row {line}: {r.lad} is not a current local authority district")
        if group.parent not in geo.ancestors(r.lad):
            raise ValueError(
                f"memberships.csv row {line}: {r.lad} ({lad.name}) is not in {group.parent}, "
                f"the region of {r.group_code} ({group.name})"
            )
        out.setdefault(r.group_code, []).append(r.lad)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def groups_of(lad: str) -> list[str]:
    """The combined authority and/or county a district belongs to (empty when none)."""
    return sorted(g for g, members in load_memberships().items() if lad in members)
