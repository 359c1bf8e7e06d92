"""Industry structure and cluster specialisation of an area, and the peer areas most like it.

Why location quotients: a partner's question is "what is this place unusually good at?", which is a share
compared with the nation's, not a level. GVA by industry gives the structure where ONS publishes it (ITL3,
and districts where the local-authority file is ingested); BRES employment gives the 25 clusters, published
here by ITL2 only, so a district's cluster evidence is its ITL2 area's and says so.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd

from forecasting.profiles.figures import containing_areas
from forecasting.profiles.inputs import EMPLOYMENT_MEASURE, INDUSTRY_MEASURE, ProfileInputs
from forecasting.reference.clusters import load_clusters
from forecasting.reference.geography import UK_ITL1

# Broad industries: sections or ONS's paired sections (A-B, D-E), not the A-E / G-T aggregates.
_SECTION = re.compile(r"^sic-([A-Z](?:-[A-Z])?)$")
_AGGREGATES = {"sic-A-E", "sic-G-T"}
_BRES_TWO_DIGIT = re.compile(r"^sic-\d\d$")
SECTION_NAMES = {
    "A": "agriculture, forestry and fishing",
    "A-B": "agriculture and mining",
    "B": "mining and quarrying",
    "C": "manufacturing",
    "D": "energy supply",
    "D-E": "energy, water and waste",
    "E": "water and waste",
    "F": "construction",
    "G": "wholesale and retail",
    "H": "transport and storage",
    "I": "accommodation and food",
    "J": "information and communication",
    "K": "finance and insurance",
    "L": "real estate",
    "M": "professional, scientific and technical services",
    "N": "administrative and support services",
    "O": "public administration and defence",
    "P": "education",
    "Q": "health and social work",
    "R": "arts, entertainment and recreation",
    "S": "other services",
    "T": "household activities",
}
PAIRS = {"sic-A-B": ("sic-A", "sic-B"), "sic-D-E": ("sic-D", "sic-E")}
PRESENT_LQ = 1.25  # a cluster is "present" at LQ >= 1.25 with at least PRESENT_JOBS jobs
PRESENT_JOBS = 1000


def _all_section_shares(inputs: ProfileInputs) -> dict[str, tuple[pd.Series, int]]:
    """Every area's GVA shares by broad industry in its latest year with a full set of sections."""
    cache_ = inputs.__dict__.setdefault("_section_cache", {})
    if "all" not in cache_:
        df = inputs.get(INDUSTRY_MEASURE)
        out: dict[str, tuple[pd.Series, int]] = {}
        if not df.empty:
            sections = [c for c in df["cluster"].unique() if _is_section(c)]
            rows = df[df["cluster"].isin(sections)]
            for code, g in rows.groupby("geography", sort=False):
                year = g["period"].max()
                last = _harmonise(g[g["period"] == year])
                total = last.clip(lower=0).sum()
                if total > 0 and len(last) >= 8:
                    s = last.clip(lower=0) / total
                    out[str(code)] = (s.sort_index(), int(pd.Timestamp(year).year))
        cache_["all"] = out
    return cache_["all"]


def _harmonise(rows: pd.DataFrame) -> pd.Series:
    """Sections on one footing: A and B as A-B, D and E as D-E (tables differ), never both counted."""
    value = rows.groupby("cluster")["value"].sum()
    for pair, parts in PAIRS.items():
        singles = [p for p in parts if p in value.index]
        if singles:
            if pair not in value.index:
                value[pair] = value[singles].sum()
            value = value.drop(index=singles)
    return value


def section_shares(inputs: ProfileInputs, code: str) -> tuple[pd.Series, int] | None:
    """GVA share by broad industry in the latest year with a full set of sections, or None."""
    return _all_section_shares(inputs).get(code)


def _is_section(cluster: str) -> bool:
    return bool(_SECTION.match(cluster)) and cluster not in _AGGREGATES


def uk_section_shares(inputs: ProfileInputs, year: int) -> pd.Series | None:
    """UK shares in ``year``: the UK's own rows, else the sum of the 12 ITL1 regions."""
    cache_ = inputs.__dict__.setdefault("_uk_sections", {})
    if year not in cache_:
        uk = section_shares(inputs, "UK")
        if uk is not None and uk[1] == year:
            cache_[year] = uk[0]
        else:
            df = inputs.get(INDUSTRY_MEASURE)
            sections = [c for c in df["cluster"].unique() if _is_section(c)]
            df = df[df["cluster"].isin(sections) & (pd.to_datetime(df["period"]).dt.year == year)]
            geo = inputs.geography
            itl3 = [c for c in geo.codes("itl3") if c.startswith("TL") and geo.area(c).status == "current"]
            cache_[year] = None
            # The UK as the sum of its 12 regions, else of every ITL3 area (both partition the UK).
            for parts in (UK_ITL1, itl3):
                rows = df[df["geography"].isin(parts)]
                if rows["geography"].nunique() == len(parts):
                    s = _harmonise(rows).clip(lower=0)
                    if len(s) and s.sum() > 0:
                        cache_[year] = s / s.sum()
                        break
    return cache_[year]


