"""Which areas get a profile, and finding one from what a partner types (a code or a place name).

Why a resolver with suggestions: partners know their area by name ("Derby", "Lincolnshire", "West Midlands
Combined Authority"), not by GSS code, and a miss must say what was meant rather than fail silently.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from forecasting.errors import NotFound
from forecasting.reference.geography import load_geography
from forecasting.reference.memberships import load_memberships

# Levels a profile can be written for, in the order an index lists them.
PROFILE_LEVELS: tuple[str, ...] = ("itl1", "combined_authority", "county", "itl2", "itl3", "lad")
LEVEL_LABELS: dict[str, str] = {
    "itl1": "Region (ITL1)",
    "combined_authority": "Combined authority",
    "county": "County",
    "itl2": "ITL2 area",
    "itl3": "ITL3 area",
    "lad": "Local authority",
}


class UnknownArea(NotFound):
    """An area code or name that matches no profiled area; the message lists the closest matches."""


@dataclass(frozen=True)
class ProfileArea:
    code: str
    name: str
    level: str
    midlands: bool

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def display(self) -> str:
        """A name that tells areas of the same name apart ("West Midlands (combined authority)")."""
        return f"{self.name} ({self.level_label.lower()})"


def _area(code: str) -> ProfileArea:
    geo = load_geography()
    a = geo.area(code)
    return ProfileArea(a.code, a.name, a.level, geo.is_midlands(code) or code in load_memberships())


def midlands_areas() -> list[ProfileArea]:
    """Every Midlands area a profile is written for: ITL1-3, current districts, combined authorities, counties."""
    geo = load_geography()
    codes = ["TLF", "TLG"]
    for level in ("itl2", "itl3", "lad"):
        codes += geo.descendants("MID", level)
    codes += sorted(load_memberships())
    out = [_area(c) for c in codes if geo.area(c).status == "current"]
    order = {lv: i for i, lv in enumerate(PROFILE_LEVELS)}
    return sorted(out, key=lambda a: (order[a.level], a.name))


def profileable(code: str) -> bool:
    """Any UK district or ITL area may be profiled on request; groups only where members are known."""
    geo = load_geography()
    try:
        a = geo.area(code)
    except NotFound:
        return False
    if a.status != "current" or a.level not in PROFILE_LEVELS:
        return False
    if a.level in ("combined_authority", "county"):
        return code in load_memberships()
    return a.level == "lad" or a.code.startswith("TL")


def resolve_area(query: str) -> ProfileArea:
    """A GSS/ITL code or a place name -> the area; else ``UnknownArea`` naming the closest matches."""
    q = " ".join(str(query).split())
    if not q:
        raise UnknownArea("no area given: pass a code (E08000025, TLG31) or a place name (Birmingham)")
    geo = load_geography()
    if profileable(q.upper()):
        return _area(q.upper())
    key = q.lower().removesuffix(" combined authority").removesuffix(" city council").strip()
    candidates = [c for c in geo.codes() if profileable(c)]
    exact = [c for c in candidates if geo.name(c).lower() == key]
    if exact:
        # Same name at several levels (West Midlands: region, CA, county): prefer the most local meaning
        # a partner would ask for unless the query says which; the others are named in the profile.
        pref = {"lad": 0, "combined_authority": 1, "county": 2, "itl3": 3, "itl2": 4, "itl1": 5}
        if "combined authority" in q.lower():
            exact = [c for c in exact if geo.level(c) == "combined_authority"] or exact
        return _area(sorted(exact, key=lambda c: (pref.get(geo.level(c), 9), c))[0])
    by_name: dict[str, list[str]] = {}
    for c in candidates:
        by_name.setdefault(geo.name(c), []).append(c)
    close = difflib.get_close_matches(q, list(by_name), n=5, cutoff=0.6)
    close += [n for n in by_name if key in n.lower() and n not in close][: 5 - len(close)]
    hint = (
        ", ".join(f"{n} ({', '.join(f'{c} {geo.level(c)}' for c in sorted(by_name[n]))})" for n in close)
        if close
        else "none close"
    )
    raise UnknownArea(
        f"unknown area {query!r}: expected a local authority, combined authority, county or ITL code or name; "
        f"closest matches: {hint} (`invest profiles --list` shows every Midlands area)"
    )
