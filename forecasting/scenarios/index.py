"""An immutable index of a bundle: everything a projection reads, arranged once per model version.

Why an index: a bundle is a set of tables; projecting needs them as arrays keyed by series, hierarchy
units (connected summing trees) with their leaves, one applied link per target, the exposures that
share a parent's change among its children, the macro block and the propagation order (stdlib
``graphlib``). Building that costs ~a second on 3,700 series, so it is done once per model version and
reused by every request (``BundleIndex.build`` in ``ScenarioEngine``, which the API keeps per served model); arrays are read-only.

Links of bundles trained before the ``form`` column existed are read by their ``model`` (``share`` ->
a parent's share, regressions -> elasticities), so older champions still project.
"""

from __future__ import annotations

import graphlib
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.errors import NotFound
from forecasting.reference.measures import get_measure
from forecasting.registry.contents import IDENTITY_FIELDS, BundleContents
from forecasting.scenarios.definitions import ScenarioError
from forecasting.scenarios.macro import MacroModel
from forecasting.vocabulary import SeriesId, quantile_columns

MACRO = -1  # the macro block's node in the propagation graph (units are 0..n-1)
FORM_ORDER = ("stock_flow", "macro", "conversion", "level", "log", "share")
DEFAULT_HEADLINE = (
    "fdi_inward_position.MID.all.A",
    "fdi_inward_position.TLF.all.A",
    "fdi_inward_position.TLG.all.A",
    "fdi_inward_position.UK.all.A",
    "fdi_net_inflows_usd.WLD.all.A",
    "business_investment_cvm_sa.UK.all.Q",
)
UNIT_FIELDS = ("unit", "currency", "price_basis", "quantity", "seasonal_adjustment")


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class SeriesData:
    sid: str
    periods: tuple[str, ...]
    starts: np.ndarray
    kinds: tuple[str, ...]
    mean: np.ndarray
    q: np.ndarray  # (n_quantiles, h)
    frequency: str
    info: Mapping[str, Any]  # identity + unit fields, JSON-safe
    non_negative: bool
    synthetic: bool
    accumulates: bool  # a flow: its differences add up over periods (cumulative gap is meaningful)
    scale: float  # the unit's multiplier (1e6 for "GBP million")
    history: tuple[tuple[str, float], ...]
    last_value: float | None

    @property
    def h(self) -> int:
        return len(self.periods)


@dataclass(frozen=True)
class LinkSpec:
    target: str
    driver: str
    form: str
    coefficient: float
    se: float
    ci_lo: float
    ci_hi: float
    model: str
    n_obs: int
    elasticity: float
    conversion: str = ""
    pooled: str = ""
    note: str = ""
    own_coefficient: float | None = None  # its own estimate before shrinkage (None: not recorded)
    own_se: float | None = None
    weight: float | None = None  # weight on its own data, tau^2 / (tau^2 + se^2)

    @property
    def evidence(self) -> str:
        """How much the effective coefficient rests on the link's own data, in words."""
        if self.weight is None or self.own_coefficient is None:
            return ""
        text = (
            f"own estimate {self.own_coefficient:.4g} (se {(self.own_se or 0):.2g}, n {self.n_obs}), weight "
            f"{self.weight:.2f} on it"
        )
        if self.form in ("log", "level", "exposure") and self.weight < 0.2:
            text += ": too little evidence of its own, it contributes almost only its prior"
        return text

    def describe(self) -> str:
        ci = f"95% interval {self.ci_lo:.3g} to {self.ci_hi:.3g}"
        what = {"stock_flow": "accumulates", "level": "pass-through", "log": "elasticity"}.get(
            self.form, self.form
        )
        ev = f"; {self.evidence}" if self.evidence else ""
        return f"{what} {self.coefficient:.4g} (se {self.se:.2g}, {ci}, {self.model}{ev}) to {self.driver}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "driver_id": self.driver,
            "form": self.form,
            "coefficient": _finite(self.coefficient),
            "elasticity": _finite(self.elasticity),
            "se": _finite(self.se),
            "ci_lo": _finite(self.ci_lo),
            "ci_hi": _finite(self.ci_hi),
            "own_coefficient": _finite(self.own_coefficient),
            "own_se": _finite(self.own_se),
            "weight": _finite(self.weight),
            "evidence": self.evidence,
            "model": self.model,
            "n_obs": self.n_obs,
            "conversion": self.conversion,
            "pooled": self.pooled,
            "note": self.note,
        }


