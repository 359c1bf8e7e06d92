"""Macro conditioning: the bundle's VAR conditioned on a scenario's paths, and the accounting channels.

Why apart from link transmission (``transmitted``): the macro block is one joint system solved once per
projection (Gaussian conditioning of the VAR's innovations), while links move one series from another.
Here: the conditions (World FDI, the UK flows' share of GDP, any business-investment path) per year, the
conditional response of business investment with every channel used and each shrunk by its evidence
(no significance gate), GDP through business investment's share of expenditure, and the annual
responses put on quarters by a smooth (Boot-Feibes-Lisman) interpolation that keeps each year's mean.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from forecasting.scenarios.macro import Condition, condition, level_deviation, transformed_deviation
from forecasting.scenarios.state import (
    MacroOutcome,
    State,
    Transmitted,
    align_matrix,
    annual_rel,
    fractions,
)
from forecasting.vocabulary import period_end

RESPONDERS = ("uk_bi", "uk_gdp")
FLOW_BASES = {
    "fdi_net_inflows_usd": "World Bank WDI FDI net inflows (balance of payments, asset/liability basis, US$",
    "unctad_fdi_inward_flow_usd": "UNCTAD FDI inward flows (directional principle, US$ million",
}
POSITIONS_AND_REST = (
    "positions: ONS inward FDI positions (directional principle, GBP million); {diff}. Business "
    "investment: ONS CXNV (chained volume); GDP: ONS current prices"
)


def basis_note(index: Any) -> str:
    """The statistical bases behind the flow -> position identity, named from the link the bundle applies
    (the flow basis training chose by fit, WDI or UNCTAD, with its comparison when recorded)."""
    sf = next((k for k in index.links.values() if k.form == "stock_flow"), None)
    measure = sf.driver.split(".")[0] if sf is not None else "fdi_net_inflows_usd"
    flows = FLOW_BASES.get(measure, measure)
    text = f"flows: {flows}, converted at the year's mean US$ per GBP)"
    chosen = ""
    if sf is not None:
        chosen = next((p.strip() for p in sf.note.split(";") if p.strip().startswith("flow basis:")), "")
    text += (
        f" [{chosen}]"
        if chosen
        else " [this bundle did not compare the WDI and UNCTAD bases (trained before the comparison)]"
    )
    diff = (
        "the flows' basis is the positions' (directional); flows and positions still differ by other changes"
        if measure.startswith("unctad")
        else "the difference between the bases (reverse investment, fellow enterprises) is not adjusted"
    )
    return f"{text}; {POSITIONS_AND_REST.format(diff=diff)}"


class Context(Protocol):
    """What conditioning reads of a projection (``inputs.ProjectionInputs``): the bundle index, the plan, the
    states computed so far, draws and the exchange-rate paths."""

    index: Any
    plan: Any
    states: dict[str, State]
    n: int
    seed: int

    def rates(self, years: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...

    def bdraw(self, sid: str) -> np.ndarray: ...

    def rel_of(self, sid: str, st: State) -> tuple[np.ndarray, np.ndarray]: ...


class MacroConditioning:
    """The macro block's part of one projection (reads the context's states, writes ``outcome``)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.outcome: MacroOutcome | None = None

    def response(self, t: str, h: int) -> Transmitted | None:
        assert self.outcome is not None
        var = self.ctx.index.macro_outputs[t]
        resp = self.outcome.responses.get(var)
        if resp is None:
            return None
        s = self.ctx.index.series[t]
        exact = self._quarterly_gdp(var, s, h, resp)
        if exact is not None:
            return exact
        years = np.array(self.outcome.years)
        ystarts = np.array([np.datetime64(f"{y}-01-01") for y in years])
        w = np.ones(len(years))
        if s.frequency == "Q":  # quarterly dynamics: a smooth path whose yearly means are the responses
            a = smooth_quarters(years, np.asarray(resp["rel_draws"]), s.starts[:h])
        else:
            a = align_matrix(w, ystarts, "A", s.starts[:h], s.frequency)
        ra, rda = a @ resp["rel"], resp["rel_draws"] @ a.T
        central = s.mean[:h] * ra
        draws = self.ctx.bdraw(t)[:, :h] * rda
        parts = {}
        tot = sum(float(np.sum(np.abs(v))) for v in resp["parts"].values())
        for label, rel_part in resp["parts"].items():
            if tot > 0:
                parts[label] = central * (float(np.sum(np.abs(rel_part))) / tot)
        return Transmitted(central, draws, list(resp["channels"]), parts=parts)

    def _quarterly_gdp(self, var: str, s: Any, h: int, resp: dict[str, Any]) -> Transmitted | None:
        """GDP under a quarterly business-investment path: the path's own differences in GBP summed over
        each GDP period (the expenditure identity, prices at baseline), not an interpolation of annual
        figures; after the investment horizon, its last quarter's difference (held or reverted as the path)."""
        bi = self.outcome.responses.get("uk_bi") if self.outcome is not None else None
        q = bi.get("quarterly") if bi is not None else None
        if var != "uk_gdp" or q is None:
            return None
        bsid, label = q
        b = self.ctx.index.series[bsid]
        rel = self.ctx.plan.paths[bsid].rel
        k_gbp = b.scale / s.scale
        diff_c = b.mean * rel * k_gbp  # (hb,)
        diff_d = self.ctx.bdraw(bsid) * rel[None, :] * k_gbp  # (n, hb)
        b0, b1 = b.starts, period_end(b.starts, b.frequency)
        t0, t1 = s.starts[:h], period_end(s.starts[:h], s.frequency)
        w = ((b0[None, :] >= t0[:, None]) & (b1[None, :] <= t1[:, None])).astype(float)  # (h, hb)
        quarters = {"A": 4.0, "Q": 1.0, "M": 1 / 3}[s.frequency]
        beyond = t0 >= b1[-1]
        w[beyond, -1] = quarters
        central = w @ diff_c
        return Transmitted(central, diff_d @ w.T, list(resp["channels"]), parts={label: central.copy()})

    def run(self) -> None:
        idx, model = self.ctx.index, self.ctx.index.macro
        if model is None:
            return
        last = model.last_year
        ymax = last
        for sid in list(idx.macro_outputs) + list(idx.macro_inputs):
            ymax = max(ymax, int(idx.series[sid].periods[-1][:4]))
        horizon = ymax - last
        if horizon < 1:
            return
        years = np.arange(last + 1, ymax + 1)
        conds: list[Condition] = []
        described: list[str] = []
        for var in model.names:
            got = self._condition_values(var, years)
            if got is None:
                continue
            central, draws, parts, text = got
            for j in range(horizon):
                if np.isnan(central[j]):
                    continue
                conds.append(Condition(var, j + 1, float(central[j]), draws[:, j], parts[j]))
            described.append(text)
        resp = condition(model, conds, horizon, self.ctx.seed, self.ctx.n)
        if resp is None:
            return
        conditioned = {c.variable for c in conds}
        responses: dict[str, dict[str, Any]] = {}
        for var in RESPONDERS:
            path = next(
                (p for s in model.series.get(var, ()) if (p := self.ctx.plan.paths.get(s)) is not None), None
            )
            if path is None or var not in model.names:
                continue
            s = idx.series[path.sid]
            rel_c, rel_d, cover = annual_rel(
                s, path.rel[: s.h], np.broadcast_to(path.rel[: s.h], (self.ctx.n, s.h))
            )
            after = getattr(self.ctx.plan.scenario.changes[path.change], "after", "revert")
            held = after == "hold" and len(cover) > 0 and abs(float(path.rel[s.h - 1])) > 0
            rel = np.array(
                [
                    rel_c[cover.index(int(y))]
                    if int(y) in cover
                    else (float(rel_c[-1]) if held and int(y) > cover[-1] else 0.0)
                    for y in years
                ]
            )
            responses[var] = {
                "status": "moved",
                "rel": rel,
                "rel_draws": np.broadcast_to(rel, (self.ctx.n, len(rel))),
                "channels": [
                    f"the same concept as {path.sid}: follows its scenario path changes[{path.change}]"
                ],
                "parts": {path.label: rel},
                "quarterly": (path.sid, path.label) if s.frequency == "Q" else None,
            }
        if "uk_bi" in model.names and "uk_bi" not in responses and "uk_bi" not in conditioned:
            responses["uk_bi"] = self._shrunk_response("uk_bi", resp, conditioned)
        if "uk_gdp" not in responses and "uk_bi" in responses:
            got = self._gdp_through_investment(responses["uk_bi"], years)
            if got is not None:
                responses["uk_gdp"] = got
        self.outcome = MacroOutcome(tuple(int(y) for y in years), responses, described)

    def _shrunk_response(self, var: str, resp: Any, conditioned: set[str]) -> dict[str, Any]:
        """The VAR's conditional response of ``var``, every channel used, each scaled by its evidence
        weight (``MacroModel.weights``): central w x response, draws around it with w x its variance."""
        model = self.ctx.index.macro
        assert model is not None
        vi = model.names.index(var)
        cen = np.zeros(len(resp.years))
        drw = np.zeros((self.ctx.n, len(resp.years)))
        parts: dict[str, np.ndarray] = {}
        used = []
        for c in sorted(conditioned):
            w = float(model.weights.get((var, c), 0.0))
            cc, dc = resp.total(lambda v, a, c=c: v == c)
            cen += w * cc[vi]
            drw += w * cc[vi][None, :] + np.sqrt(w) * (dc[:, vi, :] - cc[vi][None, :])
            for (v, label), (pc, _) in resp.parts.items():
                if v == c:
                    parts[label] = parts.get(label, 0) + w * pc[vi]
            used.append(f"{var} <- {c} ({model.estimates.get((var, c), 'no estimate')}; weight {w:.2f})")
        rel = level_deviation(model.transforms[var], cen)
        rel_draws = level_deviation(model.transforms[var], drw)
        if model.transforms[var] == "dlog":  # growth deviations -> contributions to the log level
            parts = {k: np.cumsum(v) / 100 for k, v in parts.items()}
        channels = [
            f"macro block conditional forecast (VAR, {len(model.notes) and model.notes[-1]}); every channel used, "
            "each shrunk toward zero by its evidence (weight tau^2 / (tau^2 + se^2), tau across the block's "
            "channels in standard-deviation units): " + "; ".join(used)
        ]
        return {"status": "moved", "rel": rel, "rel_draws": rel_draws, "channels": channels, "parts": parts}

    def _gdp_through_investment(self, bi: dict[str, Any], years: np.ndarray) -> dict[str, Any] | None:
        """GDP moves by business investment's share of expenditure times its % deviation (prices held at
        baseline). The VAR's own GDP equation is not used; multiplier, import-leakage and price channels
        are off (``accounting``)."""
        share = self.investment_share(years)
        if share is None:
            return None
        rel = share * np.asarray(bi["rel"])
        rel_draws = share[None, :] * np.asarray(bi["rel_draws"])
        parts = {k: share * np.asarray(v) for k, v in bi["parts"].items()}
        channels = [
            f"expenditure accounting: GDP moves by business investment's share of GDP ({float(np.mean(share)):.3f}) "
            "times its % deviation; other channels (multiplier, imports, prices) are off"
        ]
        return {"status": "moved", "rel": rel, "rel_draws": rel_draws, "channels": channels, "parts": parts}

    def investment_share(self, years: np.ndarray) -> np.ndarray | None:
        """Business investment (annual sums of its baseline, GBP) over nominal GDP (GBP) per year: chained
        volume at reference-year prices over current prices, the nominal share approximately."""
        idx, model = self.ctx.index, self.ctx.index.macro
        assert model is not None
        sid = next((s for s in model.series.get("uk_bi", ()) if s in idx.series), None)
        gdp = self._gdp_gbp(years)
        if sid is None or not np.all(gdp > 0):
            return None
        bi = _annual_sums(idx.series[sid], years)
        if bi is None:
            return None
        return bi / gdp

    def accounting(self) -> dict[str, Any] | None:
        """What the output states about accounting: the bases, the identity's uncertainty, the channels off."""
        idx = self.ctx.index
        out: dict[str, Any] = {"flows_and_positions": basis_note(idx)}
        sf = next((k for k in idx.links.values() if k.form == "stock_flow"), None)
        if sf is not None:
            out["stock_flow_identity"] = {
                "coefficient": sf.coefficient,
                "se": sf.se,
                "note": "position = previous position + flow + other changes; the flow's coefficient is the "
                "identity's 1, drawn with the se of its data check; other changes stay at baseline",
            }
        if idx.macro is not None:
            years = np.arange(idx.macro.last_year + 1, idx.macro.last_year + 12)
            share = self.investment_share(years)
            out["gdp"] = {
                "channel": "business investment's share of expenditure (prices at baseline)",
                "investment_share_of_gdp": None if share is None else float(np.mean(share)),
                "channels_off": [
                    "multiplier (consumption out of income)",
                    "imports of capital goods (leakage)",
                    "prices and deflators",
                    "the VAR's own GDP equation",
                    "regional GVA from business investment (regional series move only through their own links)",
                ],
            }
        return out

    def _condition_values(self, var: str, years: np.ndarray):
        """Central (H,), draws (n, H) and assumption fractions per year of a conditioning variable, or None
        when the variable is free (a responder without a scenario path) or absent."""
        idx, model = self.ctx.index, self.ctx.index.macro
        assert model is not None
        transform = model.transforms[var]
        sids = [s for s in model.series[var] if s in idx.series]
        path_sid = next((s for s in sids if s in self.ctx.plan.paths), None)
        if var in ("uk_bi", "uk_gdp") and path_sid is None:
            return None
        sid = path_sid or next((s for s in sids if s in idx.series), None)
        if sid is None:
            return None
        s = idx.series[sid]
        st = self.ctx.states.get(sid)
        if path_sid is not None:
            p = self.ctx.plan.paths[path_sid]
            st = State(s.mean * p.rel, None, parts={p.label: s.mean * p.rel})
        if st is None:
            st = State(np.zeros(s.h), None)
        H = len(years)
        central = np.full(H, np.nan)
        draws = np.zeros((self.ctx.n, H))
        ypos = {int(y): j for j, y in enumerate(years)}
        if transform == "dlog":
            rel, rd = self.ctx.rel_of(sid, st)
            ann_c, ann_d, cover = annual_rel(s, rel, rd)
            relc = np.zeros(H)
            reld = np.zeros((self.ctx.n, H))
            for y, c, dd in zip(cover, ann_c, ann_d.T, strict=True):
                if y in ypos:
                    relc[ypos[y]], reld[:, ypos[y]] = c, dd
            tc, td = transformed_deviation("dlog", relc), transformed_deviation("dlog", reld)
            for y in cover:
                if y in ypos:
                    central[ypos[y]], draws[:, ypos[y]] = tc[ypos[y]], td[:, ypos[y]]
        else:  # UK flows as a share of nominal GDP, in GBP
            hd = s.h
            fy = np.array([int(p[:4]) for p in s.periods[:hd]])
            fb, fs = s.mean[:hd], s.mean[:hd] + st.central[:hd]
            fbd = self.ctx.bdraw(sid)[:, :hd]
            fsd = fbd + st.draws_or_central(self.ctx.n)[:, :hd]
            rate_eff = np.zeros(hd)
            if idx.rate is not None and s.info.get("currency") == "USD":
                rb, rs, rbd, rsd = self.ctx.rates(fy)
                dc, dd = fs / rs - fb / rb, fsd / rsd - fbd / rbd
                rate_eff = fs * (1 / rs - 1 / rb)
            else:
                dc, dd = fs - fb, fsd - fbd
            gdp = self._gdp_gbp(fy)
            fr = fractions(st)
            parts = [fr for _ in range(H)]
            for j, y in enumerate(fy):
                if int(y) in ypos and gdp[j] > 0:
                    central[ypos[int(y)]] = 100 * dc[j] / gdp[j]
                    draws[:, ypos[int(y)]] = 100 * dd[:, j] / gdp[j]
                    if self.ctx.plan.rate is not None and rate_eff[j] != 0 and dc[j] != 0:
                        r_share = rate_eff[j] / dc[j]  # signed: the split is exact, not a weighting
                        split = {k: f * (1 - r_share) for k, f in fr.items()}
                        split[self.ctx.plan.rate.label] = split.get(self.ctx.plan.rate.label, 0.0) + r_share
                        parts[ypos[int(y)]] = split
            text = f"{var} from {sid}" + (" (scenario path)" if path_sid else "")
            return central, draws, parts, text
        fr = fractions(st)
        parts = [fr for _ in range(H)]
        text = f"{var} from {sid}" + (" (scenario path)" if path_sid else "")
        return central, draws, parts, text

    def _gdp_gbp(self, years: np.ndarray) -> np.ndarray:
        """Baseline nominal GDP in GBP for ``years`` (annual sums of the bundle's GDP forecast; the nearest
        forecast year where a year is not covered)."""
        idx, model = self.ctx.index, self.ctx.index.macro
        assert model is not None
        sid = next((s for s in model.series.get("uk_gdp", ()) if s in idx.series), None)
        if sid is None:
            return np.zeros(len(years))
        s = idx.series[sid]
        per_year: dict[int, list[float]] = {}
        for p, v in zip(s.periods, s.mean, strict=True):
            per_year.setdefault(int(p[:4]), []).append(float(v))
        need = 1 if s.frequency == "A" else (4 if s.frequency == "Q" else 12)
        full = {y: sum(v) for y, v in per_year.items() if len(v) == need}
        if not full:
            return np.zeros(len(years))
        ys = np.array(sorted(full))
        out = np.array([full[int(ys[np.argmin(np.abs(ys - y))])] for y in years])
        return out * s.scale


