"""Geography lookup: every code mapping and the LAD -> ITL3 -> ITL2 -> ITL1 -> Midlands -> UK -> World tree.

The data live in ``geography/*.csv`` (built by ``geography/build.py`` from published ONS/World Bank files);
this module only reads them, so no other module needs to know a code system. Canonical codes:

* ITL 2021 codes (``TLF``, ``TLF1``, ``TLF11``) for ITL levels; ``TLB`` England (level ``nation``);
* GSS codes for LADs, counties (E10/E11/E13) and combined authorities (E47/N34/W42);
* ``UK``, ``GB``, ``MID`` (East + West Midlands), ``WLD``; ISO3 codes for other economies/aggregates;
* ``<code>-2025`` for ITL 2025 areas that do not equal an ITL 2021 area (e.g. ``TLC3-2025``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from forecasting.errors import NotFound

DATA_DIR = Path(__file__).parent / "geography"

LEVELS: tuple[str, ...] = (
    "world",
    "country",
    "aggregate",
    "uk",
    "gb",
    "nation",
    "midlands",
    "itl1",
    "itl2",
    "itl3",
    "county",
    "combined_authority",
    "lad",
)
SYSTEMS: tuple[str, ...] = ("gss", "itl2021", "itl2025", "nuts2016", "iso3", "name", "canonical")

UK_ITL1: tuple[str, ...] = tuple(f"TL{c}" for c in "CDEFGHIJKLMN")
UNALLOCATED_SUFFIX = "-UNALLOC"  # <parent>-UNALLOC: the part of a published parent its parts do not hold
MIDLANDS_ITL1: tuple[str, ...] = ("TLF", "TLG")

# GSS codes of countries, nations and English regions -> canonical code.
_GSS_SPECIAL = {
    "K02000001": "UK",
    "K03000001": "GB",
    "K99000002": "UKX",
    "E92000001": "TLB",
    "W92000004": "TLL",
    "S92000003": "TLM",
    "N92000002": "TLN",
    **{f"E1200000{i}": f"TL{c}" for i, c in zip(range(1, 10), "CDEFGHIJK", strict=True)},
}
_GSS = re.compile(r"^[EWSNK]\d{8}$")


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name, dtype=str, keep_default_na=False, comment="#")


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: str
    parent: str | None
    status: str  # current | terminated (abolished LAD) | itl2025 (ITL 2025-only area)
    successor: str | None = None


@dataclass
class Geography:
    """The area table plus code-system lookups; build with :func:`load_geography`."""

    areas: dict[str, Area]
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    lad_ca: dict[str, str] = field(default_factory=dict)  # LAD -> combined authority (constituent member)

    def __post_init__(self) -> None:
        self._children: dict[str, list[str]] = {}
        for a in self.areas.values():
            if a.parent is not None:
                if a.parent not in self.areas:
                    raise ValueError(f"geography data: parent {a.parent!r} of {a.code!r} is not a known area")
                self._children.setdefault(a.parent, []).append(a.code)
        self._names: dict[str, str] = {k.lower(): v for k, v in self.aliases.get("name", {}).items()}
        for lad, ca in self.lad_ca.items():
            if self.areas.get(lad) is None or self.areas[lad].level != "lad":
                raise ValueError(f"geography data: lad_ca.csv names {lad!r}, which is not an LAD")
            if self.areas.get(ca) is None or self.areas[ca].level != "combined_authority":
                raise ValueError(
                    f"geography data: lad_ca.csv names {ca!r}, which is not a combined authority"
                )

    # -- lookups ---------------------------------------------------------------------------------
    def area(self, code: str) -> Area:
        try:
            return self.areas[code]
        except KeyError:
            residual = self._residual(code)
            if residual is not None:
                return residual
            raise NotFound(f"unknown canonical geography code {code!r}") from None

    def _residual(self, code: str) -> Area | None:
        """``<parent>-UNALLOC``: what a published parent holds beyond the sum of its published parts.

        The UK inward FDI position is 0.4-11.8% larger than the sum of the 12 ITL1 regions (investment
        not allocated to a region); keeping that part as an explicit child preserves the published parent
        when forecasts are made to add up.
        """
        if not code.endswith(UNALLOCATED_SUFFIX):
            return None
        parent = code.removesuffix(UNALLOCATED_SUFFIX)
        kids = self.partitions().get(parent)
        if not kids:
            return None
        p = self.areas[parent]
        name = f"{p.name}, unallocated (published total minus its parts)"
        return Area(code, name, self.areas[kids[0]].level, parent, "residual")

    def unallocated_code(self, parent: str) -> str:
        return parent + UNALLOCATED_SUFFIX

    def level(self, code: str) -> str:
        return self.area(code).level

    def name(self, code: str) -> str:
        return self.area(code).name

    def parent(self, code: str) -> str | None:
        return self.area(code).parent

    def ancestors(self, code: str) -> list[str]:
        """Parent, grandparent, ... up to World (nearest first)."""
        out, p = [], self.parent(code)
        while p is not None:
            out.append(p)
            p = self.parent(p)
        return out

    def children(self, code: str, *, include_inactive: bool = False) -> list[str]:
        """Areas whose parent is ``code`` (mixed levels possible: an ITL1 holds ITL2s, counties, CAs ...).

        Abolished LADs and ITL 2025-only areas are left out unless ``include_inactive``.
        """
        self.area(code)
        kids = self._children.get(code, [])
        if not include_inactive:
            kids = [k for k in kids if self.areas[k].status == "current"]
        return sorted(kids)

    def descendants(
        self, code: str, level: str | None = None, *, include_inactive: bool = False
    ) -> list[str]:
        if level is not None and level not in LEVELS:
            raise NotFound(f"unknown level {level!r}; known: {LEVELS}")
        out, stack = [], list(self.children(code, include_inactive=include_inactive))
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(self.children(c, include_inactive=include_inactive))
        return sorted(c for c in out if level is None or self.areas[c].level == level)

    def combined_authority(self, lad: str) -> str | None:
        """The combined authority an LAD is a constituent member of (None: none, or not in lad_ca.csv)."""
        self.area(lad)
        return self.lad_ca.get(lad)

    def members(self, combined_authority: str) -> list[str]:
        """Constituent LADs of a combined authority (empty where lad_ca.csv does not list it)."""
        if self.area(combined_authority).level != "combined_authority":
            raise NotFound(f"{combined_authority!r} is not a combined authority")
        return sorted(lad for lad, ca in self.lad_ca.items() if ca == combined_authority)

    def is_midlands(self, code: str) -> bool:
        return code == "MID" or "MID" in self.ancestors(code)

    def codes(self, level: str | None = None) -> list[str]:
        return sorted(c for c, a in self.areas.items() if level is None or a.level == level)

    def find_name(self, name: str, level: str | None = None) -> str:
        """A canonical code for a place name, optionally restricted to one level (ITL2 names repeat ITL1's)."""
        key = " ".join(name.split()).lower()
        if level is None and key in self._names:
            return self._names[key]
        hits = [
            c
            for c, a in self.areas.items()
            if a.name.lower() == key and a.status == "current" and (level is None or a.level == level)
        ]
        if level is not None and key in self._names and self.areas[self._names[key]].level == level:
            return self._names[key]
        if len(hits) == 1:
            return hits[0]
        raise NotFound(f"place name {name!r} (level {level}) matches {len(hits)} areas: {sorted(hits)}")

    # -- hierarchy -------------------------------------------------------------------------------
    def partitions(self) -> dict[str, list[str]]:
        """Parent -> children sets whose children exactly partition the parent (for summing constraints).

        UK = 12 ITL1; MID = TLF + TLG; each ITL1 = its ITL2s; each ITL2 = its ITL3s; each Midlands ITL3 = its
        current LADs. World is not partitioned (the data do not cover every economy); non-Midlands LADs,
        counties and combined authorities are outside the tree.
        """
        out: dict[str, list[str]] = {"UK": list(UK_ITL1), "MID": list(MIDLANDS_ITL1)}
        for parent_level, child_level in (("itl1", "itl2"), ("itl2", "itl3")):
            for code in self.codes(parent_level):
                if self.areas[code].status != "current":
                    continue
                kids = [k for k in self.children(code) if self.areas[k].level == child_level]
                if kids:
                    out[code] = kids
        for code in self.descendants("MID", "itl3"):
            kids = [k for k in self.children(code) if self.areas[k].level == "lad"]
            if kids:
                out[code] = kids
        return out

    # -- code systems ----------------------------------------------------------------------------
    def canonical_code(self, code: str, system: str) -> str:
        if system not in SYSTEMS:
            raise NotFound(f"unknown geography code system {system!r}; known: {SYSTEMS}")
        raw = str(code).strip()
        out = self._resolve(raw, system)
        if out is None or out not in self.areas:
            raise NotFound(f"unknown geography code {code!r} in system {system!r}{_hint(raw, system)}")
        return out

    def _resolve(self, code: str, system: str) -> str | None:
        if system == "canonical":
            return code
        if system == "name":
            try:
                return self.find_name(code)
            except KeyError:
                return None
        if system == "gss":
            if code in _GSS_SPECIAL:
                return _GSS_SPECIAL[code]
            return code if _GSS.match(code) and code in self.areas else None
        if system == "itl2021":
            a = self.areas.get(code)
            ok = a is not None and (
                a.level in ("itl1", "itl2", "itl3", "nation", "uk") or code in ("UKX", "TLZ")
            )
            return code if ok and a.status == "current" and "-" not in code else None
        if system == "itl2025":
            return self.aliases["itl2025"].get(code)
        if system == "nuts2016":
            if code == "UK":
                return "UK"
            if code.startswith("UK") and 3 <= len(code) <= 5:
                itl = "TL" + code[2:]
                a = self.areas.get(itl)
                return itl if a is not None and a.level in ("itl1", "itl2", "itl3") else None
            return None
        if system == "iso3":
            if code in self.aliases["iso3"]:
                return self.aliases["iso3"][code]
            a = self.areas.get(code)
            return (
                code if a is not None and a.level in ("country", "aggregate") and a.parent == "WLD" else None
            )
        return None


def _hint(code: str, system: str) -> str:
    if system == "gss" and code.startswith("TL"):
        return " (looks like an ITL code: use system 'itl2021' or 'itl2025')"
    if system in ("itl2021", "itl2025") and _GSS.match(code):
        return " (looks like a GSS code: use system 'gss')"
    if system == "itl2021":
        return " (not an ITL 2021 code; ITL 2025 codes need system 'itl2025')"
    return ""


def _rows(df: pd.DataFrame) -> Iterable[dict[str, str]]:
    return df.to_dict("records")


@lru_cache(maxsize=1)
def load_geography() -> Geography:
    """Read the packaged CSVs once per process."""
    areas: dict[str, Area] = {}

    def add(a: Area) -> None:
        if a.code in areas:
            raise ValueError(f"geography data: duplicate code {a.code!r}")
        if a.level not in LEVELS:
            raise ValueError(f"geography data: {a.code!r} has unknown level {a.level!r}")
        areas[a.code] = a

    for r in _rows(_read("areas.csv")):
        add(Area(r["code"], r["name"], r["level"], r["parent"] or None, r["status"]))
    for r in _rows(_read("lads.csv")):
        add(Area(r["code"], r["name"], "lad", r["parent"], r["status"], r["successor"] or None))
    for r in _rows(_read("economies.csv")):
        add(Area(r["code"], r["name"], r["level"], "WLD", "current"))
    aliases: dict[str, dict[str, str]] = {}
    for r in _rows(_read("aliases.csv")):
        aliases.setdefault(r["system"], {})[r["code"]] = r["canonical"]
    lad_ca: dict[str, str] = {}
    for r in _rows(_read("lad_ca.csv")):
        if r["lad"] in lad_ca:
            raise ValueError(f"geography data: LAD {r['lad']!r} is in two combined authorities")
        lad_ca[r["lad"]] = r["combined_authority"]
    return Geography(areas, aliases, lad_ca)


def canonical_code(code: str, system: str) -> str:
    """Map ``code`` written in ``system`` (gss | itl2021 | itl2025 | nuts2016 | iso3 | name | canonical).

    Raises KeyError naming the code and the system when the code is unknown.
    """
    return load_geography().canonical_code(code, system)