@dataclass(frozen=True)
class Exposure:
    share: float
    se: float


@dataclass(frozen=True)
class Unit:
    """One hierarchy component (or one series outside every tree).

    Members of a tree need not end their data in the same year (LA GDP is published two years after ITL3
    GDP), so their forecasts start in different periods: the unit works on a common calendar grid
    (``periods``, from the earliest member forecast to the earliest member's horizon end) and ``cols``
    says where each member's own periods sit on it. Sums are taken per calendar period, never per step.
    A bottom series' baseline on the grid is its forecast, or its published value in periods it has
    already observed (so a parent's change there is shared sensibly; that part is not reported at the
    bottom series, whose value there is published)."""

    ids: tuple[str, ...]
    leaves: tuple[str, ...]
    under: Mapping[str, np.ndarray]  # node -> indices of its bottom series in ``leaves``
    children: Mapping[str, tuple[str, ...]]
    h: int  # grid length
    B: np.ndarray  # (n_leaves, h) baseline of the bottom series on the grid
    exposures: Mapping[tuple[str, str], Exposure]  # (parent, child) -> estimated share of changes
    periods: tuple[str, ...] = ()  # the grid's period labels
    cols: Mapping[str, np.ndarray] = field(default_factory=dict)  # member -> grid positions of its periods

    def to_grid(self, sid: str, a: np.ndarray) -> np.ndarray:
        """A member's per-period values (..., k) placed on the grid (..., h); zero where it has none."""
        c = self.cols[sid]
        k = min(a.shape[-1], len(c))
        out = np.zeros((*a.shape[:-1], self.h))
        out[..., c[:k]] = a[..., :k]
        return out

    def of_member(self, sid: str, a: np.ndarray) -> np.ndarray:
        """Grid values (..., h) at a member's own periods (..., k): the inverse of ``to_grid``."""
        return a[..., self.cols[sid]]


