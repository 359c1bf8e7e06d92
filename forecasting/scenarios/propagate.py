"""Propagation: a validated plan's paths and shocks carried through the links and trees (numpy).

The wiring of one projection; each stage has its module: ``inputs`` (the plan, the seeded draws, the
exchange-rate path, the states so far), ``transmitted`` (step 2), ``trees`` (step 3), ``conditioning`` (step 4).

Every series' difference from baseline is a central path (point estimates) plus ``n`` draws that carry
the uncertainty of the link coefficients, of the driver's own baseline forecast, of the US$/GBP rate and
of the macro block's parameters. Units (summing trees) are visited in the index's ``graphlib`` order:

1. Driver paths are relative deviations ``r`` of a driver from its baseline: difference = r x baseline
   (draws: r x the driver's baseline draws).
2. A unit member with an applied link gets a transmitted difference, by the link's form:
   ``stock_flow`` the cumulated difference of the converted flow, F_s / rate_s - F_b / rate_b (the rest of
   the stock's change, valuation and other changes, stays at baseline, so a temporary fall leaves a
   persistent gap); ``level`` b x the driver's difference (converted); ``log`` baseline x ((1 + r)^e - 1);
   ``conversion`` the driver's % deviation; ``macro`` the macro block's conditional response. A link that
   is not identified transmits nothing and says so.
3. In a tree, the broadest transmitted node wins; its difference is shared down to the bottom series by
   the estimated exposures (each child's share of its parent's changes, drawn with their se and
   renormalised per draw), or by baseline shares where the exposures are missing or not identified.
   Explicit driver paths replace what is under them and shocks add on top (shared by baseline shares).
   Every member is then the sum of its bottom series, per draw, so results add up as the baseline does.
4. The macro block runs when its inputs are known: it is conditioned on World FDI, the UK flows' share
   of GDP and any business-investment/GDP path, and its responses feed the business investment and GDP
   series; a channel (response variable <- conditioning variable) that is not identified is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from forecasting.scenarios.conditioning import MacroConditioning
from forecasting.scenarios.index import MACRO, BundleIndex
from forecasting.scenarios.inputs import ProjectionInputs
from forecasting.scenarios.state import MacroOutcome, State, align_matrix
from forecasting.scenarios.transmitted import LinkTransmission
from forecasting.scenarios.trees import TreeProjection
from forecasting.scenarios.validate import Plan


@dataclass
class Propagation:
    states: dict[str, State]
    macro: MacroOutcome | None
    rate_rel: np.ndarray | None
    n: int
    accounting: dict[str, Any] | None = None


def propagate(index: BundleIndex, plan: Plan, *, seed: int, n_draws: int) -> Propagation:
    """Every needed unit's states, in dependency order (see the module docstring)."""
    inputs = ProjectionInputs(index, plan, seed, n_draws)
    conditioning = MacroConditioning(inputs)
    trees = TreeProjection(inputs, LinkTransmission(inputs, conditioning))
    need = index.needed({index.unit_of[s] for s in plan.wanted})
    for node in index.order:
        if node not in need:
            continue
        if node == MACRO:
            conditioning.run()
        else:
            trees.project_unit(node)
    return Propagation(
        inputs.states, conditioning.outcome, inputs.rate_rel, n_draws, accounting=conditioning.accounting()
    )


__all__ = ["Propagation", "State", "align_matrix", "propagate"]
