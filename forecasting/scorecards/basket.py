"""Basket-definition uncertainty: each Monte Carlo input replicate may take another plausible basket.

Why: a cluster is approximated by a SIC basket, and which codes belong (and what share of a shared code)
is a judgement, the largest uncertainty behind a cluster's numbers. A replicate keeps each cluster's basket
as defined with probability ``KEEP``; otherwise it takes one variant at random: one SIC group (3-digit; a
5-digit code when the basket is one group) left out, or a shared code's share moved by +-``SHARE_SPREAD``
of itself (capped at 1). Variants act through ``Inputs.basket_factor`` on the BRES employment base, so
every metric built on it (employment, LQ, shares, apportionment keys) moves together.
"""

from __future__ import annotations

import numpy as np

from forecasting.scorecards.inputs import Inputs

KEEP = 0.5
SHARE_SPREAD = 0.5


def variants(inp: Inputs, measure: str = "bres_employment") -> dict[str, list[dict[str, float]]]:
    """Per cluster, the alternative baskets as {SIC prefix: factor} (value-independent, cached)."""

    def build() -> dict[str, list[dict[str, float]]]:
        df = inp.get(measure)
        cl = df["cluster"].astype(str)
        codes = sorted({c[4:] for c in cl[cl.str.match(r"^sic-\d{5}$")].unique()})
        out: dict[str, list[dict[str, float]]] = {}
        for c in inp.clusters:
            held = [code for code in codes if c.covers(code)]
            groups = sorted({code[:3] for code in held})
            units = groups if len(groups) > 1 else held
            alts: list[dict[str, float]] = [{u: 0.0} for u in units] if len(units) > 1 else []
            for entry, share in c.shares.items():
                lo, hi = share * (1 - SHARE_SPREAD), min(1.0, share * (1 + SHARE_SPREAD))
                alts += [{entry: lo / share}, {entry: hi / share}]
            out[c.id] = alts
        return out

    return inp.cached(f"basket-variants:{measure}", build)


def draw(inp: Inputs, rng: np.random.Generator) -> dict[str, dict[str, float]]:
    """One replicate's basket variant for every cluster ({} = as defined)."""
    out: dict[str, dict[str, float]] = {}
    for cid, alts in variants(inp).items():
        if alts and rng.uniform() >= KEEP:
            out[cid] = alts[int(rng.integers(0, len(alts)))]
    return out