@dataclass(frozen=True)
class RateDriver:
    """The annual US$ per GBP rate: a driver scenarios may set, not a forecast series of the bundle."""

    sid: str
    years: tuple[int, ...]
    history: np.ndarray
    last: float
    sd: float
    source: str

    def baseline(self, years: np.ndarray) -> np.ndarray:
        """Published annual means where they exist, else the last complete year's (a random walk)."""
        known = dict(zip(self.years, self.history.tolist(), strict=True))
        return np.array([known.get(int(y), self.last) for y in years], dtype=float)

    def draws(self, years: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, len(years)) draws: published years as they are, later ones a random walk in logs."""
        years = np.asarray(years)
        steps = np.maximum(years - self.years[-1], 0)
        shocks = rng.standard_normal((n, int(steps.max()) if len(steps) else 0)) * self.sd
        path = np.cumsum(shocks, axis=1) if shocks.size else np.zeros((n, 0))
        out = np.broadcast_to(self.baseline(years), (n, len(years))).copy()
        for j, s in enumerate(steps):
            if s > 0:
                out[:, j] = self.last * np.exp(path[:, s - 1])
        return out


@dataclass(frozen=True)
class BundleIndex:
    key: str
    provenance: Mapping[str, Any]
    seed: int
    qs: np.ndarray
    z: np.ndarray
    series: Mapping[str, SeriesData]
    units: tuple[Unit, ...]
    unit_of: Mapping[str, int]
    links: Mapping[str, LinkSpec]  # target -> the cross-unit link projections apply
    all_links: Mapping[str, tuple[LinkSpec, ...]]  # target -> every row (used or not, refused too)
    macro: MacroModel | None
    macro_outputs: Mapping[str, str]  # series id -> macro variable it follows
    macro_inputs: Mapping[str, str]  # series id -> macro variable it conditions (World, UK flows)
    rate: RateDriver | None
    aliases: Mapping[str, str]
    drivers: Mapping[str, str | None]  # every series a scenario may set a path for -> alias
    declared: frozenset[str]  # the bundle's named drivers (metadata) and the rate: what outputs list
    deps: Mapping[int, frozenset[int]]
    order: tuple[int, ...]
    headline: tuple[str, ...]
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # ---- building --------------------------------------------------------------------------------
    @classmethod
    def build(cls, bundle: BundleContents) -> BundleIndex:
        md = bundle.metadata
        provenance = {
            k: getattr(md, k)
            for k in ("model_name", "model_version", "model_alias", "run_id", "data_vintage", "trained_at")
        }
        qcols = quantile_columns(bundle.forecasts.columns)
        qs = np.array([float(c[1:]) for c in qcols])
        series = _index_series(bundle, qcols)
        units, unit_of = _index_units(bundle, series)
        all_links = _read_links(bundle.transmission, series)
        macro = MacroModel.from_block(md.macro) if md.macro is not None else None
        macro_outputs, macro_inputs = _macro_maps(macro, series)
        links = _choose_links(all_links, unit_of, macro_outputs)
        units = tuple(_with_exposures(u, all_links) for u in units)
        rate = _rate(md.rates)
        aliases = dict(md.driver_aliases)
        if rate is not None:
            aliases.setdefault("usd_per_gbp", rate.sid)
        alias_of = {v: k for k, v in aliases.items()}
        ids = {d.series_id for d in md.drivers} | {k.driver for k in links.values()}
        ids |= set(macro_inputs) | {s for s in macro_outputs if s in {d.series_id for d in md.drivers}}
        drivers = {d: alias_of.get(d) for d in sorted(ids) if d in series}
        if rate is not None:
            drivers[rate.sid] = alias_of.get(rate.sid)
        declared = frozenset(
            {d.series_id for d in md.drivers if d.series_id in series}
            | set(macro_inputs)
            | ({rate.sid} if rate is not None else set())
        )
        deps, order = _order(units, unit_of, links, macro_outputs, macro_inputs)
        headline = tuple(
            s for s in (md.config.get("outputs", {}) or {}).get("headline", DEFAULT_HEADLINE) if s in series
        ) or tuple(s for s in DEFAULT_HEADLINE if s in series)
        return cls(
            key=bundle_key(bundle),
            provenance=MappingProxyType(provenance),
            seed=int(md.seed),
            qs=_ro(qs),
            z=_ro(stats.norm.ppf(qs) if len(qs) else np.zeros(0)),
            series=MappingProxyType(series),
            units=units,
            unit_of=MappingProxyType(unit_of),
            links=MappingProxyType(links),
            all_links=MappingProxyType(all_links),
            macro=macro,
            macro_outputs=MappingProxyType(macro_outputs),
            macro_inputs=MappingProxyType(macro_inputs),
            rate=rate,
            aliases=MappingProxyType(aliases),
            drivers=MappingProxyType(drivers),
            declared=declared,
            deps=MappingProxyType(deps),
            order=order,
            headline=headline,
        )

    # ---- queries ---------------------------------------------------------------------------------
    def resolve_driver(self, name: str) -> str:
        """Alias -> series id (ids pass through unchanged)."""
        return self.aliases.get(name, name)

    def needed(self, units: set[int]) -> set[int]:
        """The units (and the macro node) whose states the given units depend on, themselves included."""
        out: set[int] = set()
        todo = list(units)
        while todo:
            u = todo.pop()
            if u not in out:
                out.add(u)
                todo.extend(self.deps.get(u, ()))
        return out

    def baseline_draws(self, sid: str, seed: int, n: int) -> np.ndarray:
        """(n, h) draws of a series' baseline: Latin-hypercube quantile paths (one rank per draw for
        every period, so cumulated differences are not understated) from its stored quantiles."""
        key = f"b:{seed}:{n}:{sid}"
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        s = self.series[sid]
        rng = rng_for(seed, "base", sid)
        u = (rng.permutation(n) + rng.uniform(0.0, 1.0, n)) / n
        out = _ro(quantile_paths(s.q, self.qs, s.mean, u))
        if len(self._memo) > 20000:
            self._memo.clear()
        self._memo[key] = out
        return out


def rng_for(seed: int, *parts: str) -> np.random.Generator:
    """A generator keyed by the request seed and a name, so a series' draws never depend on which
    other series are projected in the same request."""
    h = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, int.from_bytes(h, "little")])


def quantile_paths(q: np.ndarray, qs: np.ndarray, mean: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Values at probabilities ``u`` (n,) per period from quantiles ``q`` (nq, h): interpolated on the
    normal-score scale between stored quantiles, extended linearly beyond the outermost ones."""
    n, h = len(u), q.shape[1] if q.ndim == 2 else len(mean)
    if not len(qs):
        return np.broadcast_to(mean, (n, h)).copy()
    zq = stats.norm.ppf(qs)
    zu = stats.norm.ppf(np.clip(u, 1e-6, 1 - 1e-6))
    out = np.empty((n, h))
    for k in range(h):
        col = q[:, k]
        lo_slope = (col[1] - col[0]) / (zq[1] - zq[0]) if len(qs) > 1 else 0.0
        hi_slope = (col[-1] - col[-2]) / (zq[-1] - zq[-2]) if len(qs) > 1 else 0.0
        v = np.interp(zu, zq, col)
        v = np.where(zu < zq[0], col[0] + (zu - zq[0]) * lo_slope, v)
        out[:, k] = np.where(zu > zq[-1], col[-1] + (zu - zq[-1]) * hi_slope, v)
    return out


