"""Transmission links: how target series respond to drivers, estimated on history at training time.

The result is the bundle's ``transmission`` table, one row per (target, driver) link:

=============  ==============================================================================
target_id      the series that responds
driver_id      the series it responds to (a scenario driver, an upstream target, or a parent area)
form           how projections apply the link (below)
coefficient    what projections multiply; ``se``, ``ci_lo``, ``ci_hi`` are its (95%, normal or t)
elasticity     the implied elasticity at the sample means (comparable across forms)
own_coefficient, own_se   the link's own estimate before shrinkage
weight         the weight on its own data, tau^2 / (tau^2 + se^2): near 0, the link is its prior (a
               pooled value or zero) and says so; 1, its own estimate. No link is dropped or kept by a
               significance test: projections apply every used link's effective coefficient, and draw
               it with its se
model          the estimator; ``refused`` rows say why two series are *not* linked
n_obs          observations the estimate used
used           True for the links projections apply
conversion     how units were reconciled ("" when they already agree)
pooled         how the estimate borrowed strength from comparable series ("" when it did not)
note           the estimate in words, with the robustness checks
=============  ==============================================================================

Forms (why each, in the order they are tried):

* ``stock_flow`` -- a position accumulates its flow: position_t = position_{t-1} + flow_t + other
  changes_t. Coefficient 1 by accounting; the flow (WDI net inflows, US$) is converted to GBP at the
  period's mean US$/GBP rate (``forecasting.units``) and to the position's scale. The regression of the
  change in position on the flow is reported as a check. The other changes (valuation, write-offs) are
  left at their baseline, so a temporary fall in flows leaves a persistent gap in the stock.
* ``level`` -- pass-through of World FDI flows into an economy's flows, in one currency (both converted
  to GBP): flow_i = a + b World_t + e, Newey-West (HAC) standard errors. Single economies are noisy
  (UK: b 0.04, se 0.013), so b is pooled across the economies with shrinkage toward each one's share
  of World flows (``pool_toward_prior``). Changes in annual differences are reported as a robustness check.
* ``exposure`` -- how a child area's stock moves with its parent's: the child's share of the parent's
  changes, change_child = a + s change_parent + e, pooled across the areas of the same level with
  shrinkage toward the child's share of the parent's level ("toward the UK": a region with no evidence
  of its own moves like the UK). Shares are normalised to sum to one within each parent so projections
  add up. Between trees (a combined authority and its region) the same estimate is a ``level`` link.
* ``conversion`` -- the same concept in another price basis (business investment at current prices vs
  chained volume): same % deviation, prices held at their baseline.
* ``macro`` -- rows describing the macro block (``forecasting.training.macro``): the responses of
  business investment to a conditioning driver, with their posterior se.
* ``log`` -- the remaining targets (cluster employment, project counts ...): OLS on annual
  log-differences (differences at the means when a series has zero or negative values), candidate
  drivers from the target's family, then shrunk (empirical Bayes): each area's elasticity toward its
  cluster's mean, cluster means toward zero, with the spreads estimated across areas and clusters
  (``forecasting.statistics.shrink_hierarchical``). Synthetic series are never used. Regression with
  ARIMA errors in log levels is not used: on synthetic data with a known elasticity its Hessian intervals
  covered the truth in 26 of 60 samples (OLS on log-differences: 60 of 60).

Nothing links series of different units without converting: ``level``/``stock_flow``/``exposure`` links
need ``units.compatible`` measures or a conversion (US$ -> GBP with the published rates, scale);
elasticities are unit-free in scale but not in currency (converted) or price basis (refused).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.errors import NotFound
from forecasting.reference.measures import Measure, get_measure
from forecasting.registry.schema import TRANSMISSION_COLUMNS
from forecasting.statistics import hac_lags, mean_se, ols_slope, pool_toward_prior, shrink_hierarchical
from forecasting.training.drivers import STOCK_FLOW, WORLD_FLOWS, annual, family, may_drive
from forecasting.units import RateTable, compatible, usd_to_gbp
from forecasting.vocabulary import parse_series_id, series_id

Z95 = float(stats.norm.ppf(0.975))
# The prior spread of an elasticity when fewer than three like links say how much they differ: most
# elasticities of activity to activity lie within +-1, so a prior sd of 0.5 around zero.
ELASTICITY_PRIOR_SD = 0.5
# Geography levels of single economies (pooled); aggregates (EU, income groups) overlap and are not.
ECONOMY_LEVELS = ("country", "uk")


@dataclass(frozen=True)
class Link:
    """One (target, driver) link: its effective (shrunk) coefficient and se, and its own estimate."""

    target_id: str
    driver_id: str
    form: str
    coefficient: float
    se: float
    model: str
    n_obs: int
    note: str
    elasticity: float | None = None
    used: bool = False
    conversion: str = ""
    pooled: str = ""
    dof: int | None = None  # Student t degrees of freedom for the interval; None: normal
    identity: bool = False  # exact by accounting (no uncertainty at all)
    ci: tuple[float, float] | None = None  # an interval from draws (macro block), else +- t se
    own: tuple[float, float] | None = None  # the link's own estimate and se before shrinkage
    weight: float = 1.0  # weight on its own data: tau^2 / (tau^2 + se^2) (1: not shrunk, 0: the prior)

    @property
    def interval(self) -> tuple[float, float]:
        if self.ci is not None:
            return self.ci
        half = self.half_width
        return self.coefficient - half, self.coefficient + half

    @property
    def half_width(self) -> float:
        if self.identity or not self.se > 0:
            return 0.0
        crit = float(stats.t.ppf(0.975, self.dof)) if self.dof else Z95
        return crit * self.se

    def row(self) -> dict[str, object]:
        lo, hi = self.interval
        own_b, own_se = self.own if self.own is not None else (self.coefficient, self.se)
        return {
            "target_id": self.target_id,
            "driver_id": self.driver_id,
            "elasticity": float(self.coefficient if self.elasticity is None else self.elasticity),
            "se": float(self.se),
            "ci_lo": float(lo),
            "ci_hi": float(hi),
            "model": self.model,
            "n_obs": int(self.n_obs),
            "used": bool(self.used),
            "note": self.note,
            "form": self.form,
            "coefficient": float(self.coefficient),
            "conversion": self.conversion,
            "pooled": self.pooled,
            "own_coefficient": float(own_b),
            "own_se": float(own_se),
            "weight": float(self.weight),
        }


# ---- histories and units ----------------------------------------------------------------------------
class _Histories:
    """Annual histories by series id; an aggregate absent from the panel is summed from a full partition."""

    def __init__(self, panel: pd.DataFrame) -> None:
        ann = annual(panel)
        ann = ann.drop_duplicates(["series_id", "year"], keep="last")
        years, values = ann["year"].to_numpy(), ann["value"].to_numpy(dtype=float)
        self.by_id = {
            sid: pd.Series(values[rows], index=pd.Index(years[rows], name="year"), name="value")
            for sid, rows in ann.groupby("series_id").indices.items()
        }
        self._partitions: dict[str, list[str]] | None = None

    def get(self, sid: str, depth: int = 0) -> pd.Series | None:
        if sid in self.by_id or depth > 6:
            return self.by_id.get(sid)
        measure, geo, cluster, freq = parse_series_id(sid)
        if self._partitions is None:
            from forecasting.reference.geography import load_geography

            self._partitions = load_geography().partitions()
        kids = self._partitions.get(geo)
        if not kids:
            return None
        parts = [self.get(series_id(measure, k, cluster, freq), depth + 1) for k in kids]
        if any(p is None for p in parts):
            return None
        total = pd.concat(parts, axis=1, join="inner").sum(axis=1)
        self.by_id[sid] = total
        return total


def _measure(name: str) -> Measure | None:
    try:
        return get_measure(name)
    except NotFound:
        return None


def _in_gbp(values: pd.Series, rates: RateTable) -> pd.Series:
    """Annual US$ values (indexed by year) in GBP at each year's mean rate; years without a rate drop."""
    have = set(pd.DatetimeIndex(rates.usd_per_gbp("A").index).year)
    v = values[[y in have for y in values.index]]
    periods = [pd.Timestamp(int(y), 1, 1) for y in v.index]
    return pd.Series(np.asarray(usd_to_gbp(v.to_numpy(), periods, rates.usd_per_gbp("A"))), index=v.index)


