"""Pure validation of a scenario against a bundle index: driver paths and shocks as numbers, or errors.

Why separate and pure: the same checks serve the CLI and the API, and every problem is collected (not
just the first) with the change index and field it concerns, as FastAPI-shaped errors. Nothing here
computes a projection; it only turns the scenario into deviations the propagation can apply:

* a driver path -> the driver's relative deviation from its own baseline, period by period;
* a shock -> an absolute difference on one target series (plus its 'all' cluster when asked).

Bundle-aware limits (on top of the file-level ones in ``definitions``): a level path or an absolute
shock more than ``MAX_RATIO`` times the series' own scale is refused as an absurd magnitude, and an
absolute shock that would take a non-negative measure below zero is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from forecasting.scenarios import placement, timing
from forecasting.scenarios.definitions import (
    DriverChange,
    ProjectChange,
    Scenario,
    ScenarioError,
    ShockChange,
)
from forecasting.scenarios.index import BundleIndex, SeriesData
from forecasting.vocabulary import series_id as make_id

TINY = 1e-12
# An absolute value more than this many times the series' own scale (largest |baseline| or |history|, at
# least one unit: a Local Authority with no projects yet may get one) is taken for a typo (1e300, an
# extra six zeros), not a scenario.
MAX_RATIO = 1000.0


@dataclass(frozen=True)
class DriverPath:
    sid: str
    change: int  # index in scenario.changes
    rel: np.ndarray  # relative deviation from the driver's baseline, per driver period
    kind: str
    label: str


@dataclass(frozen=True)
class Shock:
    delta: np.ndarray
    label: str


@dataclass(frozen=True)
class Plan:
    """A validated scenario: what to apply, ready for propagation."""

    scenario: Scenario
    wanted: tuple[str, ...]
    paths: Mapping[str, DriverPath]
    shocks: Mapping[str, tuple[Shock, ...]]
    rate: DriverPath | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    today: dt.date = field(default_factory=timing.today)
    starts: Mapping[int, str] = field(default_factory=dict)  # change index -> its first period


def err(loc: list[str | int], msg: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": "value_error"}


def validate(
    index: BundleIndex,
    scenario: Scenario,
    series: Sequence[str] | None = None,
    today: dt.date | None = None,
) -> Plan:
    """The scenario as a ``Plan``, or ``ScenarioError`` listing every problem (change index and field).

    ``today`` (default: the real date) anchors scenario time: a change without a start begins in the
    first period that starts after it, and a change wholly in periods that ended before it is refused
    unless the scenario is a counterfactual."""
    today = timing.resolve_today(today)
    when = _When(today, scenario.counterfactual, {})
    errors: list[dict[str, Any]] = []
    wanted = list(dict.fromkeys(series)) if series is not None else list(index.series)
    for j, sid in enumerate(wanted):
        if sid not in index.series:
            errors.append(err(["series", j], f"unknown series {sid[:200]!r}"))
    paths: dict[str, DriverPath] = {}
    rate: DriverPath | None = None
    for i, ch in scenario.driver_changes:
        got = _driver_path(index, i, ch, errors, when)
        if got is None:
            continue
        prior = rate if index.rate is not None and got.sid == index.rate.sid else paths.get(got.sid)
        if prior is not None:
            errors.append(
                err(
                    ["changes", i, "driver"],
                    f"conflicts with changes[{prior.change}]: both set a path for driver {got.sid!r}; "
                    "combine them into one path",
                )
            )
        if index.rate is not None and got.sid == index.rate.sid:
            rate = got
        else:
            paths[got.sid] = got
    shocks: dict[str, list[Shock]] = {}
    notes: list[str] = []
    for i, ch in scenario.shocks:
        for sid, shock in _shock(index, i, ch, errors, notes, when):
            shocks.setdefault(sid, []).append(shock)
    for i, ch in scenario.projects:
        for sid, shock in _project(index, i, ch, errors, notes, when):
            shocks.setdefault(sid, []).append(shock)
    if errors:
        raise ScenarioError(errors, scenario.name)
    return Plan(
        scenario=scenario,
        wanted=tuple(wanted),
        paths=MappingProxyType(paths),
        shocks=MappingProxyType({k: tuple(v) for k, v in shocks.items()}),
        rate=rate,
        notes=tuple(notes),
        today=today,
        starts=MappingProxyType(dict(when.starts)),
    )


@dataclass(frozen=True)
class _When:
    """What scenario time needs while validating: today, whether the past is allowed, first periods."""

    today: dt.date
    counterfactual: bool
    starts: dict[int, str]

    def default_start(self, s: SeriesData) -> str | None:
        k = timing.first_future(s.starts, self.today)
        return s.periods[k] if k is not None else None

    def past(self, i: int, fld: str, s: SeriesData, pos: Sequence[int]) -> dict[str, Any] | None:
        """An error when the change at ``pos`` lies wholly in periods that ended before today."""
        self.starts[i] = s.periods[pos[0]]
        if self.counterfactual or not timing.ended(s.starts, s.frequency, pos, self.today):
            return None
        return err(
            ["changes", i, fld],
            f"{s.periods[pos[0]]}..{s.periods[pos[-1]]} is wholly in the past (today is "
            f"{self.today.isoformat()}): a scenario changes the future; set counterfactual = true to ask "
            "what would have happened instead",
        )


def _known_drivers(index: BundleIndex) -> list[str]:
    return [a or d for d, a in index.drivers.items()]


def _rate_series(index: BundleIndex) -> SeriesData:
    """The rate driver on the annual periods of the World flows' horizon (its baseline: a random walk)."""
    r = index.rate
    assert r is not None
    ref = next((s for s in index.series.values() if s.frequency == "A"), None)
    first = r.years[-1] + 1
    last = max(int(ref.periods[-1]) if ref is not None else first + 4, first)
    years = np.arange(first, last + 1)
    mean = r.baseline(years)
    return SeriesData(
        sid=r.sid,
        periods=tuple(str(y) for y in years),
        starts=np.array([np.datetime64(f"{y}-01-01") for y in years]),
        kinds=tuple("forecast" for _ in years),
        mean=mean,
        q=np.zeros((0, len(years))),
        frequency="A",
        info=MappingProxyType({"unit": "USD per GBP"}),
        non_negative=True,
        synthetic=False,
        accumulates=False,
        scale=1.0,
        history=tuple((str(y), float(v)) for y, v in zip(r.years[-12:], r.history[-12:], strict=True)),
        last_value=r.last,
    )


