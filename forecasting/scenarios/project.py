"""Scenario projections from a trained bundle alone (no warehouse, no refit), so they are fast.

How a scenario moves the baseline (all arithmetic on the bundle's reconciled baseline means ``B``):

1. Driver paths become relative deviations ``r`` of the driver from its own baseline forecast.
2. Transmission, in dependency order: a linked target's log deviation is ``l = sum(e * log(1 + r_d))``
   over its drivers (log-linear: scenario = baseline x (1 + r_d)^e), with ``r_d`` aligned to the target's
   periods (``alignment.align_deviation``). Chains (World -> UK -> Midlands ...) follow from the order.
3. Within each hierarchy tree the deviation of a node is shared to its bottom series by their baseline
   shares and every node is re-summed from the bottom, so (a) a share child moves with its parent,
   (b) a shock at a Local Authority adds the same amount to every ancestor and (c) the result adds up
   exactly as the baseline does. Where several nodes of one tree carry a transmitted deviation, the
   broadest wins (the rest follow their share of it); an explicit driver path on a node replaces the
   transmitted deviation under it; direct shocks add on top.
4. Intervals: the baseline quantiles are shifted by the deviation and widened by the elasticity
   uncertainty: var(l_T) = e^2 var(l_D) + l_D^2 se^2 + var(l_D) se^2 along each link (delta method),
   plus l^2 se_share^2 for a bottom series below the linked node, giving sd = |scenario| * sqrt(var) per
   bottom series; aggregates add their bottom sd (perfect correlation: conservative). Each quantile
   moves to ``m + sign(q - m) * sqrt((q - m)^2 + (z_p sd)^2)`` around the shifted median ``m``. With no
   deviation the baseline is returned bit for bit.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.registry.contents import IDENTITY_FIELDS, BundleContents
from forecasting.registry.schema import BundleMetadata
from forecasting.scenarios.alignment import align_deviation
from forecasting.scenarios.definitions import (
    DriverChange,
    Scenario,
    ScenarioError,
    ShockChange,
)
from forecasting.scenarios.result import DriverPath, ScenarioResult, SeriesProjection
from forecasting.vocabulary import SeriesId, quantile_columns
from forecasting.vocabulary import series_id as make_id

TINY = 1e-12


@dataclass
class _Series:
    sid: str
    periods: list[str]
    starts: np.ndarray
    mean: np.ndarray
    q: np.ndarray  # (n_quantiles, h)
    frequency: str
    info: dict[str, Any]
    last_value: float | None
    history: list[tuple[str, float]]


@dataclass
class _Link:
    driver: str
    elasticity: float
    se: float
    model: str
    ci_lo: float
    ci_hi: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "driver_id": self.driver,
            "elasticity": self.elasticity,
            "se": self.se,
            "ci_lo": self.ci_lo,
            "ci_hi": self.ci_hi,
            "model": self.model,
        }


@dataclass
class _Unit:
    """One hierarchy tree (or one series outside every tree)."""

    ids: list[str]
    leaves: list[str]
    under: dict[str, np.ndarray]  # node -> indices of its bottom series in ``leaves``
    h: int
    B: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n_leaves, h) baseline of bottom series


@dataclass
class _State:
    """Per-series outcome while projecting."""

    delta: np.ndarray
    sd: np.ndarray
    var_log: np.ndarray
    channels: list[str]


class ScenarioEngine:
    """Everything a projection needs from a bundle, indexed once (build cost is paid per bundle, not call)."""

    def __init__(self, bundle: BundleContents) -> None:
        self.bundle = bundle
        md = bundle.metadata
        self.provenance = {
            k: getattr(md, k)
            for k in ("model_name", "model_version", "model_alias", "run_id", "data_vintage", "trained_at")
        }
        self.aliases = md.driver_aliases
        self.qcols = quantile_columns(bundle.forecasts.columns)
        self.qs = np.array([float(c[1:]) for c in self.qcols])
        self.z = stats.norm.ppf(self.qs) if len(self.qs) else np.zeros(0)
        self.series = self._index_series(bundle)
        self.units, self.unit_of = self._index_units(bundle)
        self.links, self.share_se = self._index_links(bundle)
        self.drivers = self._index_drivers(md)
        self.order = self._topo_order()

    # ---- indexing ---------------------------------------------------------------------------------
    def _index_series(self, bundle: BundleContents) -> dict[str, _Series]:
        fc = bundle.forecasts.sort_values(["series_id", "step"], kind="stable")
        cat = bundle.catalogue.set_index("series_id") if len(bundle.catalogue) else pd.DataFrame()
        hist = bundle.history.sort_values(["series_id", "period_start"], kind="stable")
        hist_by = {s: g for s, g in hist.groupby("series_id", sort=False)}
        ids = fc["series_id"].to_numpy()
        cuts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
        bounds = zip(np.r_[0, cuts], np.r_[cuts, len(ids)], strict=True)
        means = fc["mean"].to_numpy(dtype=float)
        qmat = fc[self.qcols].to_numpy(dtype=float).T if self.qcols else np.zeros((0, len(fc)))
        periods = fc["period"].astype(str).to_numpy()
        starts = pd.to_datetime(fc["period_start"]).to_numpy()
        out: dict[str, _Series] = {}
        for a, b in bounds:
            sid = str(ids[a])
            info = cat.loc[sid].to_dict() if sid in cat.index else {}
            freq = str(info.get("frequency") or SeriesId.parse(sid).frequency)
            h = hist_by.get(sid)
            tail = (
                [] if h is None else list(zip(h["period"].astype(str), h["value"].astype(float), strict=True))
            )
            out[sid] = _Series(
                sid=sid,
                periods=list(periods[a:b]),
                starts=starts[a:b],
                mean=means[a:b],
                q=qmat[:, a:b],
                frequency=freq,
                info=info,
                last_value=tail[-1][1] if tail else None,
                history=tail[-12:],
            )
        return out

    def _index_units(self, bundle: BundleContents) -> tuple[list[_Unit], dict[str, int]]:
        edges = bundle.hierarchy
        kids: dict[str, list[str]] = {}
        if len(edges):
            for p, c in zip(edges["parent_id"].astype(str), edges["child_id"].astype(str), strict=True):
                if p in self.series and c in self.series:
                    kids.setdefault(p, []).append(c)
        comp = _components(list(self.series), kids)
        units: list[_Unit] = []
        unit_of: dict[str, int] = {}
        for members in comp:
            leaves = sorted(m for m in members if m not in kids)
            pos = {s: i for i, s in enumerate(leaves)}
            under: dict[str, np.ndarray] = {}

            def leaf_set(node: str, seen: tuple[str, ...] = ()) -> set[str]:
                if node not in kids:
                    return {node}
                if node in seen:
                    raise ScenarioError(f"bundle hierarchy has a cycle through {node!r}")
                return set().union(*(leaf_set(c, (*seen, node)) for c in kids[node]))

            for m in members:
                under[m] = np.array(sorted(pos[x] for x in leaf_set(m)), dtype=int)
            h = min(len(self.series[m].mean) for m in members)
            unit = _Unit(ids=sorted(members), leaves=leaves, under=under, h=h)
            unit.B = np.vstack([self.series[s].mean[:h] for s in leaves])
            for m in members:
                unit_of[m] = len(units)
            units.append(unit)
        return units, unit_of

    def _index_links(self, bundle: BundleContents) -> tuple[dict[str, list[_Link]], dict[str, float]]:
        tab = bundle.transmission
        links: dict[str, list[_Link]] = {}
        share_se: dict[str, float] = {}
        if tab is None or tab.empty:
            return links, share_se
        used = tab[tab["used"].astype(bool)] if "used" in tab.columns else tab
        for r in used.to_dict("records"):
            t, d = str(r["target_id"]), str(r["driver_id"])
            if t not in self.series or d not in self.series:
                continue
            se = float(r.get("se", 0.0) or 0.0)
            se = se if math.isfinite(se) else 0.0
            e = float(r["elasticity"])
            link = _Link(
                d, e, se, str(r.get("model", "")), float(r.get("ci_lo", e)), float(r.get("ci_hi", e))
            )
            if self.unit_of[t] == self.unit_of[d]:
                share_se[t] = se  # share child of a node in its own tree: moves through the hierarchy
            else:
                links.setdefault(t, []).append(link)
        return links, share_se

    def _index_drivers(self, md: BundleMetadata) -> dict[str, str | None]:
        """Driver series id -> alias: the bundle's drivers plus every driver a link uses."""
        alias_of = {v: k for k, v in self.aliases.items()}
        ids = {d.series_id for d in md.drivers} | {k.driver for v in self.links.values() for k in v}
        return {d: alias_of.get(d) for d in sorted(ids) if d in self.series}

    def resolve_driver(self, name: str) -> str:
        """Alias -> series id (ids pass through unchanged)."""
        return self.aliases.get(name, name)

    def _topo_order(self) -> list[int]:
        deps: dict[int, set[int]] = {i: set() for i in range(len(self.units))}
        for t, ls in self.links.items():
            for k in ls:
                deps[self.unit_of[t]].add(self.unit_of[k.driver])
        order: list[int] = []
        state: dict[int, int] = {}
        for start in range(len(self.units)):
            stack = [(start, iter(sorted(deps[start])))]
            if start in state:
                continue
            state[start] = 1
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    stack.pop()
                    state[node] = 2
                    order.append(node)
                elif state.get(nxt) == 1:
                    raise ScenarioError(f"transmission links form a cycle through {self.units[nxt].ids[0]!r}")
                elif nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(sorted(deps[nxt]))))
        self.deps = deps
        return order

    # ---- validation of changes against the bundle -------------------------------------------------
    def _driver_path(
        self, i: int, ch: DriverChange, errors: list[dict[str, Any]]
    ) -> tuple[str, np.ndarray] | None:
        sid = self.resolve_driver(ch.driver)
        if sid not in self.drivers:
            known = [a or d for d, a in self.drivers.items()]
            hint = " (it is a target series: use a shock)" if sid in self.series else ""
            errors.append(
                _err(["changes", i, "driver"], f"unknown driver {ch.driver!r}{hint}; drivers: {known}")
            )
            return None
        s = self.series[sid]
        h = len(s.periods)
        span = f"{s.periods[0]}..{s.periods[-1]}"
        if ch.periods is not None:
            bad = [p for p in ch.periods if p not in s.periods]
            if bad:
                errors.append(
                    _err(
                        ["changes", i, "periods"],
                        f"period {bad[0]} is outside the bundle's horizon {span} for {sid}",
                    )
                )
                return None
            pos = [s.periods.index(p) for p in ch.periods]
            if pos != sorted(pos):
                errors.append(_err(["changes", i, "periods"], "periods must be in time order"))
                return None
        else:
            start = ch.start or s.periods[0]
            if start not in s.periods:
                errors.append(
                    _err(
                        ["changes", i, "start"],
                        f"start {start} is outside the bundle's horizon {span} for {sid}",
                    )
                )
                return None
            k0 = s.periods.index(start)
            if k0 + len(ch.values) > h:
                errors.append(
                    _err(
                        ["changes", i, "values"],
                        f"path of the wrong length: {len(ch.values)} values from {start} run past the horizon "
                        f"end {s.periods[-1]} (at most {h - k0})",
                    )
                )
                return None
            pos = list(range(k0, k0 + len(ch.values)))
        B = s.mean
        if ch.kind in ("level", "growth", "extra_growth") and np.any(B[pos[0] :] <= 0):
            errors.append(
                _err(
                    ["changes", i, "kind"],
                    f"{sid} has a non-positive baseline in the horizon: give the path as % deviations",
                )
            )
            return None
        given = dict(zip(pos, ch.values, strict=True))
        level_prev = s.last_value if pos[0] == 0 else float(B[pos[0] - 1])
        if ch.kind in ("growth", "extra_growth") and (level_prev is None or level_prev <= 0):
            errors.append(
                _err(
                    ["changes", i, "kind"],
                    f"a growth path needs a positive last value of {sid} before {s.periods[pos[0]]}",
                )
            )
            return None
        r = np.zeros(h)
        rprev = 0.0
        for k in range(pos[0], h):
            if k in given:
                v = given[k]
                if ch.kind == "level":
                    lv = v
                elif ch.kind == "growth":
                    lv = float(level_prev) * (1 + v / 100)
                elif ch.kind == "extra_growth":
                    b_prev = s.last_value if k == 0 else float(B[k - 1])
                    lv = float(level_prev) * (float(B[k]) / float(b_prev) + v / 100)
                else:
                    lv = float(B[k]) * (1 + v / 100)
                r[k] = lv / B[k] - 1 if abs(B[k]) > TINY else 0.0
            else:
                r[k] = rprev if (k < pos[-1] or ch.after == "hold") else 0.0
            rprev = r[k]
            level_prev = float(B[k]) * (1 + r[k])
        if np.any(r <= -1):
            k = int(np.flatnonzero(r <= -1)[0])
            errors.append(
                _err(["changes", i, "values"], f"implies a fall of 100% or more in {sid} in {s.periods[k]}")
            )
            return None
        return sid, r

    def _shock(
        self, i: int, ch: ShockChange, errors: list[dict[str, Any]], notes: list[str]
    ) -> list[tuple[str, np.ndarray, str]]:
        cands = [
            s
            for s in self.series
            if s.startswith(f"{ch.measure}.{ch.geography}.{ch.cluster}.")
            and (ch.frequency is None or s.endswith("." + ch.frequency))
        ]
        if not cands and not ch.required:
            notes.append(f"changes[{i}] skipped (required = false): {self._scope_msg(ch, cands)}")
            return []
        if len(cands) != 1:
            errors.append(_err(["changes", i, self._scope_field(ch, cands)], self._scope_msg(ch, cands)))
            return []
        sid = cands[0]
        s = self.series[sid]
        span = f"{s.periods[0]}..{s.periods[-1]}"
        start = ch.start or s.periods[0]
        end = ch.end or (start if ch.kind == "one_off" else s.periods[-1])
        for fld, p in (("start", start), ("end", end)):
            if p not in s.periods:
                errors.append(
                    _err(["changes", i, fld], f"{fld} {p} is outside the bundle's horizon {span} for {sid}")
                )
                return []
        k0, k1 = s.periods.index(start), s.periods.index(end)
        if k1 < k0:
            errors.append(_err(["changes", i, "end"], f"end {end} is before start {start}"))
            return []
        B, h = s.mean, len(s.periods)
        d = np.zeros(h)
        if ch.kind in ("level", "one_off"):
            amount = (
                B[k0 : k1 + 1] * ch.value / 100 if ch.unit == "percent" else np.full(k1 - k0 + 1, ch.value)
            )
            d[k0 : k1 + 1] = amount
        else:
            steps = np.minimum(np.arange(h) - k0 + 1, k1 - k0 + 1)
            factor = np.where(np.arange(h) >= k0, (1 + ch.value / 100) ** np.maximum(steps, 0), 1.0)
            d = B * (factor - 1)
        if bool(s.info.get("non_negative", False)) and np.any(B + d < -1e-9):
            k = int(np.flatnonzero(B + d < -1e-9)[0])
            errors.append(
                _err(
                    ["changes", i, "value"],
                    f"would make {sid} negative in {s.periods[k]} (baseline {B[k]:.4g})",
                )
            )
            return []
        label = f"changes[{i}] {ch.kind} shock {ch.value:g}{'%' if ch.unit == 'percent' and ch.kind != 'growth' else ''}"
        out = [(sid, d, f"{label} at {ch.geography}/{ch.cluster}")]
        if ch.cluster != "all" and ch.include_all_cluster:
            all_sid = make_id(ch.measure, ch.geography, "all", s.frequency)
            if all_sid in self.series and self.series[all_sid].periods[:h] == s.periods:
                out.append(
                    (
                        all_sid,
                        d.copy(),
                        f"{label} to cluster {ch.cluster} at {ch.geography} (counted in 'all')",
                    )
                )
        return out

    def _scope_field(self, ch: ShockChange, cands: list[str]) -> str:
        if cands:
            return "frequency"
        if not any(s.startswith(ch.measure + ".") for s in self.series):
            return "measure"
        if not any(s.startswith(f"{ch.measure}.{ch.geography}.") for s in self.series):
            return "geography"
        if ch.frequency is None:
            return "cluster"
        return (
            "cluster"
            if not any(s.startswith(f"{ch.measure}.{ch.geography}.{ch.cluster}.") for s in self.series)
            else "frequency"
        )

    def _scope_msg(self, ch: ShockChange, cands: list[str]) -> str:
        if cands:
            return (
                f"{len(cands)} series match {ch.measure}/{ch.geography}/{ch.cluster}: {cands}; give frequency"
            )
        return f"no series {ch.measure}.{ch.geography}.{ch.cluster}.{ch.frequency or '*'} in this bundle"

    # ---- projection -------------------------------------------------------------------------------
    def project(self, scenario: Scenario, series: Sequence[str] | None = None) -> ScenarioResult:
        errors: list[dict[str, Any]] = []
        wanted = list(dict.fromkeys(series)) if series is not None else list(self.series)
        for j, sid in enumerate(wanted):
            if sid not in self.series:
                errors.append(_err(["series", j], f"unknown series {sid[:200]!r}"))
        paths: dict[str, tuple[np.ndarray, int]] = {}
        for i, ch in scenario.driver_changes:
            got = self._driver_path(i, ch, errors)
            if got is not None:
                if got[0] in paths:
                    j = paths[got[0]][1]
                    errors.append(
                        _err(
                            ["changes", i, "driver"],
                            f"conflicts with changes[{j}]: both set a path for driver {got[0]!r}; combine them into one path",
                        )
                    )
                paths[got[0]] = (got[1], i)
        shocks: dict[str, list[tuple[np.ndarray, str]]] = {}
        notes: list[str] = []
        for i, ch in scenario.shocks:
            for sid, d, label in self._shock(i, ch, errors, notes):
                shocks.setdefault(sid, []).append((d, label))
        if errors:
            raise ScenarioError(errors, scenario.name)

        need = self._needed({self.unit_of[s] for s in wanted})
        states: dict[str, _State] = {}
        for u in self.order:
            if u in need:
                self._project_unit(self.units[u], paths, shocks, states)
        result = self._result(scenario, wanted, paths, states)
        result.notes.extend(notes)
        return result

    def _needed(self, units: set[int]) -> set[int]:
        out, todo = set(), list(units)
        while todo:
            u = todo.pop()
            if u not in out:
                out.add(u)
                todo.extend(self.deps[u])
        return out

    def _transmitted(
        self, target: str, h: int, states: dict[str, _State]
    ) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
        s = self.series[target]
        lsum, var = np.zeros(h), np.zeros(h)
        channels, active = [], False
        for k in self.links.get(target, []):
            st = states.get(k.driver)
            if st is None:
                continue
            d = self.series[k.driver]
            hd = len(st.delta)
            r_d = np.divide(st.delta, d.mean[:hd], out=np.zeros(hd), where=np.abs(d.mean[:hd]) > TINY)
            if not np.any(r_d) and not np.any(st.var_log):
                continue
            active = True
            r_a = align_deviation(r_d, d.mean[:hd], d.starts[:hd], d.frequency, s.starts[:h], s.frequency)
            v_a = align_deviation(
                st.var_log, d.mean[:hd], d.starts[:hd], d.frequency, s.starts[:h], s.frequency
            )
            l_d = np.log1p(np.maximum(r_a, -0.999999))
            lsum += k.elasticity * l_d
            var += k.elasticity**2 * v_a + l_d**2 * k.se**2 + v_a * k.se**2
            channels.append(f"elasticity {k.elasticity:.3g} (se {k.se:.2g}, {k.model}) to {k.driver}")
        return (lsum, var, channels) if active else None

    def _project_unit(
        self,
        unit: _Unit,
        paths: dict[str, tuple[np.ndarray, int]],
        shocks: dict[str, list[tuple[np.ndarray, str]]],
        states: dict[str, _State],
    ) -> None:
        h, n = unit.h, len(unit.leaves)
        dL, varL = np.zeros((n, h)), np.zeros((n, h))
        notes: dict[str, list[str]] = {s: [] for s in unit.ids}
        covered: list[tuple[str, np.ndarray]] = []
        anchors = []
        for t in unit.ids:
            if t in paths:
                continue
            got = self._transmitted(t, h, states)
            if got is not None:
                anchors.append((t, got))
        anchors.sort(key=lambda a: -len(unit.under[a[0]]))
        for t, (lg, var, ch) in anchors:
            idx = unit.under[t]
            owner = next((o for o, cov in covered if set(idx.tolist()) <= set(cov.tolist())), None)
            if owner is not None:
                notes[t].append(
                    f"its own link ({'; '.join(ch)}) is overridden: it moves with its share of {owner}"
                )
                continue
            r = np.expm1(lg)
            dL[idx] = _shares(unit.B[idx]) * (self.series[t].mean[:h] * r)
            se_kid = np.array(
                [self.share_se.get(unit.leaves[j], 0.0) if unit.leaves[j] != t else 0.0 for j in idx]
            )
            varL[idx] = var[None, :] + (lg**2)[None, :] * (se_kid**2)[:, None]
            covered.append((t, idx))
            self._mark(unit, t, idx, notes, ch, "transmitted")
        for t in sorted((t for t in unit.ids if t in paths), key=lambda t: -len(unit.under[t])):
            r, i = paths[t]
            idx = unit.under[t]
            dL[idx] = _shares(unit.B[idx]) * (self.series[t].mean[:h] * r[:h])
            varL[idx] = 0.0
            self._mark(unit, t, idx, notes, [f"scenario path changes[{i}]"], "path")
        for t in unit.ids:
            for d, label in shocks.get(t, []):
                idx = unit.under[t]
                dL[idx] += _shares(unit.B[idx]) * d[:h]
                self._mark(unit, t, idx, notes, [label], "shock")
        sdL = np.abs(unit.B + dL) * np.sqrt(varL)
        var_log_leaf = varL
        for t in unit.ids:
            idx = unit.under[t]
            delta = dL[idx].sum(axis=0) if len(idx) > 1 else dL[idx[0]].copy()
            sd = sdL[idx].sum(axis=0) if len(idx) > 1 else sdL[idx[0]].copy()
            base = np.abs(self.series[t].mean[:h] + delta)
            var_log = (
                var_log_leaf[idx[0]].copy()
                if len(idx) == 1
                else np.divide(sd, base, out=np.zeros(h), where=base > TINY) ** 2
            )
            states[t] = _State(delta=delta, sd=sd, var_log=var_log, channels=notes[t])

    def _mark(
        self, unit: _Unit, t: str, idx: np.ndarray, notes: dict[str, list[str]], ch: list[str], kind: str
    ) -> None:
        """Explain to every series of the tree how the deviation at ``t`` reached it."""
        sub = set(idx.tolist())
        for s in unit.ids:
            if s == t:
                notes[s].extend(ch)
                continue
            mine = set(unit.under[s].tolist())
            if mine <= sub:
                notes[s].append(f"share of {t} ({kind}: {'; '.join(ch)})")
            elif sub <= mine:
                notes[s].append(f"sum includes {t} ({kind}: {'; '.join(ch)})")

    # ---- output -----------------------------------------------------------------------------------
    def _result(
        self,
        scenario: Scenario,
        wanted: list[str],
        paths: dict[str, tuple[np.ndarray, int]],
        states: dict[str, _State],
    ) -> ScenarioResult:
        out: list[SeriesProjection] = []
        for sid in wanted:
            s = self.series[sid]
            st = states.get(sid)
            h = len(st.delta) if st is not None else len(s.periods)
            delta = np.zeros(h) if st is None else st.delta
            sd = np.zeros(h) if st is None else st.sd
            moved = bool(np.any(delta != 0) or np.any(sd > 0))
            q_s = self._scenario_quantiles(s, delta, sd, h) if moved else s.q[:, :h]
            mean_s = s.mean[:h] + delta if moved else s.mean[:h]
            links = [k.as_dict() for k in self.links.get(sid, [])]
            if sid in self.share_se:
                links.append(
                    {
                        "model": "share",
                        "se": self.share_se[sid],
                        "elasticity": 1.0,
                        "driver_id": "(parent in hierarchy)",
                    }
                )
            reason = None if moved else self._why_unmoved(sid, links, states)
            out.append(
                SeriesProjection(
                    series_id=sid,
                    info={k: _plain(s.info.get(k)) for k in IDENTITY_FIELDS},
                    periods=s.periods[:h],
                    baseline_mean=s.mean[:h],
                    baseline_q=s.q[:, :h],
                    scenario_mean=mean_s,
                    scenario_q=q_s,
                    quantiles=self.qs,
                    affected=moved,
                    reason=reason,
                    channels=list(dict.fromkeys(st.channels)) if st is not None else [],
                    links=links,
                    history=s.history,
                )
            )
        drivers = []
        for d, alias in self.drivers.items():
            st = states.get(d)
            if st is None:
                continue
            s = self.series[d]
            h = len(st.delta)
            src = (
                f"scenario path changes[{paths[d][1]}]"
                if d in paths
                else ("transmitted" if np.any(st.delta) else "baseline")
            )
            drivers.append(DriverPath(d, alias, src, s.periods[:h], s.mean[:h], s.mean[:h] + st.delta))
        return ScenarioResult(
            scenario=scenario, provenance=dict(self.provenance), series=out, drivers=drivers
        )

    def _why_unmoved(self, sid: str, links: list[dict[str, Any]], states: dict[str, _State]) -> str:
        if not links and len(self.units[self.unit_of[sid]].ids) == 1:
            return "no estimated link to the scenario's drivers and no shock: unaffected"
        moved = [
            k.driver for k in self.links.get(sid, []) if k.driver in states and np.any(states[k.driver].delta)
        ]
        if moved:
            return f"linked to {moved[0]}, but its deviation does not reach this series' forecast periods"
        return "linked only to drivers or areas this scenario leaves at their baseline"

    def _scenario_quantiles(self, s: _Series, delta: np.ndarray, sd: np.ndarray, h: int) -> np.ndarray:
        q = s.q[:, :h]
        if not len(q):
            return q
        if np.all(sd == 0):
            out = q + delta
        else:
            mid = q[np.argmin(np.abs(self.qs - 0.5))] if np.any(np.isclose(self.qs, 0.5)) else s.mean[:h]
            dev = q - mid
            wide = mid + delta + np.sign(self.z)[:, None] * np.sqrt(dev**2 + (self.z[:, None] * sd) ** 2)
            out = np.where(sd > 0, wide, q + delta)
            out = np.sort(out, axis=0)
        if bool(s.info.get("non_negative", False)):
            out = np.maximum(out, 0.0)
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