@dataclass(frozen=True)
class _Units:
    """How a driver's values are put in the target's units before estimating a level-type link."""

    ok: bool
    to_gbp: bool = False
    scale: float = 1.0  # multiply the driver (after currency conversion) by this
    text: str = ""


def level_units(target: str, driver: str, rates: RateTable | None) -> _Units:
    """Same units (possibly rescaled), US$ -> GBP with the published rates, or refused with the reason."""
    tm, dm = _measure(parse_series_id(target).measure), _measure(parse_series_id(driver).measure)
    if tm is None or dm is None:
        return _Units(True, text="")  # measures outside the registry (test data): taken as they come
    ok, why = compatible(dm, tm)
    if ok:
        return _Units(True)
    if dm.price_basis != tm.price_basis or dm.base_year != tm.base_year:
        return _Units(False, text=f"refused: {why}")
    if tm.currency is None or dm.currency is None:
        return _Units(False, text=f"refused: {why}")
    scale = dm.scale / tm.scale
    if dm.currency == tm.currency:
        return _Units(True, scale=scale, text=f"rescaled x{scale:g} ({dm.unit} -> {tm.unit})")
    if dm.currency == "USD" and tm.currency == "GBP":
        if rates is None:
            return _Units(False, text=f"refused: {why}; no US$/GBP rates in this training run")
        text = "US$ -> GBP at each year's mean US$ per GBP (FRED EXUSUK; WDI FCRF where FRED has no year)"
        if scale != 1:
            text += f", x{scale:g} ({dm.unit} -> {tm.unit})"
        return _Units(True, to_gbp=True, scale=scale, text=text)
    return _Units(False, text=f"refused: {why} (only US$ -> GBP is converted)")


