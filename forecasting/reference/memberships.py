"""Which local authority districts make up each Midlands combined authority and county.

Why a lookup of its own: combined authorities and counties are not in the ITL summing tree (an LA's ITL3
parent says nothing about the combined authority it joined), yet partners ask for their figures. Combined
authorities come from the geography's ``lad_ca.csv``; counties from ``geography/lad_county.csv``, where every
member must be a current district of the county's region, so a typo or a district abolished by a
reorganisation is caught when the lookup is read.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from forecasting.reference.geography import DATA_DIR, load_geography

GROUP_LEVELS = ("combined_authority", "county")


@lru_cache(maxsize=1)
def load_memberships() -> dict[str, tuple[str, ...]]:
    """Group code (E47…, E10…, E11…) -> its member districts, checked against the geography."""
    geo = load_geography()
    out: dict[str, list[str]] = {}
    for lad, ca in geo.lad_ca.items():
        out.setdefault(ca, []).append(lad)
    df = pd.read_csv(DATA_DIR / "lad_county.csv", dtype=str, comment="#")
    for line, r in enumerate(df.itertuples(index=False), start=2):
        county, lad = geo.area(r.county), geo.area(r.lad)
        if county.level != "county":
            raise ValueError(f"lad_county.csv row {line}: {r.county} is a {county.level}, not a county")
        if lad.level != "lad" or lad.status != "current":
            raise ValueError(f"lad_county.csv row {line}: {r.lad} is not a current local authority district")
        if county.parent not in geo.ancestors(r.lad):
            raise ValueError(
                f"lad_county.csv row {line}: {r.lad} ({lad.name}) is not in {county.parent}, "
                f"the region of {r.county} ({county.name})"
            )
        out.setdefault(r.county, []).append(r.lad)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def groups_of(lad: str) -> list[str]:
    """The combined authority and/or county a district belongs to (empty when none)."""
    return sorted(g for g, members in load_memberships().items() if lad in members)
