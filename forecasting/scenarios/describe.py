"""What a bundle lets a scenario set: every driver with its unit, baseline and where it acts.

Each driver lists its effective links: the shrunk coefficient projections apply, beside the link's own
estimate and the weight on it (tau^2 / (tau^2 + se^2)), so a link resting on a handful of points is visible.

Why: an analyst writing ``driver = "world_fdi"`` needs to know what it is in (US$, GBP, % ...), what its
baseline is, and what it will move (which links, the macro block), before running anything.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import numpy as np

from forecasting.scenarios import timing
from forecasting.scenarios.index import BundleIndex
from forecasting.scenarios.validate import driver_series

FORM_WORDS = {
    "stock_flow": "accumulates into",
    "level": "passes through to",
    "log": "elasticity link to",
    "conversion": "same % for",
    "share": "share link to",
}


def period_kinds(
    starts: np.ndarray, frequency: str, periods: tuple[str, ...], today: dt.date
) -> dict[str, str]:
    """Each period relative to ``today``: ``past`` (over: a change wholly in such periods is refused unless
    the scenario is a counterfactual), ``nowcast`` (begun, not over, not published) or ``forecast``."""
    k = timing.kinds(starts, today)
    return {p: "past" if timing.ended(starts, frequency, [j], today) else k[j] for j, p in enumerate(periods)}


def describe_drivers(index: BundleIndex, today: dt.date | str | None = None) -> list[dict[str, Any]]:
    """Every declared driver; ``today`` (default: the real date) says which of its periods are past,
    nowcast or forecast and which one a change without a start begins in."""
    when = timing.resolve_today(today)
    out = []
    for sid, alias in index.drivers.items():
        if sid not in index.declared:
            continue
        s = driver_series(index, sid)
        if s is None:
            continue
        acts: list[str] = []
        targets = [k for k in index.links.values() if k.driver == sid and k.form != "macro"]
        by_form = Counter(k.form for k in targets)
        for form, n in sorted(by_form.items()):
            weak = sum(1 for k in targets if k.form == form and k.weight is not None and k.weight < 0.2)
            examples = ", ".join(k.target for k in targets if k.form == form)[:160]
            acts.append(
                f"{FORM_WORDS.get(form, form)} {n} series ({weak} with too little evidence of their own, "
                f"shrunk to their prior): {examples}"
            )
        if sid in index.macro_inputs:
            acts.append(
                f"conditions the macro block as {index.macro_inputs[sid]} (moves business investment, GDP)"
            )
        if sid in index.macro_outputs:
            acts.append(f"macro block variable {index.macro_outputs[sid]}: a path on it conditions the block")
        if index.rate is not None and sid == index.rate.sid:
            acts.append(
                "converts US$ flows to GBP where they accumulate into GBP positions (translation only)"
            )
        n_fc = sum(1 for k in s.kinds if k == "forecast")
        first = timing.first_future(s.starts, when)
        out.append(
            {
                "driver_id": sid,
                "alias": alias,
                "unit": s.info.get("unit"),
                "frequency": s.frequency,
                "periods": f"{s.periods[0]}..{s.periods[-1]}",
                "nowcast_periods": sum(1 for k in s.kinds if k == "nowcast"),
                "forecast_periods": n_fc,
                "baseline": {p: float(v) for p, v in zip(s.periods[:4], s.mean[:4], strict=False)},
                "today": when.isoformat(),
                "first_future": s.periods[first] if first is not None else None,
                "period_kinds": period_kinds(s.starts, s.frequency, s.periods, when),
                "acts_on": acts or ["nothing in this bundle (no estimated link uses it)"],
                "links": [
                    {
                        "target_id": k.target,
                        "form": k.form,
                        "effective": k.coefficient,
                        "elasticity": k.elasticity if k.form == "log" else None,
                        "se": k.se,
                        "own_estimate": k.own_coefficient,
                        "own_se": k.own_se,
                        "weight": k.weight,
                        "n_obs": k.n_obs,
                        "model": k.model,
                    }
                    for k in targets
                ],
            }
        )
    return out


__all__ = ["describe_drivers", "period_kinds"]