def log_units(target: str, driver: str, rates: RateTable | None) -> _Units:
    """An elasticity is unit-free in scale, not in currency (converted) or price basis (refused)."""
    tm, dm = _measure(parse_series_id(target).measure), _measure(parse_series_id(driver).measure)
    if tm is None or dm is None or tm.currency is None or dm.currency is None:
        return _Units(True)
    if tm.price_basis != dm.price_basis:
        return _Units(
            False,
            text=(
                f"refused: {dm.name} is {dm.price_basis} and {tm.name} {tm.price_basis}: an elasticity "
                "between them mixes in inflation"
            ),
        )
    if tm.currency == dm.currency:
        return _Units(True)
    if dm.currency == "USD" and tm.currency == "GBP" and rates is not None:
        return _Units(True, to_gbp=True, text="driver in GBP (US$ at each year's mean US$ per GBP)")
    return _Units(False, text=f"refused: {dm.currency} driver for a {tm.currency} target and no rates")


def _convert(x: pd.Series, u: _Units, rates: RateTable | None) -> pd.Series:
    if u.to_gbp and rates is not None:
        x = _in_gbp(x, rates)
    return x * u.scale


def _pair(y: pd.Series, x: pd.Series) -> pd.DataFrame:
    """The periods both series observe, in order, as columns y and x (numpy: called for thousands of pairs)."""
    common, iy, ix = np.intersect1d(y.index.to_numpy(), x.index.to_numpy(), return_indices=True)
    yv, xv = y.to_numpy(dtype=float)[iy], x.to_numpy(dtype=float)[ix]
    ok = np.isfinite(yv) & np.isfinite(xv)
    return pd.DataFrame({"y": yv[ok], "x": xv[ok]}, index=pd.Index(common[ok], name=y.index.name))


def _consecutive_diffs(df: pd.DataFrame) -> np.ndarray:
    years = df.index.to_numpy()
    return np.diff(df.to_numpy(), axis=0)[np.diff(years) == 1]


# ---- modelled areas -----------------------------------------------------------------------------------
def _ancestors(geography: str) -> list[str]:
    from forecasting.reference.geography import load_geography

    try:
        return load_geography().ancestors(geography)
    except KeyError:
        return []


def _level(geography: str) -> str:
    from forecasting.reference.geography import load_geography

    try:
        return load_geography().level(geography)
    except (KeyError, NotFound):
        return "unknown"


def share_parent(target: str, modelled: set[str]) -> str | None:
    """The nearest ancestor area's series of the same measure, cluster and frequency that is modelled."""
    measure, geo, cluster, freq = parse_series_id(target)
    for anc in _ancestors(geo):
        sid = series_id(measure, anc, cluster, freq)
        if sid in modelled:
            return sid
    return None


def partition_edges(modelled: set[str]) -> pd.DataFrame:
    """Parent -> child edges among ``modelled`` where every child of a geography partition is modelled."""
    from forecasting.reference.geography import load_geography

    parts = load_geography().partitions()
    rows = []
    for sid in sorted(modelled):
        m, g, c, f = parse_series_id(sid)
        kids = [series_id(m, k, c, f) for k in parts.get(g, [])]
        if kids and all(k in modelled for k in kids):
            rows += [(sid, k) for k in kids]
    return pd.DataFrame(rows, columns=["parent_id", "child_id"])


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


def _identity_residuals(t: str, flow: str, hist: _Histories, rates: RateTable | None) -> pd.Series | None:
    """Change in position minus the converted flow, by year: what the identity leaves to other changes."""
    u = level_units(t, flow, rates)
    y, x = hist.get(t), hist.get(flow)
    if not u.ok or y is None or x is None:
        return None
    df = _pair(y.diff().dropna(), _convert(x, u, rates))
    return df["y"] - df["x"]


