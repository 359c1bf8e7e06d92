"""Link transmission: the difference a scenario's driver moves into a target through the target's link.

Forms (step 2 of ``propagate``'s docstring): ``stock_flow`` the cumulated difference of the converted
flow, F_s / rate_s - F_b / rate_b (the rest of the stock's change stays at baseline, so a temporary fall
leaves a persistent gap); ``level`` b x the driver's difference (converted); ``log`` baseline x
((1 + r)^e - 1) (``share`` with e = 1); ``conversion`` the driver's % deviation; ``macro`` outputs are
the macro block's conditional response. Why apart from the trees (``trees``): this is one series moved
by one other, per draw; where the difference goes inside a summing tree is the trees' business.
"""

from __future__ import annotations

import numpy as np

from forecasting.scenarios.conditioning import MacroConditioning, basis_note
from forecasting.scenarios.index import LinkSpec, SeriesData
from forecasting.scenarios.inputs import ProjectionInputs
from forecasting.scenarios.state import State, Transmitted, align_matrix, fractions
from forecasting.vocabulary import period_end

ESTIMATED_FORMS = ("level", "log", "share")


class LinkTransmission:
    """The transmitted difference of each linked target, from the states its drivers already have."""

    def __init__(self, inputs: ProjectionInputs, conditioning: MacroConditioning) -> None:
        self.index, self.plan, self.n, self.states = inputs.index, inputs.plan, inputs.n, inputs.states
        self.rate_rel = inputs.rate_rel
        self.bdraw, self.coef_draws = inputs.bdraw, inputs.coef_draws
        self.rel_of, self.rates = inputs.rel_of, inputs.rates
        self.conditioning = conditioning
        self.shock_labels = {sh.label for v in inputs.plan.shocks.values() for sh in v}

    def transmitted(self, t: str, h: int) -> Transmitted | None:
        """``t``'s difference over ``h`` periods through its link; None when nothing moves it."""
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

    def _driver_change(
        self, t: str, h: int, link: LinkSpec, st: State
    ) -> tuple[SeriesData, np.ndarray, np.ndarray]:
        """The target's data and its driver's relative change (central, draws) on the target's periods."""
        idx = self.index
        s, d = idx.series[t], idx.series[link.driver]
        hd = min(len(st.central), d.h)
        rel, rd = self.rel_of(link.driver, st)
        ra, rda = self._aligned_rel(d, hd, s, h, rel[:hd], rd[:, :hd])
        return s, ra, rda

    def _log(self, t: str, h: int, link: LinkSpec, st: State) -> Transmitted:
        s, ra, rda = self._driver_change(t, h, link, st)
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
        s, ra, rda = self._driver_change(t, h, link, st)
        central = s.mean[:h] * ra
        ch = [f"same % deviation as {link.driver} ({link.conversion or 'price-basis conversion'})"]
        return Transmitted(central, self.bdraw(t)[:, :h] * rda, ch, parts=self._parts_scaled(st, central))


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