def _shares(B: np.ndarray) -> np.ndarray:
    """Baseline shares of bottom series (rows) per period; |B| shares or equal shares when B is not positive."""
    if B.shape[0] == 1:
        return np.ones_like(B)
    tot = B.sum(axis=0)
    ok = np.all(B >= 0, axis=0) & (tot > TINY)
    absB = np.abs(B)
    atot = absB.sum(axis=0)
    eq = np.full_like(B, 1.0 / B.shape[0])
    alt = np.divide(absB, atot, out=eq.copy(), where=atot > TINY)
    return np.where(ok, np.divide(B, np.where(tot > TINY, tot, 1.0)), alt)


def _err(loc: list[str | int], msg: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": "value_error"}


def _plain(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


_CACHE: dict[int, tuple[weakref.ref, ScenarioEngine]] = {}
_LOCK = threading.Lock()


def engine_for(bundle: BundleContents) -> ScenarioEngine:
    """The engine for ``bundle``, built once per bundle object (projections then cost milliseconds)."""
    key = id(bundle)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0]() is bundle:
            return hit[1]
    engine = ScenarioEngine(bundle)
    with _LOCK:
        for k in [k for k, (ref, _) in _CACHE.items() if ref() is None]:
            del _CACHE[k]
        _CACHE[key] = (weakref.ref(bundle), engine)
    return engine


def project(bundle: BundleContents, scenario: Scenario, series: list[str] | None = None) -> ScenarioResult:
    """Scenario vs baseline for ``series`` (default: every series in the bundle); see the module docstring."""
    return engine_for(bundle).project(scenario, series)


__all__ = ["ScenarioEngine", "engine_for", "project"]