def _choose_flow(
    t: str, cands: list[tuple[str, str]], hist: _Histories, rates: RateTable | None, min_obs: int
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
    targets: Sequence[str], modelled: set[str], hist: _Histories, rates: RateTable | None, min_obs: int
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
            xf = _convert(x, u, rates)
            df = _pair(y.diff().dropna(), xf)
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


def passthrough_links(
    targets: Sequence[str], world: str, hist: _Histories, rates: RateTable | None, min_obs: int
) -> list[Link]:
    """Economies' flows on World flows in GBP levels (HAC se), pooled across economies toward their share."""
    w = hist.get(world)
    if w is None:
        return []
    u = level_units(targets[0], world, rates) if targets else _Units(True)
    if not u.ok:
        return [Link(t, world, "level", 0.0, 0.0, "refused", 0, u.text, conversion=u.text) for t in targets]
    in_gbp = rates is not None
    wg = (_in_gbp(w, rates) if in_gbp else w) * u.scale  # World in the targets' unit (US$ -> US$ million)
    est: list[tuple[str, float, float, float, int, str, float]] = []
    for t in targets:
        y = hist.get(t)
        if y is None:
            continue
        df = _pair(_in_gbp(y, rates) if in_gbp else y, wg)
        years = df.index.to_numpy()
        if len(df) < max(min_obs, 8) or not (np.diff(years) == 1).all():
            continue
        fit = ols_slope(df["y"].to_numpy(), df["x"].to_numpy(), hac_lags(len(df)))
        if fit is None or abs(df["x"].mean()) < 1e-12:
            continue
        share = float(df["y"].mean() / df["x"].mean())
        share_se = mean_se((df["y"] / df["x"]).to_numpy()) if (df["x"] > 0).all() else float("nan")
        d = _consecutive_diffs(df)
        dfit = ols_slope(d[:, 0], d[:, 1]) if len(d) >= 3 else None
        robust = f"; in annual differences {dfit[0]:.3f} (se {dfit[1]:.3f})" if dfit else ""
        est.append(
            (t, fit[0], fit[1], share, len(df), robust, float(df["x"].mean() / df["y"].mean()), share_se)
        )
    if not est:
        return []
    lv = np.array([_level(parse_series_id(e[0]).geography) in ECONOMY_LEVELS for e in est])
    b = np.array([e[1] for e in est])
    se = np.array([e[2] for e in est])
    prior = np.array([e[3] for e in est])
    prior_se = np.array([e[7] for e in est])
    post_b, post_se, tau, k = b.copy(), se.copy(), float("nan"), 0
    weight = np.ones(len(b))
    if lv.sum() >= 3:
        pooled = pool_toward_prior(b[lv], se[lv], prior[lv], prior_se[lv])
        post_b[lv], post_se[lv], tau, k = pooled.estimate, pooled.se, pooled.tau, pooled.k
        weight[lv] = pooled.weight
    cur = "GBP (both converted at each year's mean US$ per GBP)" if in_gbp else "US$ (no rates)"
    out = []
    for i, (t, bi, sei, share, n, robust, ratio, share_se) in enumerate(est):
        note = (
            f"World -> flows pass-through in {cur}: flow = a + b World, HAC se; own estimate "
            f"{bi:.4f} (se {sei:.4f}, n {n}){robust}"
        )
        if lv[i] and k:
            pooled_text = (
                f"pooled across {k} economies with shrinkage toward its share of World flows ({share:.4f}, "
                f"se {share_se:.4f}), relative heterogeneity tau {tau:.2f}"
            )
        else:
            pooled_text = (
                "not pooled ("
                + ("an aggregate of economies" if not lv[i] else "fewer than three economies")
                + ")"
            )
        out.append(
            Link(
                t,
                world,
                "level",
                float(post_b[i]),
                float(post_se[i]),
                "pooled_levels_hac" if lv[i] and k else "levels_hac",
                n,
                note,
                elasticity=float(post_b[i]) * ratio,
                used=True,
                conversion=("same currency (US$); estimated in GBP" if in_gbp else "")
                + (f"; World {u.text}" if u.text else ""),
                pooled=pooled_text,
                own=(float(bi), float(sei)),
                weight=float(weight[i]),
            )
        )
    return out


def exposure_links(
    pairs: Sequence[tuple[str, str]], in_tree: set[tuple[str, str]], hist: _Histories, min_obs: int
) -> list[Link]:
    """Children's shares of their parent's changes, pooled per (measure, cluster, child level).

    ``pairs`` are (child, parent); those in ``in_tree`` (hierarchy edges) are normalised within each
    parent so the projections add up; the others become ``level`` links (a child outside its parent's
    tree, e.g. a combined authority and its region).
    """
    rows: list[dict[str, object]] = []
    for child, parent in pairs:
        y, x = hist.get(child), hist.get(parent)
        if y is None or x is None:
            continue
        df = _pair(y, x)
        if len(df) < 3 or abs(df["x"].mean()) < 1e-12:
            continue
        prior = float(df["y"].mean() / df["x"].mean())
        prior_se = mean_se((df["y"] / df["x"]).to_numpy()) if (df["x"] > 0).all() else float("nan")
        d = _consecutive_diffs(df)
        fit = ols_slope(d[:, 0], d[:, 1]) if len(d) >= min_obs else None
        m, g, c, _ = parse_series_id(child)
        rows.append(
            {
                "child": child,
                "parent": parent,
                "b": fit[0] if fit else np.nan,
                "se": fit[1] if fit else np.nan,
                "prior": prior,
                "prior_se": prior_se,
                "n": len(d),
                "group": (m, c, _level(g)),
            }
        )
    if not rows:
        return []
    tab = pd.DataFrame(rows)
    parts = []
    for _, g in tab.groupby("group", sort=False):
        pooled = pool_toward_prior(
            g["b"].to_numpy(), g["se"].to_numpy(), g["prior"].to_numpy(), g["prior_se"].to_numpy()
        )
        parts.append(
            g.assign(
                post=pooled.estimate, post_se=pooled.se, tau=pooled.tau, k=pooled.k, weight=pooled.weight
            )
        )
    tab = pd.concat(parts).sort_index()
    out: list[Link] = []
    tree = tab[[(r.child, r.parent) in in_tree for r in tab.itertuples()]]
    for _, g in tree.groupby("parent", sort=True):
        total = float(g["post"].sum())
        if not total > 0:
            continue  # the projections share this parent's change by baseline shares instead
        for r in g.itertuples():
            out.append(_exposure_link(r, "exposure", r.post / total, r.post_se / total))
    for r in tab[[(r.child, r.parent) not in in_tree for r in tab.itertuples()]].itertuples():
        out.append(_exposure_link(r, "level", r.post, r.post_se))
    return out


def _exposure_link(r: object, form: str, coef: float, se: float) -> Link:
    own = (
        f"own estimate {r.b:.4f} (se {r.se:.4f}, n {r.n})"
        if np.isfinite(r.b)
        else f"no estimate of its own (n {r.n})"
    )
    pooled = (
        f"shrunk toward its share of {parse_series_id(r.parent).geography}'s level ({r.prior:.4f}) across "
        f"{r.k} {r.group[2]} areas (relative heterogeneity tau {r.tau:.2f})"
    )
    note = (
        f"share of {r.parent}'s changes: change = a + s change(parent); {own}; relative exposure "
        f"{coef / r.prior if r.prior else float('nan'):.2f} x its share of the level"
    )
    if form == "exposure":
        note += "; normalised so the children of the parent add up"
    return Link(
        r.child,
        r.parent,
        form,
        float(coef),
        float(se),
        "pooled_exposure",
        int(r.n),
        note,
        elasticity=float(coef / r.prior) if r.prior else float(coef),
        used=True,
        pooled=pooled,
        own=(float(r.b), float(r.se)) if np.isfinite(r.b) else None,
        weight=float(r.weight),
    )


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


def _fit_simple(y: pd.Series, x: pd.Series, min_obs: int) -> tuple[float, float, str, int, str] | None:
    """Log-difference OLS (both positive) or difference OLS with the elasticity at the sample means."""
    common, iy, ix = np.intersect1d(y.index.to_numpy(), x.index.to_numpy(), return_indices=True)
    yv, xv = y.to_numpy(dtype=float)[iy], x.to_numpy(dtype=float)[ix]
    ok = np.isfinite(yv) & np.isfinite(xv)
    years, both = common[ok], np.column_stack([yv[ok], xv[ok]])  # what ``_pair`` holds, as arrays
    consecutive = np.diff(years) == 1
    if (both > 0).all():  # thousands of pairs: numpy here, a frame only on the rare path below
        d = np.diff(np.log(both), axis=0)[consecutive]
        if len(d) < min_obs:
            return None
        fit = ols_slope(d[:, 0], d[:, 1])
        if fit is None:
            return None
        return fit[0], fit[1], "logdiff_ols", len(d), "OLS on annual log-differences"
    df = _pair(y, x)
    d = np.diff(df.to_numpy(), axis=0)[consecutive]
    my, mx = float(df["y"].mean()), float(df["x"].mean())
    if len(d) < min_obs or abs(my) < 1e-12 * max(abs(mx), 1.0) or my == 0:
        return None
    fit = ols_slope(d[:, 0], d[:, 1])
    if fit is None:
        return None
    k = mx / my
    return (
        fit[0] * k,
        abs(fit[1] * k),
        "diff_ols_at_means",
        len(d),
        "OLS on annual differences (zero/negative values), elasticity at the sample means",
    )


@dataclass
class _Candidate:
    link: Link
    same_family: bool
    y: pd.Series
    x: pd.Series


def _log_candidates(
    target: str, allowed: Sequence[str], hist: _Histories, rates: RateTable | None, min_obs: int
) -> tuple[list[_Candidate], list[Link]]:
    y = hist.get(target)
    if y is None:
        return [], []
    tm = parse_series_id(target)
    fam = family(tm.measure)
    cands: list[_Candidate] = []
    refused: list[Link] = []
    for d in allowed:
        dm = parse_series_id(d).measure
        ok, why = may_drive(dm, tm.measure)
        if not ok:
            refused.append(Link(target, d, "log", 0.0, 0.0, "refused", 0, f"refused: {why}"))
            continue
        u = log_units(target, d, rates)
        if not u.ok:
            refused.append(Link(target, d, "log", 0.0, 0.0, "refused", 0, u.text, conversion=u.text))
            continue
        x = hist.get(d)
        if x is None:
            continue
        xc = _convert(x, u, rates)
        got = _fit_simple(y, xc, min_obs)
        if got is None:
            continue
        b, se, model, n, note = got
        same = fam is not None and family(dm) == fam
        link = Link(
            target,
            d,
            "log",
            b,
            se,
            model,
            n,
            note + (" [driver family]" if same else ""),
            conversion=u.text,
            dof=max(n - 2, 1),
        )
        cands.append(_Candidate(link, same, y, xc))
    return cands, refused


def _pool_log(cands: list[_Candidate]) -> list[_Candidate]:
    """Every elasticity shrunk toward its cluster's mean, cluster means toward zero (empirical Bayes).

    Like links are one driver's elasticities of one measure: areas within a cluster share a cluster mean
    (its se never below that of the regression on the cluster's total: the areas share their years), and
    cluster means are shrunk toward zero across clusters. A link on a handful of noisy points keeps a
    weight near zero on its own data; nothing is dropped or kept by a significance test."""
    by_like: dict[tuple[str, str], list[_Candidate]] = {}
    for c in cands:
        by_like.setdefault((parse_series_id(c.link.target_id).measure, c.link.driver_id), []).append(c)
    out = {id(c): c for c in cands}
    for (measure, _driver), members in by_like.items():
        b = np.array([c.link.coefficient for c in members])
        # a t with few degrees of freedom has variance dof / (dof - 2) times its se^2: on 5 log-differences
        # (n = 6 years) that is 3, so a handful of points weighs what it is worth in the normal model
        dof = np.array([max(c.link.n_obs - 2, 3) for c in members], dtype=float)
        se = np.array([c.link.se for c in members]) * np.sqrt(dof / (dof - 2))
        clusters = [parse_series_id(c.link.target_id).cluster for c in members]
        floors: dict[object, float] = {}
        for cl in set(clusters):
            grp = [c for c, k in zip(members, clusters, strict=True) if k == cl]
            if len(grp) < 2:
                continue
            total = pd.concat([c.y for c in grp], axis=1, join="inner").sum(axis=1)
            agg = _fit_simple(total, grp[0].x, 3) if len(total) else None
            if agg is not None:
                floors[cl] = agg[1] * math.sqrt(max(agg[3] - 2, 3) / max(agg[3] - 4, 1))
        inner, top = shrink_hierarchical(b, se, clusters, group_se_floor=floors, tau_few=ELASTICITY_PRIOR_SD)
        for i, c in enumerate(members):
            g = top[clusters[i]]
            pooled = (
                f"shrunk toward its cluster's mean elasticity {float(inner.prior[i]):.3f} (se "
                f"{float(inner.prior_se[i]):.3f}; {g.k} areas of {measure}/{clusters[i]}, the cluster means "
                f"shrunk toward zero across {len(top)} clusters, tau {g.tau:.3f}); within-cluster tau "
                f"{inner.tau:.3f}; weight on its own estimate {float(inner.weight[i]):.2f}"
            )
            note = c.link.note + (
                f"; own estimate {c.link.coefficient:.3f} (se {c.link.se:.3f}, n {c.link.n_obs})"
                + (
                    "; too little evidence of its own: it moves with its cluster's (shrunk) mean"
                    if inner.weight[i] < 0.2
                    else ""
                )
            )
            out[id(c)] = replace(
                c,
                link=replace(
                    c.link,
                    coefficient=float(inner.estimate[i]),
                    se=float(inner.se[i]),
                    pooled=pooled,
                    note=note,
                    model=c.link.model + "_shrunk",
                    own=(c.link.coefficient, c.link.se),
                    weight=float(inner.weight[i]),
                    dof=None,
                ),
            )
    return [out[id(c)] for c in cands]


def _choose(cands: list[_Candidate], allowed: Sequence[str]) -> list[Link]:
    """Mark the link projections use: a driver of the target's family first, then the one whose own
    data carry the most weight (evidence, not significance or sign), then the upstream order."""
    if not cands:
        return []
    pool = [c for c in cands if c.same_family] or cands
    best = max(pool, key=lambda c: (round(c.link.weight, 6), -allowed.index(c.link.driver_id)))
    why = "in the driver family" if pool is not cands else "no family driver"
    why = f"the most evidence of its own (weight {best.link.weight:.2f}), {why}"
    return [
        replace(c.link, used=c is best, note=c.link.note + (f"; used: {why}" if c is best else ""))
        for c in cands
    ]


def estimate_transmission(
    panel: pd.DataFrame,
    catalogue: pd.DataFrame,
    drivers: list[str],
    targets: list[str],
    *,
    min_obs: int = 5,
    rates: RateTable | None = None,
    hierarchy: pd.DataFrame | None = None,
    macro_rows: list[dict[str, object]] | None = None,
) -> pd.DataFrame:
    """The bundle's ``transmission`` table (see the module docstring) for ``targets`` given ``drivers``.

    ``panel`` is the warehouse panel (series_id, measure, geography, cluster, frequency, period, value,
    ...); ``catalogue`` says which series are synthetic (demo partner data): no link is estimated on them
    (their targets get a ``refused`` row saying so and stay at baseline unless shocked). Drivers are listed
    upstream first: a
    driver that is also a target can only be explained by drivers before it, and only through an
    accounting link, a pass-through from World flows or the macro block (never by a regression on a
    shared trend). ``rates`` converts US$ to GBP; ``hierarchy`` (parent_id, child_id) says which areas sum
    to which (default: the geography partitions among the modelled series); ``macro_rows`` are the macro
    block's rows (``forecasting.training.macro.MacroOutcome.rows``).
    """
    synthetic = synthetic_ids(catalogue)
    hist = _Histories(panel[~panel["series_id"].isin(synthetic)]) if synthetic else _Histories(panel)
    drivers = list(dict.fromkeys(drivers))
    targets = list(dict.fromkeys(targets))
    modelled = set(targets) | set(drivers)
    edges = partition_edges(modelled) if hierarchy is None else hierarchy
    in_tree = {
        (str(c), str(p))
        for p, c in zip(edges.get("parent_id", []), edges.get("child_id", []), strict=True)
        if p in modelled and c in modelled
    }
    has_parent = {c for c, _ in in_tree}
    links: list[Link] = []
    covered: set[str] = set()

    def upstream(t: str) -> list[str]:
        return drivers[: drivers.index(t)] if t in drivers else [d for d in drivers if d != t]

    for link in macro_rows_as_links(macro_rows) if macro_rows else []:
        if link.target_id in modelled and link.driver_id in modelled:
            links.append(link)
            covered.add(link.target_id)
    got = stock_flow_links([t for t in targets if t not in covered], modelled, hist, rates, min_obs)
    links += got
    covered |= {k.target_id for k in got if k.used}
    if WORLD_FLOWS in modelled:
        wm = parse_series_id(WORLD_FLOWS).measure
        economies = [
            t
            for t in targets
            if t != WORLD_FLOWS
            and t not in covered
            and parse_series_id(t).measure == wm
            and parse_series_id(t).cluster == "all"
            and WORLD_FLOWS in upstream(t)
        ]
        got = passthrough_links(economies, WORLD_FLOWS, hist, rates, min_obs)
        links += got
        covered |= {k.target_id for k in got if k.used}
        # a position's flow on another basis (UNCTAD) chosen over WDI: World reaches it the same way
        other_basis = sorted(
            {
                k.driver_id
                for k in links
                if k.form == "stock_flow"
                and k.used
                and parse_series_id(k.driver_id).measure != wm
                and k.driver_id not in covered
                and k.driver_id not in drivers
            }
        )
        if other_basis:
            got = passthrough_links(other_basis, WORLD_FLOWS, hist, rates, min_obs)
            links += got
            covered |= {k.target_id for k in got if k.used}
    got = conversion_links([t for t in targets if t not in covered], modelled)
    links += got
    covered |= {k.target_id for k in got}
    # exposures: every hierarchy edge, plus each remaining area's nearest modelled ancestor outside its tree
    pairs = sorted(in_tree)
    for t in targets:
        if t in covered or t in has_parent or t in drivers:
            continue
        parent = share_parent(t, modelled)
        if parent is not None and (t not in drivers or parent in upstream(t)):
            pairs.append((t, parent))
    pairs = [(c, p) for c, p in pairs if c not in synthetic and p not in synthetic]
    got = exposure_links(pairs, in_tree, hist, min_obs)
    links += got
    covered |= {k.target_id for k in got if k.form == "level"} | has_parent
    cands: list[_Candidate] = []
    refused: list[Link] = []
    for t in targets:
        if t in covered or t in drivers:
            continue
        if t in synthetic:
            why = "refused: synthetic (demo) data; no link rests on it"
            refused += [Link(t, d, "log", 0.0, 0.0, "refused", 0, why) for d in upstream(t)[:1]]
            continue
        c, r = _log_candidates(t, [d for d in upstream(t) if d in set(drivers)], hist, rates, min_obs)
        cands += c
        refused += r
    cands = _pool_log(cands)
    by_target: dict[str, list[_Candidate]] = {}
    for c in cands:
        by_target.setdefault(c.link.target_id, []).append(c)
    for t, cs in by_target.items():
        links += _choose(cs, upstream(t))
    linked = {k.target_id for k in links if k.used}
    links += [k for k in refused if k.target_id not in linked]
    rows = [k.row() for k in links]
    return pd.DataFrame(rows, columns=list(TRANSMISSION_COLUMNS))


def synthetic_ids(catalogue: pd.DataFrame | None) -> set[str]:
    """Series the catalogue marks synthetic (``is_synthetic``, or a source named synthetic)."""
    if catalogue is None or len(catalogue) == 0 or "series_id" not in catalogue.columns:
        return set()
    flag = pd.Series(False, index=catalogue.index)
    if "is_synthetic" in catalogue.columns:
        flag |= catalogue["is_synthetic"].fillna(False).astype(bool)
    if "source" in catalogue.columns:
        flag |= catalogue["source"].astype(str).str.lower().str.contains("synthetic")
    return set(catalogue.loc[flag, "series_id"].astype(str))


def macro_rows_as_links(rows: list[dict[str, object]]) -> list[Link]:
    """The macro block's identification rows (``MacroOutcome.rows``) as table links."""
    out = []
    for r in rows:
        out.append(
            Link(
                str(r["target_id"]),
                str(r["driver_id"]),
                "macro",
                float(r["coefficient"]),
                float(r["se"]),
                str(r["model"]),
                int(r["n_obs"]),
                str(r["note"]),
                elasticity=float(r["coefficient"]),
                used=True,
                ci=(float(r["ci_lo"]), float(r["ci_hi"])),
            )
        )
    return out


def transmission_metrics(table: pd.DataFrame, *, per_link: bool = True) -> dict[str, float]:
    """Flat MLflow metrics: counts (used, refused), how much the links rest on their own data, and, per used
    cross-series link, the effective (shrunk) estimates."""
    if table is None or table.empty:
        return {"transmission.n_links": 0.0, "transmission.n_used": 0.0}
    used = table[table["used"].astype(bool)] if "used" in table.columns else table
    form = used["form"] if "form" in used.columns else pd.Series("log", index=used.index)
    reg = used[form.isin(["log", "level", "macro"])]
    out: dict[str, float] = {
        "transmission.n_links": float(len(table)),
        "transmission.n_used": float(len(used)),
        "transmission.n_exposure": float((form == "exposure").sum()),
        "transmission.n_regression": float(len(reg)),
        "transmission.n_refused": float((table["model"] == "refused").sum()),
    }
    if len(reg):
        out["transmission.median_abs_elasticity"] = float(reg["elasticity"].abs().median())
        out["transmission.max_abs_elasticity"] = float(reg["elasticity"].abs().max())
        out["transmission.median_se"] = float(reg["se"].median())
        if "weight" in reg.columns:
            out["transmission.median_weight"] = float(reg["weight"].median())
            out["transmission.n_weak"] = float((reg["weight"] < 0.2).sum())
    if per_link:
        coef = reg["coefficient"] if "coefficient" in reg.columns else reg["elasticity"]
        for r, c in zip(reg.itertuples(index=False), coef, strict=True):
            key = f"transmission/{r.target_id}/{r.driver_id}"
            out |= {f"{key}/coefficient": float(c), f"{key}/se": float(r.se)}
    return out


__all__ = [
    "TRANSMISSION_COLUMNS",
    "Link",
    "estimate_transmission",
    "level_units",
    "log_units",
    "partition_edges",
    "share_parent",
    "synthetic_ids",
    "transmission_metrics",
]