def bundle_key(bundle: BundleContents) -> str:
    """What a cached index is keyed on: the registered model version (name, version, run), and for a
    bundle that is not registered a digest of its tables (never ``id()``, which Python reuses)."""
    md = bundle.metadata
    if md.model_name and md.model_version and md.run_id:
        return f"{md.model_name}/{md.model_version}/{md.run_id}"
    hsh = hashlib.blake2b(digest_size=16)
    hsh.update(md.model_dump_json().encode())
    for name in ("forecasts", "transmission", "hierarchy", "catalogue"):
        df = getattr(bundle, name)
        hsh.update(name.encode())
        hsh.update(str(df.shape).encode())
        if len(df):
            hsh.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return "local/" + hsh.hexdigest()


# ---- helpers for build -----------------------------------------------------------------------------
def _finite(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        v = float(v)
        return v if math.isfinite(v) else None
    return v


def _plain(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _measure_fields(measure: str) -> dict[str, Any]:
    try:
        m = get_measure(measure)
    except NotFound:
        return {}
    return {
        "unit": m.unit,
        "currency": m.currency,
        "price_basis": m.price_basis,
        "quantity": m.quantity,
        "seasonal_adjustment": m.seasonal_adjustment,
        "scale": m.scale,
        "complete_listing": m.complete_listing,
    }


def _index_series(bundle: BundleContents, qcols: list[str]) -> dict[str, SeriesData]:
    fc = bundle.forecasts.sort_values(["series_id", "step"], kind="stable")
    cat = bundle.catalogue.set_index("series_id") if len(bundle.catalogue) else pd.DataFrame()
    cat_rows = {sid: row for sid, row in zip(cat.index, cat.to_dict("records"), strict=True)}
    hist = bundle.history.sort_values(["series_id", "period_start"], kind="stable")
    hist_by = {s: g for s, g in hist.groupby("series_id", sort=False)}
    ids = fc["series_id"].to_numpy()
    cuts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    bounds = zip(np.r_[0, cuts], np.r_[cuts, len(ids)], strict=True)
    means = fc["mean"].to_numpy(dtype=float)
    qmat = fc[qcols].to_numpy(dtype=float).T if qcols else np.zeros((0, len(fc)))
    periods = fc["period"].astype(str).to_numpy()
    kinds = fc["kind"].astype(str).to_numpy() if "kind" in fc.columns else np.full(len(fc), "forecast")
    starts = pd.to_datetime(fc["period_start"]).to_numpy()
    measure_cache: dict[str, dict[str, Any]] = {}
    out: dict[str, SeriesData] = {}
    for a, b in bounds:
        sid = str(ids[a])
        row = cat_rows.get(sid, {})
        parsed = SeriesId.parse(sid)
        mf = measure_cache.setdefault(parsed.measure, _measure_fields(parsed.measure))
        info = {k: _plain(row.get(k)) for k in IDENTITY_FIELDS}
        for k in UNIT_FIELDS:
            v = row.get(k, mf.get(k))
            info[k] = _plain(v) if v is not None else mf.get(k)
        info["measure"] = info.get("measure") or parsed.measure
        info["geography"] = info.get("geography") or parsed.geography
        info["cluster"] = info.get("cluster") or parsed.cluster
        freq = str(row.get("frequency") or parsed.frequency)
        info["frequency"] = freq
        synthetic = bool(row.get("is_synthetic", False)) or "synthetic" in str(row.get("source", "")).lower()
        info["synthetic"] = synthetic
        quantity = info.get("quantity")
        accumulates = quantity == "flow" or (quantity == "count" and bool(mf.get("complete_listing")))
        h = hist_by.get(sid)
        tail = [] if h is None else list(zip(h["period"].astype(str), h["value"].astype(float), strict=True))
        out[sid] = SeriesData(
            sid=sid,
            periods=tuple(periods[a:b]),
            starts=_ro(starts[a:b]),
            kinds=tuple(kinds[a:b]),
            mean=_ro(means[a:b]),
            q=_ro(qmat[:, a:b]),
            frequency=freq,
            info=MappingProxyType(info),
            non_negative=bool(row.get("non_negative", False)),
            synthetic=synthetic,
            accumulates=accumulates,
            scale=float(mf.get("scale") or 1.0),
            history=tuple(tail[-12:]),
            last_value=tail[-1][1] if tail else None,
        )
    return out


def _components(ids: list[str], kids: dict[str, list[str]]) -> list[list[str]]:
    parent = {s: s for s in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p, cs in kids.items():
        for c in cs:
            a, b = find(p), find(c)
            if a != b:
                parent[b] = a
    groups: dict[str, list[str]] = {}
    for s in ids:
        groups.setdefault(find(s), []).append(s)
    return list(groups.values())


def _index_units(bundle: BundleContents, series: dict[str, SeriesData]) -> tuple[list[Unit], dict[str, int]]:
    edges = bundle.hierarchy
    kids: dict[str, list[str]] = {}
    if len(edges):
        for p, c in zip(edges["parent_id"].astype(str), edges["child_id"].astype(str), strict=True):
            if p in series and c in series:
                kids.setdefault(p, []).append(c)
    ts = graphlib.TopologicalSorter({p: set(cs) for p, cs in kids.items()})
    try:
        bottom_up = list(ts.static_order())
    except graphlib.CycleError as exc:
        raise ScenarioError(
            [
                {
                    "loc": [],
                    "msg": f"bundle hierarchy has a cycle through {exc.args[1][0]!r}",
                    "type": "value_error",
                }
            ]
        ) from None
    leafset: dict[str, frozenset[str]] = {}
    for node in bottom_up:
        cs = kids.get(node)
        leafset[node] = frozenset().union(*(leafset[c] for c in cs)) if cs else frozenset([node])
    units: list[Unit] = []
    unit_of: dict[str, int] = {}
    for members in _components(list(series), kids):
        leaves = tuple(sorted(m for m in members if m not in kids))
        pos = {s: i for i, s in enumerate(leaves)}
        under = {
            m: _ro(np.array(sorted(pos[x] for x in leafset.get(m, frozenset([m]))), dtype=int))
            for m in members
        }
        grid, cols = _grid(members, series)
        h = len(grid)
        B = np.vstack([_on_grid(series[s], grid, cols[s]) for s in leaves])
        unit = Unit(
            ids=tuple(sorted(members)),
            leaves=leaves,
            under=MappingProxyType(under),
            children=MappingProxyType({m: tuple(kids[m]) for m in members if m in kids}),
            h=h,
            B=_ro(B),
            exposures=MappingProxyType({}),
            periods=grid,
            cols=MappingProxyType(cols),
        )
        for m in members:
            unit_of[m] = len(units)
        units.append(unit)
    return units, unit_of


def _grid(
    members: list[str], series: Mapping[str, SeriesData]
) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    """A unit's calendar grid and each member's positions on it.

    The grid runs from the earliest member's first forecast period to the earliest horizon end among the
    members (every member is then known in every grid period after its own start); a member's positions
    are its periods on the grid, a prefix of its own. Members of different frequencies cannot be summed
    by calendar period: they keep the step alignment (and a tree never mixes them)."""
    ss = [series[m] for m in members]
    if len({s.frequency for s in ss}) > 1:
        h = min(s.h for s in ss)
        return ss[0].periods[:h], {m: _ro(np.arange(h, dtype=int)) for m in members}
    end = min(s.starts[-1] for s in ss if s.h) if any(s.h for s in ss) else None
    starts: dict[str, np.datetime64] = {}
    for s in ss:
        for p, t in zip(s.periods, s.starts, strict=True):
            if end is not None and t <= end:
                starts.setdefault(p, t)
    grid = tuple(sorted(starts, key=lambda p: starts[p]))
    pos = {p: j for j, p in enumerate(grid)}
    cols: dict[str, np.ndarray] = {}
    for m, s in zip(members, ss, strict=True):
        k = 0
        while k < s.h and s.periods[k] in pos:
            k += 1
        cols[m] = _ro(np.array([pos[p] for p in s.periods[:k]], dtype=int))
    return grid, cols


def _on_grid(s: SeriesData, grid: tuple[str, ...], cols: np.ndarray) -> np.ndarray:
    """A bottom series' baseline on the grid: its forecast, else its published value, else 0."""
    known = dict(s.history)
    out = np.array([float(known.get(p, 0.0)) for p in grid])
    out[cols] = s.mean[: len(cols)]
    return out


def _read_links(
    tab: pd.DataFrame | None, series: Mapping[str, SeriesData]
) -> dict[str, tuple[LinkSpec, ...]]:
    out: dict[str, list[LinkSpec]] = {}
    if tab is None or tab.empty:
        return {}
    has_form = "form" in tab.columns
    for r in tab.to_dict("records"):
        t, d = str(r["target_id"]), str(r["driver_id"])
        if t not in series:
            continue
        model = str(r.get("model", ""))
        e = float(r["elasticity"])
        se = float(r.get("se") or 0.0)
        se = se if math.isfinite(se) else 0.0
        lo = float(r.get("ci_lo", e)) if r.get("ci_lo") is not None else e
        hi = float(r.get("ci_hi", e)) if r.get("ci_hi") is not None else e
        if has_form and isinstance(r.get("form"), str):
            form = str(r["form"])
            coef = float(r.get("coefficient", e))
        else:  # a bundle from before the form column
            form = "share" if model == "share" else "log"
            coef = e
        used = bool(r.get("used", True))
        spec = LinkSpec(
            target=t,
            driver=d,
            form=form,
            coefficient=coef,
            se=se,
            ci_lo=lo,
            ci_hi=hi,
            model=model,
            n_obs=int(r.get("n_obs", 0) or 0),
            elasticity=e,
            conversion=str(r.get("conversion") or ""),
            pooled=str(r.get("pooled") or ""),
            note=str(r.get("note") or ""),
            own_coefficient=_opt(r.get("own_coefficient")),
            own_se=_opt(r.get("own_se")),
            weight=_opt(r.get("weight")),
        )
        if used or model == "refused":
            out.setdefault(t, []).append(spec)
    if "weight" not in tab.columns:  # a bundle from before shrinkage: shrink its elasticities here
        _shrink_old_elasticities(out)
    return {k: tuple(v) for k, v in out.items()}


def _shrink_old_elasticities(out: dict[str, list[LinkSpec]]) -> None:
    """Bundles trained before links were shrunk carry raw elasticities (n = 6 estimates up to 18): shrink
    them the way training now does (areas toward their cluster's mean, cluster means toward zero, tau^2
    across like links, t variance on few degrees of freedom), so no old champion projects a pre-test."""
    from forecasting.statistics import shrink_hierarchical

    like: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for t, specs in out.items():
        for j, k in enumerate(specs):
            if k.form == "log" and k.model != "refused" and k.se > 0:
                like.setdefault((SeriesId.parse(t).measure, k.driver), []).append((t, j))
    for members in like.values():
        specs = [out[t][j] for t, j in members]
        dof = np.array([max(k.n_obs - 2, 3) for k in specs], dtype=float)
        b = np.array([k.coefficient for k in specs])
        se = np.array([k.se for k in specs]) * np.sqrt(dof / (dof - 2))
        clusters = [SeriesId.parse(t).cluster for t, _ in members]
        inner, _ = shrink_hierarchical(b, se, clusters, tau_few=0.5)
        for i, (t, j) in enumerate(members):
            k = specs[i]
            half = 1.959963984540054 * float(inner.se[i])
            out[t][j] = replace(
                k,
                coefficient=float(inner.estimate[i]),
                elasticity=float(inner.estimate[i]),
                se=float(inner.se[i]),
                ci_lo=float(inner.estimate[i]) - half,
                ci_hi=float(inner.estimate[i]) + half,
                own_coefficient=k.coefficient,
                own_se=k.se,
                weight=float(inner.weight[i]),
                pooled="shrunk when the bundle was read (trained before links were shrunk)",
            )


def _opt(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _macro_maps(
    macro: MacroModel | None, series: Mapping[str, SeriesData]
) -> tuple[dict[str, str], dict[str, str]]:
    if macro is None:
        return {}, {}
    outputs, inputs = {}, {}
    for name in macro.names:
        for sid in macro.series[name]:
            if sid not in series:
                continue
            if name in ("uk_bi", "uk_gdp"):
                outputs[sid] = name
            else:
                inputs[sid] = name
    return outputs, inputs


def _choose_links(
    all_links: Mapping[str, tuple[LinkSpec, ...]],
    unit_of: Mapping[str, int],
    macro_outputs: Mapping[str, str],
) -> dict[str, LinkSpec]:
    """One cross-unit link per target (accounting first, then the macro block, then estimates)."""
    out: dict[str, LinkSpec] = {}
    for t, ls in all_links.items():
        cands = [
            k
            for k in ls
            if k.model != "refused"
            and k.driver in unit_of
            and unit_of[k.driver] != unit_of[t]
            and k.form in FORM_ORDER
            and (k.form != "macro" or t in macro_outputs)
        ]
        if not cands:
            continue
        out[t] = min(cands, key=lambda k: FORM_ORDER.index(k.form))
    return out


def _with_exposures(unit: Unit, all_links: Mapping[str, tuple[LinkSpec, ...]]) -> Unit:
    exp: dict[tuple[str, str], Exposure] = {}
    for parent, kids in unit.children.items():
        found = {}
        for c in kids:
            row = next((k for k in all_links.get(c, ()) if k.form == "exposure" and k.driver == parent), None)
            if row is not None:
                found[c] = Exposure(row.coefficient, row.se)
        if len(found) == len(kids):
            exp.update({(parent, c): e for c, e in found.items()})
    if not exp:
        return unit
    return replace(unit, exposures=MappingProxyType(exp))


def _rate(info: Any) -> RateDriver | None:
    if info is None or not info.years:
        return None
    return RateDriver(
        sid=info.series_id,
        years=tuple(info.years),
        history=_ro(np.asarray(info.usd_per_gbp, dtype=float)),
        last=float(info.usd_per_gbp[-1]),
        sd=float(info.sd_log_change),
        source=info.source[-1] if info.source else "",
    )


def _order(
    units: tuple[Unit, ...],
    unit_of: Mapping[str, int],
    links: Mapping[str, LinkSpec],
    macro_outputs: Mapping[str, str],
    macro_inputs: Mapping[str, str],
) -> tuple[dict[int, frozenset[int]], tuple[int, ...]]:
    deps: dict[int, set[int]] = {i: set() for i in range(len(units))}
    for t, k in links.items():
        if k.form != "macro":
            deps[unit_of[t]].add(unit_of[k.driver])
    if macro_outputs:
        deps[MACRO] = {unit_of[s] for s in macro_inputs}
        for s in macro_outputs:
            deps[unit_of[s]].add(MACRO)
            deps[MACRO].discard(unit_of[s])
    try:
        order = tuple(graphlib.TopologicalSorter(deps).static_order())
    except graphlib.CycleError as exc:
        node = exc.args[1][0]
        name = "the macro block" if node == MACRO else repr(units[node].ids[0])
        raise ScenarioError(
            [{"loc": [], "msg": f"transmission links form a cycle through {name}", "type": "value_error"}]
        ) from None
    return {k: frozenset(v) for k, v in deps.items()}, order


__all__ = [
    "MACRO",
    "BundleIndex",
    "LinkSpec",
    "RateDriver",
    "SeriesData",
    "Unit",
    "bundle_key",
    "quantile_paths",
    "rng_for",
]