def industry_structure(inputs: ProfileInputs, code: str) -> dict | None:
    """Sections with share and LQ against the UK at the finest level published for ``code``."""
    geo = inputs.geography
    above = [a for a in containing_areas(inputs, code) if geo.level(a) in ("itl3", "itl2", "itl1")]
    for used in [code, *above]:
        found = section_shares(inputs, used)
        if found is None:
            continue
        shares, year = found
        uk = uk_section_shares(inputs, year)
        if uk is None:
            return None
        rows = []
        for cl, share in shares.items():
            base = float(uk.get(cl, np.nan))
            sec = cl.removeprefix("sic-")
            rows.append(
                {
                    "industry": cl,
                    "name": SECTION_NAMES.get(sec, sec),
                    "share": float(share),
                    "uk_share": base,
                    "lq": float(share / base) if base and base > 0 else None,
                }
            )
        rows.sort(key=lambda r: -(r["lq"] or 0))
        basis = (
            "published for this area"
            if used == code
            else f"not published for this area; shown for {geo.name(used)} ({geo.level(used)})"
        )
        return {
            "geography": used,
            "geography_name": geo.name(used),
            "year": year,
            "basis": basis,
            "rows": rows,
        }
    return None


@cache
def _cluster_names() -> dict[str, str]:
    return {c.id: c.name for c in load_clusters()}


def _bres_frame(inputs: ProfileInputs) -> pd.DataFrame | None:
    cache_ = inputs.__dict__.setdefault("_bres", {})
    if "frame" not in cache_:
        df = inputs.get(EMPLOYMENT_MEASURE)
        if df.empty:
            cache_["frame"] = None
        else:
            year = df["period"].max()
            last = df[df["period"] == year]
            two = last["cluster"].isin([c for c in last["cluster"].unique() if _BRES_TWO_DIGIT.match(c)])
            cache_["frame"] = last.assign(year=int(pd.Timestamp(year).year), two_digit=two.to_numpy())
    return cache_["frame"]


def _itl2_of(inputs: ProfileInputs, code: str) -> list[str]:
    """The ITL2 areas whose BRES stands for ``code``: itself, its ITL2 ancestor, its members' or its parts."""
    geo = inputs.geography
    level = geo.level(code)
    if level == "itl2":
        return [code]
    if level == "itl1":
        return [c for c in geo.children(code) if geo.level(c) == "itl2"]
    if level in ("combined_authority", "county"):
        members = inputs.memberships.get(code, ())
        return sorted({a for m in members for a in geo.ancestors(m) if geo.level(a) == "itl2"})
    return [a for a in geo.ancestors(code) if geo.level(a) == "itl2"][:1]


def cluster_specialisation(inputs: ProfileInputs, code: str) -> dict | None:
    """Employment and LQ against Great Britain for each of the 25 clusters (BRES, ITL2 areas)."""
    bres = _bres_frame(inputs)
    if bres is None:
        return None
    areas = _itl2_of(inputs, code)
    if not areas:
        return None
    geo = inputs.geography
    two = bres[bres["two_digit"]]
    gb_total = float(two["value"].sum())
    here = bres[bres["geography"].isin(areas)]
    total = float(here.loc[here["two_digit"], "value"].sum())
    if total <= 0 or gb_total <= 0:
        return None
    names = _cluster_names()
    gb_by_cluster = bres[bres["cluster"].isin(names)].groupby("cluster")["value"].sum()
    here_by_cluster = here[here["cluster"].isin(names)].groupby("cluster")["value"].sum()
    rows = []
    for cid, name in names.items():
        jobs = float(here_by_cluster.get(cid, 0.0))
        gb = float(gb_by_cluster.get(cid, 0.0))
        lq = (jobs / total) / (gb / gb_total) if gb > 0 else None
        rows.append(
            {
                "cluster": cid,
                "name": name,
                "jobs": jobs,
                "share": jobs / total,
                "lq": lq,
                "present": bool(lq is not None and lq >= PRESENT_LQ and jobs >= PRESENT_JOBS),
            }
        )
    rows.sort(key=lambda r: -(r["lq"] or 0))
    where = " + ".join(geo.name(a) for a in areas)
    own = areas == [code]
    basis = (
        "published for this area"
        if own
        else f"BRES is published by ITL2 area here: shown for {where} ({', '.join(areas)})"
    )
    src = bres.loc[bres["geography"].isin(areas), "source"]
    return {
        "geographies": areas,
        "year": int(bres["year"].iloc[0]),
        "total_jobs": total,
        "basis": basis,
        "source": ",".join(sorted(set(src))),
        "rule": f"present: location quotient >= {PRESENT_LQ} and at least {PRESENT_JOBS:,} jobs",
        "rows": rows,
    }
