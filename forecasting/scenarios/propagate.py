"""Propagation: a validated plan's paths and shocks carried through the links and trees (numpy).

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

from forecasting.scenarios.conditioning import MacroConditioning, basis_note
from forecasting.scenarios.index import MACRO, BundleIndex, LinkSpec, SeriesData, Unit, rng_for
from forecasting.scenarios.state import MacroOutcome, State, Transmitted, align_matrix, fractions
from forecasting.scenarios.validate import Plan, driver_series
from forecasting.vocabulary import period_end

TINY = 1e-12
ESTIMATED_FORMS = ("level", "log", "share")


@dataclass
class Propagation:
    states: dict[str, State]
    macro: MacroOutcome | None
    rate_rel: np.ndarray | None
    n: int
    accounting: dict[str, Any] | None = None


class _Context:
    def __init__(self, index: BundleIndex, plan: Plan, seed: int, n: int) -> None:
        self.index, self.plan, self.seed, self.n = index, plan, seed, n
        self.states: dict[str, State] = {}
        self.conditioning = MacroConditioning(self)
        self.shock_labels = {sh.label for v in plan.shocks.values() for sh in v}
        self.rate_rel, self.rate_years = self._rate_path()

    # ---- the exchange rate ------------------------------------------------------------------------
    def _rate_path(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        p = self.plan.rate
        if p is None or self.index.rate is None:
            return None, None
        s = driver_series(self.index, p.sid)
        assert s is not None
        return p.rel, np.array([int(x) for x in s.periods])

    def rates(self, years: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """US$ per GBP for ``years``: baseline and scenario, central (h,) and draws (n, h)."""
        r = self.index.rate
        assert r is not None
        base = r.baseline(years)
        base_d = r.draws(years, rng_for(self.seed, "rate"), self.n)
        rel = np.zeros(len(years))
        if self.rate_rel is not None and self.rate_years is not None:
            pos = {int(y): i for i, y in enumerate(self.rate_years)}
            rel = np.array([self.rate_rel[pos[int(y)]] if int(y) in pos else 0.0 for y in years])
        return base, base * (1 + rel), base_d, base_d * (1 + rel)

    # ---- helpers --------------------------------------------------------------------------------------
    def bdraw(self, sid: str) -> np.ndarray:
        return self.index.baseline_draws(sid, self.seed, self.n)

    def coef_draws(self, link: LinkSpec) -> np.ndarray:
        if link.se <= 0:
            return np.full(self.n, link.coefficient)
        rng = rng_for(self.seed, "link", link.target, link.driver)
        return link.coefficient + link.se * rng.standard_normal(self.n)

    def rel_of(self, sid: str, st: State) -> tuple[np.ndarray, np.ndarray]:
        """A driver's relative deviation: central (h,) against its point baseline, draws against the
        same draw's baseline (so a path's r stays r in every draw)."""
        s = self.index.series[sid]
        hd = len(st.central)
        b = s.mean[:hd]
        rel = np.divide(st.central, b, out=np.zeros(hd), where=np.abs(b) > TINY)
        if st.draws is None:
            return rel, np.broadcast_to(rel, (self.n, hd))
        bd = self.bdraw(sid)[:, :hd]
        ok = np.abs(bd) > 1e-9 * np.maximum(np.abs(b), TINY)
        rd = np.where(ok, st.draws / np.where(ok, bd, 1.0), rel)
        return rel, rd

    # ---- transmitted differences ----------------------------------------------------------------------
    def transmitted(self, t: str, h: int) -> Transmitted | None:
        idx = self.index
        if t in idx.macro_outputs and self.conditioning.outcome is not None:
            return self.conditioning.response(t, h)
        link = idx.links.get(t)
        if link is None or link.form == "macro":
            return None
        st = self.states.get(link.driver)
        if st is not None and st.placed is not None and link.form in ESTIMATED_FORMS:
            # a shock lands where it was placed and in its parents (and what accounting identities tie to
            # it): estimated links never carry it to other areas or measures
            st = State(
                st.central - st.placed,
                None if st.draws is None else st.draws - st.placed[None, :],
                st.channels,
                parts={k: v for k, v in st.parts.items() if k not in self.shock_labels},
            )
        rate_moves = link.form == "stock_flow" and self.rate_rel is not None and np.any(self.rate_rel)
        if (st is None or not st.moved) and not rate_moves:
            return None
        if st is None:
            st = State(np.zeros(idx.series[link.driver].h), None)
        fn = {
            "stock_flow": self._stock_flow,
            "level": self._level,
            "log": self._log,
            "share": self._log,
            "conversion": self._conversion,
        }[link.form]
        return fn(t, h, link, st)

    def _parts_scaled(self, st: State, out: np.ndarray) -> dict[str, np.ndarray]:
        """Split a target's central difference among the driver's assumptions, in the driver's proportions."""
        fr = fractions(st)
        if set(fr) == {""}:
            return {}
        return {k: out * f for k, f in fr.items()}

    def _stock_flow(self, t: str, h: int, link: LinkSpec, st: State) -> Transmitted:
        idx = self.index
        s, d = idx.series[t], idx.series[link.driver]
        hd = min(len(st.central), d.h)
        years = np.array([int(p[:4]) for p in d.periods[:hd]])
        fb, fs = d.mean[:hd], d.mean[:hd] + st.central[:hd]
        fbd = self.bdraw(link.driver)[:, :hd]
        fsd = fbd + st.draws_or_central(self.n)[:, :hd]
        conv = ""
        rate_part = np.zeros(hd)
        if d.info.get("currency") == "USD" and s.info.get("currency") == "GBP" and idx.rate is not None:
            rb, rs, rbd, rsd = self.rates(years)
            flow_c = fs / rs - fb / rb
            flow_d = fsd / rsd - fbd / rbd
            base_gbp = fb / rb
            rate_part = fs * (1 / rs - 1 / rb)  # translation: the scenario's flows at the scenario's rate
            conv = f" converted at US$ {rb[0]:.4g} per GBP (random walk from {idx.rate.years[-1]})"
        else:
            flow_c, flow_d, base_gbp = fs - fb, fsd - fbd, fb
        k = d.scale / s.scale
        flow_c, flow_d, base_gbp, rate_part = flow_c * k, flow_d * k, base_gbp * k, rate_part * k
        w = _overlap(d, hd, s, h, accumulate=True)
        gap_c = np.cumsum(w @ flow_c)
        gap_rate = np.cumsum(w @ rate_part)
        # the identity's 1, drawn with the se of its data check (flows and positions are on different bases)
        gap_d = self.coef_draws(link)[:, None] * np.cumsum(flow_d @ w.T, axis=1)
        base_flow_t = w @ base_gbp
        prev = np.r_[s.last_value if s.last_value is not None else np.nan, s.mean[: h - 1]]
        other = s.mean[:h] - prev - base_flow_t
        accounting = {
            "flow_baseline": base_flow_t,
            "flow_scenario": base_flow_t + w @ flow_c,
            "other_changes": other,
            "unit": s.info.get("unit"),
            "flow_series": link.driver,
            "coefficient": link.coefficient,
            "se": link.se,
            "basis": basis_note(idx),
        }
        ch = [
            f"accumulates the flows of {link.driver}{conv} (stock-flow identity, coefficient 1 drawn with se "
            f"{link.se:.2g} from its data check); valuation and other changes held at their baseline, so the "
            "gap persists after flows recover"
        ]
        parts = self._parts_scaled(st, gap_c - gap_rate)
        if self.plan.rate is not None and np.any(gap_rate):
            parts[self.plan.rate.label] = parts.get(self.plan.rate.label, 0) + gap_rate
        return Transmitted(gap_c, gap_d, ch, parts=parts, accounting=accounting)

    def _level(self, t: str, h: int, link: LinkSpec, st: State) -> Transmitted:
        idx = self.index
        s, d = idx.series[t], idx.series[link.driver]
        hd = min(len(st.central), d.h)
        k = d.scale / s.scale
        c, x = st.central[:hd] * k, st.draws_or_central(self.n)[:, :hd] * k
        if d.info.get("currency") == "USD" and s.info.get("currency") == "GBP" and idx.rate is not None:
            years = np.array([int(p[:4]) for p in d.periods[:hd]])
            _, rs, _, rsd = self.rates(years)
            c, x = c / rs, x / rsd
        w = _overlap(d, hd, s, h, accumulate=d.accumulates)
        b = self.coef_draws(link)
        central = link.coefficient * (w @ c)
        draws = b[:, None] * (x @ w.T)
        return Transmitted(central, draws, [link.describe()], parts=self._parts_scaled(st, central))

    def _aligned_rel(
        self, d: SeriesData, hd: int, s: SeriesData, h: int, rel: np.ndarray, rd: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if d.frequency == s.frequency and np.array_equal(d.starts[:hd], s.starts[:h]):
            return np.array(rel[:h], copy=True), np.array(rd[:, :h], copy=True)
        a = align_matrix(d.mean[:hd], d.starts[:hd], d.frequency, s.starts[:h], s.frequency)
        return a @ rel[:hd], rd[:, :hd] @ a.T

    def _log(self, t: str, h: int, link: LinkSpec, st: State) -> Transmitted:
        idx = self.index
        s, d = idx.series[t], idx.series[link.driver]
        hd = min(len(st.central), d.h)
        rel, rd = self.rel_of(link.driver, st)
        ra, rda = self._aligned_rel(d, hd, s, h, rel[:hd], rd[:, :hd])
        e = link.coefficient if link.form != "share" else 1.0
        ed = self.coef_draws(link) if link.form != "share" else np.ones(self.n)
        if link.model.startswith("diff_ols"):
            # estimated on differences (the driver has zero or negative values): a linear elasticity at
            # the baseline, so a driver falling through zero (-175%) moves the target by e x r, not by
            # (1 + r)^e at a clamped r (which turned a small negative elasticity into +47%)
            central = s.mean[:h] * e * ra
            draws = self.bdraw(t)[:, :h] * ed[:, None] * rda
            ch = [link.describe() + "; applied linearly (estimated on differences, not logs)"]
            return Transmitted(central, draws, ch, parts=self._parts_scaled(st, central))
        central = s.mean[:h] * (np.power(1 + np.maximum(ra, -0.999999), e) - 1)
        draws = self.bdraw(t)[:, :h] * (np.power(1 + np.maximum(rda, -0.999999), ed[:, None]) - 1)
        return Transmitted(central, draws, [link.describe()], parts=self._parts_scaled(st, central))

    def _conversion(self, t: str, h: int, link: LinkSpec, st: State) -> Transmitted:
        idx = self.index
        s, d = idx.series[t], idx.series[link.driver]
        hd = min(len(st.central), d.h)
        rel, rd = self.rel_of(link.driver, st)
        ra, rda = self._aligned_rel(d, hd, s, h, rel[:hd], rd[:, :hd])
        central = s.mean[:h] * ra
        ch = [f"same % deviation as {link.driver} ({link.conversion or 'price-basis conversion'})"]
        return Transmitted(central, self.bdraw(t)[:, :h] * rda, ch, parts=self._parts_scaled(st, central))

    # ---- units --------------------------------------------------------------------------------------
    def project_unit(self, u: int) -> None:
        """Every member's state in one tree. Work is on the unit's calendar grid (``Unit.periods``):
        each member's own periods are placed on it (``to_grid``) and read back (``of_member``), so a
        difference in 2027 lands in every member's 2027, whichever step that is for it."""
        idx, plan = self.index, self.plan
        unit = idx.units[u]
        h, n_l, n = unit.h, len(unit.leaves), self.n
        paths = [t for t in unit.ids if t in plan.paths]
        shocks = [t for t in unit.ids if t in plan.shocks]
        anchors: list[tuple[str, Transmitted]] = []
        for t in unit.ids:
            if t in plan.paths or not len(unit.cols[t]):
                continue
            tr = self.transmitted(t, len(unit.cols[t]))
            if tr is not None:
                anchors.append((t, tr))
        if not anchors and not paths and not shocks:
            return
        central = np.zeros((n_l, h))
        draws = np.zeros((n, n_l, h))
        uncertain = False
        parts: dict[str, np.ndarray] = {}
        notes: dict[str, list[str]] = {s: [] for s in unit.ids}
        accounting: dict[str, dict[str, Any]] = {}
        anchors.sort(key=lambda a: -len(unit.under[a[0]]))
        covered: list[tuple[str, set[int]]] = []
        for t, tr in anchors:
            sub = set(unit.under[t].tolist())
            owner = next((o for o, cov in covered if sub <= cov), None)
            if owner is not None:
                notes[t].append(
                    f"its own link ({'; '.join(tr.channels)}) is overridden: it moves with its share of {owner}"
                )
                continue
            covered.append((t, sub))
            leaf_idx = unit.under[t]
            wc, wd, how = self._allocation(unit, t, h)
            tc = unit.to_grid(t, tr.central)
            central[leaf_idx] = wc * tc[None, :]
            if tr.draws is not None or wd is not None:
                uncertain = True
                td = unit.to_grid(t, tr.draws) if tr.draws is not None else np.broadcast_to(tc, (n, h))
                ww = wd if wd is not None else np.broadcast_to(wc, (n, *wc.shape))
                draws[:, leaf_idx, :] = ww * td[:, None, :]
            else:
                draws[:, leaf_idx, :] = wc[None] * tc[None, None, :]
            for label, pc in tr.parts.items():
                arr = parts.setdefault(label, np.zeros((n_l, h)))
                arr[leaf_idx] = wc * unit.to_grid(t, pc)[None, :]
            if tr.accounting is not None:
                accounting[t] = tr.accounting
            self._mark(unit, t, notes, tr.channels, how)
        for t in sorted(paths, key=lambda t: -len(unit.under[t])):
            p = plan.paths[t]
            leaf_idx = unit.under[t]
            sh = _shares(unit.B[leaf_idx])
            s = idx.series[t]
            k = len(unit.cols[t])
            c = unit.to_grid(t, s.mean[:k] * p.rel[:k])
            central[leaf_idx] = sh * c[None, :]
            d = unit.to_grid(t, p.rel[:k][None, :] * self.bdraw(t)[:, :k])
            draws[:, leaf_idx, :] = sh[None] * d[:, None, :]
            uncertain = True
            for arr in parts.values():
                arr[leaf_idx] = 0.0
            parts.setdefault(p.label, np.zeros((n_l, h)))[leaf_idx] = sh * c[None, :]
            self._mark(unit, t, notes, [f"scenario path changes[{p.change}] ({p.kind})"], "baseline shares")
        placed = np.zeros((n_l, h))
        for t in shocks:
            leaf_idx = unit.under[t]
            sh = _shares(unit.B[leaf_idx])
            for shock in plan.shocks[t]:
                add = sh * unit.to_grid(t, shock.delta)[None, :]
                central[leaf_idx] += add
                placed[leaf_idx] += add
                draws[:, leaf_idx, :] += add[None]
                parts.setdefault(shock.label, np.zeros((n_l, h)))[leaf_idx] += add
                self._mark(unit, t, notes, [shock.label], "baseline shares")
        for m in unit.ids:
            if not len(unit.cols[m]):  # none of its periods on the tree's grid: it keeps its baseline
                continue
            li = unit.under[m]
            c = unit.of_member(m, central[li].sum(axis=0))
            d = unit.of_member(m, draws[:, li, :].sum(axis=1)) if uncertain else None
            pm = {k: unit.of_member(m, v[li].sum(axis=0)) for k, v in parts.items()}
            pm = {k: v for k, v in pm.items() if np.any(v)}
            pl = unit.of_member(m, placed[li].sum(axis=0))
            st = State(
                c,
                d,
                list(dict.fromkeys(notes[m])),
                parts=pm,
                accounting=accounting.get(m),
                placed=pl if np.any(pl) else None,
            )
            self.states[m] = st

    def _allocation(self, unit: Unit, anchor: str, h: int) -> tuple[np.ndarray, np.ndarray | None, str]:
        """Weights that share ``anchor``'s difference among its bottom series: central (len, h) and draws
        (n, len, h) (None when the weights are certain), and how they were made."""
        leaf_idx = unit.under[anchor]
        if len(leaf_idx) == 1 and unit.leaves[leaf_idx[0]] == anchor:
            return np.ones((1, h)), None, "itself"
        n = self.n
        pos = {int(j): k for k, j in enumerate(leaf_idx.tolist())}
        leaf_at = {leaf: i for i, leaf in enumerate(unit.leaves)}
        wc = np.zeros((len(leaf_idx), h))
        wd = np.zeros((n, len(leaf_idx), h))
        used_exposure, used_shares = False, False
        stack: list[tuple[str, np.ndarray, np.ndarray]] = [(anchor, np.ones(h), np.ones((n, h)))]
        while stack:
            node, c, d = stack.pop()
            kids = unit.children.get(node)
            if not kids:
                j = pos[leaf_at[node]]
                wc[j] += c
                wd[:, j] += d
                continue
            exp = [unit.exposures.get((node, k)) for k in kids]
            b = np.vstack([unit.B[unit.under[k]].sum(axis=0) for k in kids])
            if all(e is not None for e in exp):
                used_exposure = True
                cw, dw = _exposure_weights(exp, rng_for(self.seed, "exposure", node), n, h)
                for i, k in enumerate(kids):
                    stack.append((k, c * cw[i], d * dw[:, i, :]))
            else:
                used_shares = True
                sh = _shares(b)
                for i, k in enumerate(kids):
                    stack.append((k, c * sh[i], d * sh[i][None, :]))
        how = "estimated exposures" if used_exposure and not used_shares else "baseline shares"
        if used_exposure and used_shares:
            how = "estimated exposures (level shares where an exposure is missing)"
        return wc, (wd if used_exposure else None), how

    def _mark(self, unit: Unit, t: str, notes: dict[str, list[str]], ch: list[str], how: str) -> None:
        """Explain to every series of the tree how the difference at ``t`` reached it."""
        sub = set(unit.under[t].tolist())
        reach, todo = {t}, [t]
        while todo:
            for k in unit.children.get(todo.pop(), ()):
                if k not in reach:
                    reach.add(k)
                    todo.append(k)
        for s in unit.ids:
            if s == t:
                notes[s].extend(ch)
                continue
            mine = set(unit.under[s].tolist())
            if mine <= sub:
                ex = ""
                if how.startswith("estimated") and s in reach:
                    parent = next((p for p, ks in unit.children.items() if s in ks and p in reach), None)
                    e = unit.exposures.get((parent, s)) if parent is not None else None
                    if e is not None:
                        ex = f" (exposure {e.share:.4f} of {parent}'s changes, se {e.se:.2g})"
                notes[s].append(f"share of {t}'s difference by {how}{ex}: {'; '.join(ch)}")
            elif sub <= mine:
                notes[s].append(f"sum includes {t} ({'; '.join(ch)})")


def propagate(index: BundleIndex, plan: Plan, *, seed: int, n_draws: int) -> Propagation:
    """Every needed unit's states, in dependency order (see the module docstring)."""
    ctx = _Context(index, plan, seed, n_draws)
    need = index.needed({index.unit_of[s] for s in plan.wanted})
    for node in index.order:
        if node not in need:
            continue
        if node == MACRO:
            ctx.conditioning.run()
        else:
            ctx.project_unit(node)
    return Propagation(
        ctx.states, ctx.conditioning.outcome, ctx.rate_rel, n_draws, accounting=ctx.conditioning.accounting()
    )


# ---- helpers -----------------------------------------------------------------------------------------
def _exposure_weights(exp: list, rng: np.random.Generator, n: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Children's shares of a parent's difference: central (nk, h) and draws (n, nk, h).

    Every exposure is its shrunk estimate (no significance gate), drawn with its se; each draw is
    renormalised to sum to one so the children add up to the parent."""
    nk = len(exp)
    s = np.array([e.share for e in exp])
    se = np.array([e.se for e in exp])
    z = s[None, :] + se[None, :] * rng.standard_normal((n, nk))
    z = z + (1 - z.sum(axis=1, keepdims=True)) * (s / s.sum())[None, :]
    cw = np.repeat((s / s.sum())[:, None], h, axis=1)
    return cw, np.repeat(z[:, :, None], h, axis=2)


def _overlap(d: SeriesData, hd: int, s: SeriesData, h: int, accumulate: bool) -> np.ndarray:
    """(h, hd) weights taking a driver's per-period values onto a target's periods: identity for the same
    periods; sums (flows) or means (levels) of the driver periods inside each target period."""
    if d.frequency == s.frequency:
        pos = {p: j for j, p in enumerate(d.periods[:hd])}
        w = np.zeros((h, hd))
        for k, p in enumerate(s.periods[:h]):
            if p in pos:
                w[k, pos[p]] = 1.0
        return w
    d0, d1 = d.starts[:hd], period_end(d.starts[:hd], d.frequency)
    t0, t1 = s.starts[:h], period_end(s.starts[:h], s.frequency)
    w = ((d0[None, :] >= t0[:, None]) & (d1[None, :] <= t1[:, None])).astype(float)
    if not accumulate:
        tot = w.sum(axis=1, keepdims=True)
        w = np.divide(w, tot, out=np.zeros_like(w), where=tot > 0)
    return w


def _shares(B: np.ndarray) -> np.ndarray:
    """Baseline shares of rows per period; |B| shares or equal shares when B is not positive."""
    if B.shape[0] == 1:
        return np.ones_like(B)
    tot = B.sum(axis=0)
    ok = np.all(B >= 0, axis=0) & (tot > TINY)
    absB = np.abs(B)
    atot = absB.sum(axis=0)
    eq = np.full_like(B, 1.0 / B.shape[0])
    alt = np.divide(absB, atot, out=eq.copy(), where=atot > TINY)
    return np.where(ok, np.divide(B, np.where(tot > TINY, tot, 1.0)), alt)


__all__ = ["Propagation", "State", "align_matrix", "propagate"]
