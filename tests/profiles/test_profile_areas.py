"""Finding an area from what a partner types, and which areas get a profile."""

from __future__ import annotations

import pytest

from forecasting.profiles.areas import UnknownArea, midlands_areas, resolve_area
from forecasting.reference.geography import load_geography
from forecasting.reference.memberships import groups_of, load_memberships


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("E08000025", "E08000025"),
        ("Birmingham", "E08000025"),
        ("birmingham", "E08000025"),
        ("Derby", "E06000015"),
        ("Lincolnshire", "E10000019"),
        ("West Midlands Combined Authority", "E47000007"),
        ("TLG31", "TLG31"),
        ("tlf", "TLF"),
    ],
)
def test_codes_and_names_find_the_right_area(query: str, code: str) -> None:
    assert resolve_area(query).code == code


def test_an_unknown_area_names_the_closest_matches() -> None:
    with pytest.raises(UnknownArea, match=r"Birmingham \(E08000025 lad, TLG31 itl3\)"):
        resolve_area("Birmingam")
    with pytest.raises(UnknownArea, match="closest matches: none close"):
        resolve_area("Atlantis")
    with pytest.raises(UnknownArea, match="no area given"):
        resolve_area("  ")


def test_every_midlands_district_and_combined_authority_gets_a_profile() -> None:
    areas = midlands_areas()
    levels = [a.level for a in areas]
    assert levels.count("lad") >= 60
    assert {"E47000007", "E47000013"} <= {a.code for a in areas}
    assert {"TLF", "TLG"} <= {a.code for a in areas}
    assert all(a.midlands for a in areas)
    assert len({a.code for a in areas}) == len(areas)


def test_memberships_are_current_districts_of_the_groups_region() -> None:
    geo = load_geography()
    members = load_memberships()
    assert len(members["E47000007"]) == 7
    assert "E08000025" in members["E47000007"]
    for group, lads in members.items():
        for lad in lads:
            assert geo.level(lad) == "lad" and geo.area(lad).status == "current", (group, lad)
            if geo.level(group) == "county":
                assert geo.parent(group) in geo.ancestors(lad), (group, lad)
    assert groups_of("E07000032") == ["E10000007", "E47000013"]
    # Greater Lincolnshire CCA spans two regions (North and North East Lincolnshire are in Yorkshire)
    regions = {a for lad in members["E47000017"] for a in geo.ancestors(lad) if geo.level(a) == "itl1"}
    assert regions == {"TLE", "TLF"}
