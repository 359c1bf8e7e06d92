"""Statistically similar areas: nearest neighbours on size and industry structure, not a hand-picked list.

Why this similarity: partners compare themselves with places of a like size and economy. Each area of the
same kind (districts with districts, ITL3 with ITL3 …) is described by the log of its GVA (size) and its GVA
shares by broad industry (structure); where industry detail is not published for that kind of area the
business-population profile stands in (log active businesses, birth and high-growth rates, GVA per filled
job). Features are standardised across the candidates and the distance is Euclidean; the features used and
the number of candidates are reported with the peers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.profiles.figures import own_or_members
from forecasting.profiles.inputs import ProfileInputs
from forecasting.profiles.structure import section_shares

N_PEERS = 5
FALLBACK = ("active_businesses", "business_birth_rate", "high_growth_rate", "gva_per_filled_job")


def _candidates(inputs: ProfileInputs, level: str) -> list[str]:
    geo = inputs.geography
    codes = [c for c in geo.codes(level) if geo.area(c).status == "current"]
    if level in ("combined_authority", "county"):
        codes = [c for c in codes if c in inputs.memberships]
    if level in ("itl1", "itl2", "itl3"):
        codes = [c for c in codes if c.startswith("TL") and "-" not in c]
    return codes


def _latest_value(inputs: ProfileInputs, measure: str, code: str) -> float:
    rows, _ = own_or_members(inputs, measure, code)
    if rows.empty:
        return np.nan
    return float(rows.sort_values("period")["value"].iloc[-1])


def _features(inputs: ProfileInputs, level: str) -> tuple[pd.DataFrame, list[str]]:
    cache = inputs.__dict__.setdefault("_peer_features", {})
    if level in cache:
        return cache[level]
    codes = _candidates(inputs, level)
    size = pd.Series({c: _latest_value(inputs, "gva_cp", c) for c in codes}, dtype=float)
    shares = {}
    for c in codes:
        found = section_shares(inputs, c)
        if found is not None:
            shares[c] = found[0]
    structure = pd.DataFrame(shares).T if shares else pd.DataFrame(index=codes)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_size = np.log(size.where(size > 0))
    if structure.shape[1] >= 5 and structure.notna().all(axis=1).sum() >= 0.8 * len(codes):
        frame = structure.join(log_size.rename("log GVA"), how="inner")
        names = ["log GVA (size)", f"GVA shares of {structure.shape[1]} broad industries (structure)"]
    else:
        cols = {m: pd.Series({c: _latest_value(inputs, m, c) for c in codes}, dtype=float) for m in FALLBACK}
        frame = pd.DataFrame(cols)
        frame["active_businesses"] = np.log(frame["active_businesses"].where(frame["active_businesses"] > 0))
        frame = frame.rename(columns={"active_businesses": "log active businesses"})
        names = [
            "log active businesses (size)",
            "business birth rate, high-growth rate, GVA per filled job (structure: industry detail "
            "is not published for this kind of area)",
        ]
    frame = frame.dropna(axis=1, how="all").dropna(axis=0, how="any")
    cache[level] = (frame, names)
    return frame, names


def peers(inputs: ProfileInputs, code: str, n: int = N_PEERS) -> dict:
    """The ``n`` nearest areas of the same kind, with the distance and the rule that chose them."""
    geo = inputs.geography
    level = geo.level(code)
    frame, names = _features(inputs, level)
    if code not in frame.index or len(frame) < 3:
        return {
            "status": "not published at this level",
            "reason": f"the similarity features are not published for {geo.name(code)}",
            "rows": [],
        }
    sd = frame.std(ddof=0).replace(0, np.nan)
    z = ((frame - frame.mean()) / sd).fillna(0.0)
    dist = np.sqrt(((z - z.loc[code]) ** 2).sum(axis=1)).drop(index=code).sort_values()
    rows = [{"code": c, "name": geo.name(c), "distance": round(float(d), 3)} for c, d in dist.head(n).items()]
    return {
        "status": "ok",
        "method": "nearest neighbours, Euclidean distance on standardised features",
        "features": names,
        "candidates": int(len(frame)),
        "rows": rows,
    }
