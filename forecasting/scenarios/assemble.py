"""Result assembly: propagated differences -> per-series projections with quantiles and intervals.

Why here and not in propagation: the same numbers are shown by the CLI, the API and the charts, so the
conversion to what they show (scenario quantiles, the difference's 80%/95% intervals, reasons for every
series that did not move, the decomposition by assumption, the driver paths) happens once.

Scenario quantiles: when a series' difference is certain (a shock, an identity with certain inputs) the
baseline quantiles shift by it and nothing else changes; otherwise they are quantiles of baseline draws
(Latin hypercube over the stored quantiles) plus difference draws. An unmoved series returns its stored
baseline bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecasting.registry.contents import IDENTITY_FIELDS
from forecasting.scenarios import timing
from forecasting.scenarios.index import BundleIndex
from forecasting.scenarios.macro import describe
from forecasting.scenarios.propagate import Propagation, State
from forecasting.scenarios.result import DriverPath, ScenarioResult, SeriesProjection, decomposition
from forecasting.scenarios.validate import Plan, driver_series

INFO_FIELDS = (*IDENTITY_FIELDS, "currency", "price_basis", "quantity", "seasonal_adjustment")


def assemble(index: BundleIndex, plan: Plan, prop: Propagation, seed: int) -> ScenarioResult:
    stats = _batch_quantiles(index, plan, prop, seed)
    out = [_series(index, sid, prop.states.get(sid), prop, stats.get(sid), plan) for sid in plan.wanted]
    return ScenarioResult(
        scenario=plan.scenario,
        provenance=dict(index.provenance),
        series=out,
        drivers=_drivers(index, plan, prop),
        notes=list(plan.notes),
        macro=_macro(index, prop),
        seed=seed,
        draws=prop.n,
        headline=index.headline,
        related=tuple(sid for sid in index.macro_outputs if sid not in index.headline),
        today=plan.today.isoformat(),
        starts=dict(plan.starts),
        accounting=prop.accounting,
    )


DIFF_PROBS = (0.1, 0.9, 0.025, 0.975)


def _batch_quantiles(
    index: BundleIndex, plan: Plan, prop: Propagation, seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Difference quantiles (4, h) and scenario quantiles (nq, h) of every uncertain moved series, from one
    sort over all their draws (what a per-series ``np.quantile`` would give, much faster)."""
    cols_d, cols_t, spans = [], [], []
    for sid in plan.wanted:
        st = prop.states.get(sid)
        if st is None or st.draws is None or not st.moved:
            continue
        h = len(st.central)
        cols_d.append(st.draws)
        cols_t.append(index.baseline_draws(sid, seed, prop.n)[:, :h] + st.draws)
        spans.append((sid, h))
    if not spans:
        return {}
    qd = _sorted_quantiles(np.hstack(cols_d), np.array(DIFF_PROBS))
    qt = _sorted_quantiles(np.hstack(cols_t), index.qs) if len(index.qs) else None
    out, k = {}, 0
    for sid, h in spans:
        out[sid] = (qd[:, k : k + h], qt[:, k : k + h] if qt is not None else np.zeros((0, h)))
        k += h
    return out