def driver_series(index: BundleIndex, sid: str) -> SeriesData | None:
    if index.rate is not None and sid == index.rate.sid:
        return _rate_series(index)
    return index.series.get(sid)


def _driver_path(
    index: BundleIndex, i: int, ch: DriverChange, errors: list[dict[str, Any]], when: _When
) -> DriverPath | None:
    sid = index.resolve_driver(ch.driver)
    s = driver_series(index, sid) if (sid in index.drivers) else None
    if s is None:
        hint = " (it is a target series: use a shock)" if sid in index.series else ""
        errors.append(
            err(
                ["changes", i, "driver"],
                f"unknown driver {ch.driver!r}{hint}; drivers: {_known_drivers(index)}",
            )
        )
        return None
    h = s.h
    span = f"{s.periods[0]}..{s.periods[-1]}"
    if ch.periods is not None:
        bad = [p for p in ch.periods if p not in s.periods]
        if bad:
            errors.append(
                err(
                    ["changes", i, "periods"],
                    f"period {bad[0]} is outside the bundle's horizon {span} for {sid}",
                )
            )
            return None
        pos = [s.periods.index(p) for p in ch.periods]
        if pos != sorted(pos):
            errors.append(err(["changes", i, "periods"], "periods must be in time order"))
            return None
    else:
        start = ch.start or when.default_start(s)
        if start is None:
            errors.append(
                err(
                    ["changes", i, "start"],
                    f"no period of {sid} ({span}) starts after today ({when.today.isoformat()}): give start",
                )
            )
            return None
        if start not in s.periods:
            errors.append(
                err(
                    ["changes", i, "start"], f"start {start} is outside the bundle's horizon {span} for {sid}"
                )
            )
            return None
        k0 = s.periods.index(start)
        if k0 + len(ch.values) > h:
            errors.append(
                err(
                    ["changes", i, "values"],
                    f"path of the wrong length: {len(ch.values)} values from {start} run past the horizon "
                    f"end {s.periods[-1]} (at most {h - k0})",
                )
            )
            return None
        pos = list(range(k0, k0 + len(ch.values)))
    past = when.past(i, "periods" if ch.periods is not None else "start", s, pos)
    if past is not None:
        errors.append(past)
        return None
    B = s.mean
    if ch.kind in ("level", "growth", "extra_growth") and np.any(B[pos[0] :] <= 0):
        errors.append(
            err(
                ["changes", i, "kind"],
                f"{sid} has a non-positive baseline in the horizon: give the path as % deviations",
            )
        )
        return None
    if ch.kind == "level":
        for j, (k, v) in enumerate(zip(pos, ch.values, strict=True)):
            if abs(v) > MAX_RATIO * abs(float(B[k])):
                errors.append(
                    err(
                        ["changes", i, "values"],
                        f"value {j} ({v:g}) is an absurd magnitude: {abs(v) / abs(float(B[k])):.3g} times the "
                        f"baseline of {sid} in {s.periods[k]} ({float(B[k]):.4g})",
                    )
                )
                return None
    given = dict(zip(pos, ch.values, strict=True))
    level_prev = s.last_value if pos[0] == 0 else float(B[pos[0] - 1])
    if ch.kind in ("growth", "extra_growth") and (level_prev is None or level_prev <= 0):
        errors.append(
            err(
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
    if not np.all(np.isfinite(r)) or np.any(np.abs(r) > MAX_RATIO):
        k = int(np.flatnonzero(~np.isfinite(r) | (np.abs(r) > MAX_RATIO))[0])
        errors.append(
            err(
                ["changes", i, "values"],
                f"implies an absurd magnitude for {sid} in {s.periods[k]} (x{1 + r[k]:.3g})",
            )
        )
        return None
    if np.any(r <= -1):
        k = int(np.flatnonzero(r <= -1)[0])
        errors.append(
            err(["changes", i, "values"], f"implies a fall of 100% or more in {sid} in {s.periods[k]}")
        )
        return None
    alias = index.drivers.get(sid)
    label = f"changes[{i}] {alias or sid} path"
    return DriverPath(sid, i, r, ch.kind, label)


def _shock(
    index: BundleIndex,
    i: int,
    ch: ShockChange,
    errors: list[dict[str, Any]],
    notes: list[str],
    when: _When,
) -> list[tuple[str, Shock]]:
    series = index.series
    cands = [
        s
        for s in series
        if s.startswith(f"{ch.measure}.{ch.geography}.{ch.cluster}.")
        and (ch.frequency is None or s.endswith("." + ch.frequency))
    ]
    if not cands and not ch.required:
        notes.append(f"changes[{i}] skipped (required = false): {_scope_msg(ch, cands)}")
        return []
    if len(cands) != 1:
        errors.append(err(["changes", i, _scope_field(index, ch, cands)], _scope_msg(ch, cands)))
        return []
    sid = cands[0]
    s = series[sid]
    span = f"{s.periods[0]}..{s.periods[-1]}"
    start = ch.start or when.default_start(s)
    if start is None:
        errors.append(
            err(["changes", i, "start"], f"no period of {sid} ({span}) starts after today: give start")
        )
        return []
    end = ch.end or (start if ch.kind == "one_off" else s.periods[-1])
    for fld, p in (("start", start), ("end", end)):
        if p not in s.periods:
            errors.append(
                err(["changes", i, fld], f"{fld} {p} is outside the bundle's horizon {span} for {sid}")
            )
            return []
    k0, k1 = s.periods.index(start), s.periods.index(end)
    if k1 < k0:
        errors.append(err(["changes", i, "end"], f"end {end} is before start {start}"))
        return []
    past = when.past(i, "start", s, list(range(k0, k1 + 1)))
    if past is not None:
        errors.append(past)
        return []
    B, h = s.mean, s.h
    if ch.unit == "absolute" and ch.kind != "growth":
        ref = max([abs(float(v)) for v in B] + [abs(v) for _, v in s.history] + [1.0])  # at least one unit
        if abs(ch.value) > MAX_RATIO * ref:
            errors.append(
                err(
                    ["changes", i, "value"],
                    f"{ch.value:g} is an absurd magnitude for {sid}: {abs(ch.value) / ref:.3g} times the largest "
                    f"value in its history and baseline ({ref:.4g} {s.info.get('unit') or ''})".rstrip(),
                )
            )
            return []
    d = np.zeros(h)
    if ch.kind in ("level", "one_off"):
        amount = B[k0 : k1 + 1] * ch.value / 100 if ch.unit == "percent" else np.full(k1 - k0 + 1, ch.value)
        d[k0 : k1 + 1] = amount
    else:
        steps = np.minimum(np.arange(h) - k0 + 1, k1 - k0 + 1)
        factor = np.where(np.arange(h) >= k0, (1 + ch.value / 100) ** np.maximum(steps, 0), 1.0)
        d = B * (factor - 1)
    if s.non_negative and np.any(B + d < -1e-9):
        k = int(np.flatnonzero(B + d < -1e-9)[0])
        errors.append(
            err(
                ["changes", i, "value"],
                f"would make {sid} negative in {s.periods[k]} (baseline {B[k]:.4g}): it cannot be below zero",
            )
        )
        return []
    pct = "%" if ch.unit == "percent" and ch.kind != "growth" else ""
    label = f"changes[{i}] {ch.kind} shock {ch.value:g}{pct} at {ch.geography}/{ch.cluster}"
    out = [(sid, Shock(d, label))]
    if ch.cluster != "all" and ch.include_all_cluster:
        all_sid = make_id(ch.measure, ch.geography, "all", s.frequency)
        if all_sid in series and series[all_sid].periods[:h] == s.periods:
            out.append((all_sid, Shock(d.copy(), f"{label} to cluster {ch.cluster} (counted in 'all')")))
    return out


def _project(
    index: BundleIndex, i: int, ch: ProjectChange, errors: list[dict[str, Any]], notes: list[str], when: _When
) -> list[tuple[str, Shock]]:
    """A project as shocks on the measures its parts belong to, where it happens (``placement``)."""
    year = placement.start_year(ch, when.today)
    got, missing = placement.project_shocks(index, i, ch, year)
    notes.extend(missing)
    if not got:
        errors.append(err(["changes", i, "place"], f"nothing in this bundle at {ch.place} or its parents"))
        return []
    when.starts[i] = str(year)
    if not when.counterfactual and year <= when.today.year - 1:
        errors.append(
            err(
                ["changes", i, "start"],
                f"{year} is wholly in the past (today is {when.today.isoformat()}): set counterfactual = true "
                "to ask what would have happened instead",
            )
        )
        return []
    return [(sid, Shock(d, label)) for sid, d, label in got]


def _scope_field(index: BundleIndex, ch: ShockChange, cands: list[str]) -> str:
    series = index.series
    if cands:
        return "frequency"
    if not any(s.startswith(ch.measure + ".") for s in series):
        return "measure"
    if not any(s.startswith(f"{ch.measure}.{ch.geography}.") for s in series):
        return "geography"
    if ch.frequency is None:
        return "cluster"
    return (
        "cluster"
        if not any(s.startswith(f"{ch.measure}.{ch.geography}.{ch.cluster}.") for s in series)
        else "frequency"
    )


def _scope_msg(ch: ShockChange, cands: list[str]) -> str:
    if cands:
        return f"{len(cands)} series match {ch.measure}/{ch.geography}/{ch.cluster}: {cands}; give frequency"
    return f"no series {ch.measure}.{ch.geography}.{ch.cluster}.{ch.frequency or '*'} in this bundle"


__all__ = ["MAX_RATIO", "DriverPath", "Plan", "Shock", "driver_series", "validate"]
