"""Links fixed by accounting: a position accumulates its flow (``stock_flow``), a current-price measure
moves with its chained-volume twin (``conversion``).

Their coefficient is 1 by identity; the data only check it (the stock-flow check's se is what projections
draw) and choose the flow's statistical basis where more than one is modelled.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasting.statistics import ols_slope, paired
from forecasting.training.drivers import STOCK_FLOW
from forecasting.training.links.histories import Histories, convert, level_units
from forecasting.training.links.record import Link
from forecasting.units import RateTable
from forecasting.vocabulary import parse_series_id, series_id

# ---- link estimators ----------------------------------------------------------------------------------
# The flows that may accumulate into a position, with their statistical basis: ONS positions follow the
# directional principle, like UNCTAD's flows; WDI's net inflows follow the asset/liability principle.
# The identity is applied with the flow that fits the position's changes better (below).
FLOW_BASES: dict[str, tuple[tuple[str, str], ...]] = {
    "fdi_inward_position": (
        ("fdi_net_inflows_usd", "WDI net inflows (balance of payments, asset/liability basis)"),
        ("unctad_fdi_inward_flow_usd", "UNCTAD inward flows (directional basis)"),
    )
}


def _flow_candidates(m: str, geo: str, cluster: str, freq: str, modelled: set[str]) -> list[tuple[str, str]]:
    bases = FLOW_BASES.get(m, ((STOCK_FLOW[m], ""),))
    return [(f, text) for fm, text in bases if (f := series_id(fm, geo, cluster, freq)) in modelled]


def _identity_residuals(t: str, flow: str, hist: Histories, rates: RateTable | None) -> pd.Series | None:
    """Change in position minus the converted flow, by year: what the identity leaves to other changes."""
    u = level_units(t, flow, rates)
    y, x = hist.get(t), hist.get(flow)
    if not u.ok or y is None or x is None:
        return None
    df = paired(y.diff().dropna(), convert(x, u, rates))
    return df["y"] - df["x"]


def _choose_flow(
    t: str, cands: list[tuple[str, str]], hist: Histories, rates: RateTable | None, min_obs: int
) -> tuple[str, str, str]:
    """The flow whose identity residual (change in position minus flow) is smaller, on the years every
    candidate observes: (flow id, its basis, the comparison in words). One candidate: itself."""
    if len(cands) == 1:
        return cands[0][0], cands[0][1], ""
    res = {f: _identity_residuals(t, f, hist, rates) for f, _ in cands}
    have = [f for f, _ in cands if res[f] is not None]
    if len(have) < 2:
        f = have[0] if have else cands[0][0]
        return f, dict(cands)[f], ""
    common = sorted(set.intersection(*(set(res[f].index) for f in have)))
    if len(common) < min_obs:
        return (
            cands[0][0],
            cands[0][1],
            (f"flow basis: {cands[0][1]} (too few common years, {len(common)}, to compare with the others)"),
        )
    rmse = {f: float(np.sqrt(np.mean(np.square(res[f].loc[common].to_numpy())))) for f in have}
    best = min(have, key=lambda f: (rmse[f], have.index(f)))
    others = "; ".join(f"{dict(cands)[f]} {rmse[f]:,.0f}" for f in have if f != best)
    text = (
        f"flow basis: {dict(cands)[best]}, chosen as it fits the position's changes better: root mean "
        f"square of change in position minus flow {rmse[best]:,.0f} against {others} (n {len(common)}, "
        f"{common[0]}-{common[-1]})"
    )
    return best, dict(cands)[best], text


def stock_flow_links(
    targets: Sequence[str], modelled: set[str], hist: Histories, rates: RateTable | None, min_obs: int
) -> list[Link]:
    """Positions that accumulate a modelled flow of the same economy (see the module docstring); where
    flows on more than one basis are modelled (WDI, UNCTAD) the better-fitting one is used, the other
    kept as an unused row saying why."""
    out: list[Link] = []
    for t in targets:
        m, geo, cluster, freq = parse_series_id(t)
        if m not in STOCK_FLOW:
            continue
        cands = _flow_candidates(m, geo, cluster, freq, modelled)
        if not cands:
            continue
        flow, basis, compared = _choose_flow(t, cands, hist, rates, min_obs)
        u = level_units(t, flow, rates)
        if not u.ok:
            out.append(Link(t, flow, "stock_flow", 0.0, 0.0, "refused", 0, u.text, conversion=u.text))
            continue
        note = "accounting identity: position = previous position + flow (converted) + other changes"
        if compared:
            note += f"; {compared}"
        check_se = 0.0
        y, x = hist.get(t), hist.get(flow)
        if y is not None and x is not None:
            xf = convert(x, u, rates)
            df = paired(y.diff().dropna(), xf)
            if len(df) >= min_obs:
                fit = ols_slope(df["y"].to_numpy(), df["x"].to_numpy())
                other = df["y"] - df["x"]
                ratio = (xf / y.shift(1)).dropna()
                if fit is not None:
                    check_se = fit[1]
                    note += (
                        f"; check: change in position on the flow = {fit[0]:.2f} (se {fit[1]:.2f}, "
                        f"n {len(df)}), the identity says 1: projections use 1 with that se (flows and "
                        "positions are measured on different bases, so the identity holds only roughly)"
                    )
                note += (
                    f"; other changes (valuation etc.) averaged {other.mean():,.0f} (sd {other.std():,.0f}) a "
                    f"year and are held at their baseline in scenarios; flows were a median "
                    f"{100 * ratio.median():.1f}% of the previous position"
                )
                elasticity = float(ratio.median()) if len(ratio) else 0.0
            else:
                elasticity = 0.0
        else:
            elasticity = 0.0
        out.append(
            Link(
                t,
                flow,
                "stock_flow",
                1.0,
                float(check_se),
                "stock_flow_identity",
                0 if y is None else len(y),
                note,
                elasticity=elasticity,
                used=True,
                conversion=u.text,
                identity=check_se == 0.0,
                weight=0.0,  # the coefficient is the identity's 1, not the check's estimate
            )
        )
        for other_flow, other_basis in cands:
            if other_flow != flow and compared:
                out.append(
                    Link(
                        t,
                        other_flow,
                        "stock_flow",
                        1.0,
                        0.0,
                        "stock_flow_identity",
                        0,
                        f"not used: {other_basis} fits the position's changes worse ({compared})",
                        weight=0.0,
                    )
                )
    return out


def conversion_links(targets: Sequence[str], modelled: set[str]) -> list[Link]:
    """A current-price measure moves by the same % as its chained-volume twin (prices at baseline)."""
    out = []
    for t in targets:
        m, geo, cluster, freq = parse_series_id(t)
        if "_cp" not in m:
            continue
        twin = series_id(m.replace("_cp", "_cvm", 1), geo, cluster, freq)
        if twin not in modelled or twin == t:
            continue
        out.append(
            Link(
                t,
                twin,
                "conversion",
                1.0,
                0.0,
                "price_basis_identity",
                0,
                "same concept at current prices: moves by the volume measure's % deviation, prices held at "
                "their baseline",
                used=True,
                conversion="chained volume -> current prices at the baseline deflator",
                identity=True,
            )
        )
    return out