def _annual_sums(s: Any, years: np.ndarray) -> np.ndarray | None:
    """A series' baseline summed per calendar year (complete years; the nearest one otherwise), in GBP."""
    per_year: dict[int, list[float]] = {}
    for p, v in zip(s.periods, s.mean, strict=True):
        per_year.setdefault(int(p[:4]), []).append(float(v))
    need = 1 if s.frequency == "A" else (4 if s.frequency == "Q" else 12)
    full = {y: sum(v) for y, v in per_year.items() if len(v) == need}
    if not full:
        return None
    ys = np.array(sorted(full))
    return np.array([full[int(ys[np.argmin(np.abs(ys - y))])] for y in years]) * s.scale


def smooth_quarters(years: np.ndarray, draws: np.ndarray, q_starts: np.ndarray) -> np.ndarray:
    """(n_quarters, n_years) matrix taking annual deviations to quarters (Boot-Feibes-Lisman): the smoothest
    quarterly path (least squared quarter-on-quarter changes) whose mean in each year is that year's
    deviation, starting from zero before the first year that moves (in any draw), so nothing moves earlier
    and a response builds within the year instead of jumping by annual steps."""
    years = np.asarray(years, dtype=int)
    moving = np.flatnonzero(np.any(np.abs(np.atleast_2d(draws)) > 0, axis=0))
    qs = np.asarray(q_starts, dtype="datetime64[M]").astype(int)  # months since 1970-01
    qy, qq = 1970 + qs // 12, (qs % 12) // 3
    out = np.zeros((len(qy), len(years)))
    if not len(moving):
        return out
    first = int(years[moving[0]])
    ys = [int(y) for y in years if y >= first]
    m = 4 * len(ys)
    # unknowns q_1..q_m; q_0 = 0 (the quarter before); minimise sum (q_t - q_{t-1})^2 s.t. yearly means
    d = np.eye(m) - np.eye(m, k=-1)
    c = np.zeros((len(ys), m))
    for j in range(len(ys)):
        c[j, 4 * j : 4 * j + 4] = 0.25
    kkt = np.block([[2 * d.T @ d, c.T], [c, np.zeros((len(ys), len(ys)))]])
    rhs = np.vstack([np.zeros((m, len(ys))), np.eye(len(ys))])
    sol = np.linalg.solve(kkt, rhs)[:m]  # (m, len(ys)): quarterly values per unit yearly deviation
    col = {y: j for j, y in enumerate(int(v) for v in years)}
    qpos: dict[int, list[int]] = {}
    for k, y in enumerate(qy):
        qpos.setdefault(int(y), []).append(k)
    cols = [col[yy] for yy in ys]
    for j, y in enumerate(ys):
        for k in qpos.get(y, []):
            out[k, cols] = sol[4 * j + int(qq[k])]
    # quarters after the last year hold the last year's last quarter
    last = [k for k, y in enumerate(qy) if y > ys[-1]]
    if last and qpos.get(ys[-1]):
        out[last] = out[qpos[ys[-1]][-1]]
    return out


__all__ = ["MacroConditioning", "smooth_quarters"]