def _sorted_quantiles(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Quantiles along axis 0 with numpy's default (linear) rule, from one sort."""
    xs = np.sort(x, axis=0)
    pos = probs * (len(xs) - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(xs) - 1)
    w = (pos - lo)[:, None]
    return xs[lo] * (1 - w) + xs[hi] * w


def _links(index: BundleIndex, sid: str) -> list[dict[str, Any]]:
    return [k.as_dict() for k in index.all_links.get(sid, ())]


def _series(
    index: BundleIndex,
    sid: str,
    st: State | None,
    prop: Propagation,
    qstats: tuple[np.ndarray, np.ndarray] | None,
    plan: Plan,
) -> SeriesProjection:
    s = index.series[sid]
    info = {k: s.info.get(k) for k in INFO_FIELDS}
    moved = st is not None and st.moved
    h = len(st.central) if st is not None else s.h
    base_mean, base_q = s.mean[:h], s.q[:, :h]
    common = dict(
        series_id=sid,
        info=info,
        periods=list(s.periods[:h]),
        kinds=list(timing.kinds(s.starts[:h], plan.today)),
        baseline_mean=base_mean,
        baseline_q=base_q,
        quantiles=index.qs,
        links=_links(index, sid),
        history=list(s.history),
        accumulates=s.accumulates,
        synthetic=s.synthetic,
    )
    if not moved:
        status = "baseline"
        reason = st.reason if st is not None and st.reason else _why_unmoved(index, sid, prop)
        return SeriesProjection(
            **common,
            scenario_mean=base_mean,
            scenario_q=base_q,
            affected=False,
            reason=reason,
            channels=list(st.channels) if st is not None else [],
            status=status,
        )
    assert st is not None
    central = st.central
    scen_mean = base_mean + central
    if qstats is None:  # a certain difference: the baseline quantiles shift by it
        scen_q = base_q + central[None, :]
        intervals = {lv: (central.copy(), central.copy()) for lv in (80, 95)}
    else:
        (lo80, hi80, lo95, hi95), scen_q = qstats
        intervals = {
            80: (np.minimum(lo80, central), np.maximum(hi80, central)),
            95: (np.minimum(lo95, central), np.maximum(hi95, central)),
        }
        if len(index.qs):
            scen_q = np.maximum.accumulate(scen_q, axis=0)
            if not np.all(central):  # periods the scenario does not touch keep the baseline
                still = (central == 0) & ~np.any(st.draws, axis=0)
                scen_q[:, still] = base_q[:, still]
        else:
            scen_q = base_q
    if s.non_negative and len(scen_q):
        scen_q = np.maximum(scen_q, 0.0)
    return SeriesProjection(
        **common,
        scenario_mean=scen_mean,
        scenario_q=scen_q,
        affected=True,
        reason=None,
        channels=list(st.channels),
        diff_intervals=intervals,
        status="moved",
        decomposition=decomposition(st.parts, central, s.periods[:h]),
        accounting=_accounting(st, s.periods[:h]),
    )


def _accounting(st: State, periods: tuple[str, ...]) -> dict[str, Any] | None:
    a = st.accounting
    if a is None:
        return None
    return {
        "flow_series": a["flow_series"],
        "unit": a["unit"],
        "periods": list(periods),
        "flow_baseline": a["flow_baseline"],
        "flow_scenario": a["flow_scenario"],
        "other_changes_held": a["other_changes"],
        "note": "change in position = flow (converted) + other changes; other changes stay at baseline",
    }


def _why_unmoved(index: BundleIndex, sid: str, prop: Propagation) -> str:
    links = index.all_links.get(sid, ())
    refused = [k for k in links if k.model == "refused"]
    unit = index.units[index.unit_of[sid]]
    link = index.links.get(sid)
    if link is None and sid in index.macro_outputs:
        return "follows the macro block, which this scenario's drivers leave at baseline"
    if link is None and refused and len(unit.ids) == 1:
        return "not linked: " + "; ".join(k.note for k in refused)
    if link is None and len(unit.ids) == 1:
        return "no estimated link to the scenario's drivers and no shock: unaffected"
    if link is not None:
        st = prop.states.get(link.driver)
        if st is not None and st.moved:
            return f"linked to {link.driver}, but its difference does not reach this series' forecast periods"
    return "linked only to drivers or areas this scenario leaves at their baseline"


def _drivers(index: BundleIndex, plan: Plan, prop: Propagation) -> list[DriverPath]:
    out = []
    for d, alias in index.drivers.items():
        if index.rate is not None and d == index.rate.sid:
            continue
        if d not in index.declared and d not in plan.paths:
            continue
        st = prop.states.get(d)
        if st is None:
            continue
        s = index.series[d]
        h = len(st.central)
        src = (
            f"scenario path changes[{plan.paths[d].change}]"
            if d in plan.paths
            else ("transmitted" if np.any(st.central) else "baseline")
        )
        out.append(
            DriverPath(
                d, alias, src, list(s.periods[:h]), s.mean[:h], s.mean[:h] + st.central, s.info.get("unit")
            )
        )
    used_rate = any(st.accounting is not None for st in prop.states.values())
    if index.rate is not None and (plan.rate is not None or used_rate):
        rs = driver_series(index, index.rate.sid)
        assert rs is not None
        rel = plan.rate.rel if plan.rate is not None else np.zeros(rs.h)
        src = f"scenario path changes[{plan.rate.change}]" if plan.rate is not None else "baseline"
        out.append(
            DriverPath(
                rs.sid,
                index.drivers.get(rs.sid),
                src + f" (random walk from {index.rate.years[-1]}: {index.rate.last:.4f})",
                list(rs.periods),
                rs.mean,
                rs.mean * (1 + rel),
                "USD per GBP",
            )
        )
    return out


def _macro(index: BundleIndex, prop: Propagation) -> dict[str, Any] | None:
    if index.macro is None:
        return None
    model = index.macro
    out: dict[str, Any] = {
        "model": describe(model),
        "notes": list(model.notes),
        "channels": [
            {"target": t, "condition": c, "estimate": text, "weight": model.weights.get((t, c))}
            for (t, c), text in sorted(model.estimates.items())
        ],
        "applied": prop.macro is not None,
    }
    if prop.macro is None:
        return out
    out["conditions"] = list(prop.macro.conditions)
    out["years"] = list(prop.macro.years)
    res = {}
    for var, r in prop.macro.responses.items():
        if r["status"] != "moved":
            res[var] = {"status": r["status"], "reason": r["reason"]}
            continue
        rel = 100 * r["rel"]
        lo, hi = np.quantile(100 * np.asarray(r["rel_draws"]), [0.025, 0.975], axis=0)
        parts = {k: 100 * np.asarray(v) for k, v in r["parts"].items()}
        res[var] = {
            "status": "moved",
            "deviation_pct": rel,
            "deviation_lo95": lo,
            "deviation_hi95": hi,
            "channels": r["channels"],
            "decomposition_pct": parts,
        }
    out["responses"] = res
    return out


__all__ = ["assemble"]
