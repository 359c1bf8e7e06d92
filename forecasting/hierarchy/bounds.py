"""Bounds a child series' bands take from its parent's: a part of a sum of non-negative parts cannot
exceed the sum.

Why: a measure that may be negative in principle (a net inward FDI position) but whose series never were
gets bands bounded at 0 (``floor_from_history``). When every child of a parent is bounded at 0, each
child is at most the parent (the parent less its other, non-negative, children), so in the forecast
distribution the child is dominated by the parent and each of its quantiles is at most the parent's
quantile of the same probability in the same period. A child modelled on its own can have an upper band
above its parent's (a small region whose history jumped); :func:`parent_caps` gives each such child the
parent's quantiles as a ceiling, parents first (a capped parent caps its children), with the reason in
words. ``forecasting.evaluation.bands.enforce`` applies the ceiling and stays the last word: bands never
narrow and quantiles never cross even where that needs a band pushed back above the ceiling.

Edges are ``(parent_id, child_id)`` pairs of the summing structure (``structure.Hierarchy.edges``);
periods align parent and child step by step (period starts), so a child with a later last period is
capped only where the two forecasts share a period.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.vocabulary import at_probability

TOLERANCE = 1e-9  # relative: a quantile this close to its ceiling is not counted as capped


@dataclass(frozen=True)
class Cap:
    """A child's ceiling (probability -> per-step ceiling, ``inf`` where uncapped) and why."""

    parent: str
    ceiling: dict[float, np.ndarray]
    capped_steps: int  # steps where some quantile was above the parent's
    note: str


def parent_caps(
    quantiles: Mapping[str, Mapping[float, np.ndarray]],
    periods: Mapping[str, Sequence[Hashable]],
    edges: pd.DataFrame,
    floored: Mapping[str, bool],
) -> dict[str, Cap]:
    """Ceilings for children whose quantiles exceed their parent's (module doc).

    ``quantiles`` per series (probability -> ``(h,)``), ``periods`` the matching period starts,
    ``floored[s]`` True when the series' bands are bounded at 0 (or above). A parent caps its children
    only when every one of its children is floored. Returns caps only for children that needed one.
    """
    if edges is None or edges.empty:
        return {}
    children: dict[str, list[str]] = {}
    for p, c in zip(edges["parent_id"], edges["child_id"], strict=True):
        children.setdefault(str(p), []).append(str(c))
    current = {s: {float(p): np.asarray(v, dtype=float) for p, v in q.items()} for s, q in quantiles.items()}
    out: dict[str, Cap] = {}
    for parent in _top_down(children):
        kids = children[parent]
        if parent not in current or not all(floored.get(c, False) and c in current for c in kids):
            continue
        pos = {t: i for i, t in enumerate(periods[parent])}
        for child in kids:
            cap = _cap_one(current[child], current[parent], periods[child], pos, parent, len(kids))
            if cap is None:
                continue
            prev = out.get(child)
            if prev is not None:  # a child of two parents: the lower ceiling of the two
                cap = _tighter(prev, cap)
            out[child] = cap
            current[child] = {p: np.minimum(v, cap.ceiling[p]) for p, v in current[child].items()}
    return out


def _cap_one(
    child: Mapping[float, np.ndarray],
    parent: Mapping[float, np.ndarray],
    child_periods: Sequence[Hashable],
    parent_pos: Mapping[Hashable, int],
    parent_id: str,
    n_kids: int,
) -> Cap | None:
    h = len(child_periods)
    idx = np.array([parent_pos.get(t, -1) for t in child_periods], dtype=int)
    shared = idx >= 0
    if not shared.any():
        return None
    ceiling: dict[float, np.ndarray] = {}
    above = np.zeros(h, dtype=bool)
    for p, v in child.items():
        pv = at_probability(parent, p)
        c = np.full(h, np.inf)
        if pv is not None:
            c[shared] = pv[idx[shared]]
            above |= v > c + TOLERANCE * np.maximum(np.abs(c), 1.0)
        ceiling[p] = c
    k = int(above.sum())
    if k == 0:
        return None
    note = (
        f"bands capped at {parent_id}'s on {k} of {h} steps: its {n_kids - 1} sibling"
        f"{'s are' if n_kids != 2 else ' is'} bounded at 0, so it cannot exceed {parent_id}"
    )
    return Cap(parent_id, ceiling, k, note)


def _tighter(a: Cap, b: Cap) -> Cap:
    ceiling = {p: np.minimum(a.ceiling[p], b.ceiling[p]) for p in a.ceiling}
    return Cap(b.parent, ceiling, max(a.capped_steps, b.capped_steps), f"{a.note}; {b.note}")


def _top_down(children: Mapping[str, list[str]]) -> list[str]:
    """Parents ordered so that a parent comes before any parent below it (by depth from the top; the
    geography trees are a few levels deep, so the recursion is shallow)."""
    parents_of: dict[str, list[str]] = {}
    for p, kids in children.items():
        for c in kids:
            parents_of.setdefault(c, []).append(p)
    depth: dict[str, int] = {}

    def d(node: str, seen: frozenset[str]) -> int:
        if node not in depth:
            ups = [p for p in parents_of.get(node, []) if p not in seen]  # ``seen`` guards a cycle
            depth[node] = 1 + max(d(p, seen | {node}) for p in ups) if ups else 0
        return depth[node]

    return sorted(children, key=lambda p: (d(p, frozenset()), p))
