"""Tree projection: a scenario's differences inside one summing tree (a unit of the bundle index).

Step 3 of ``propagate``'s docstring: the broadest transmitted node wins; its difference is shared down to
the bottom series by the estimated exposures (each child's share of its parent's changes, drawn with
their se and renormalised per draw), or by baseline shares where the exposures are missing or not
identified. Explicit driver paths replace what is under them and shocks add on top (shared by baseline
shares). Every member is then the sum of its bottom series, per draw, so results add up as the baseline
does. Why apart from the links: allocation and the notes that explain it are about the tree, whatever
moved its nodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecasting.scenarios.index import Unit, rng_for
from forecasting.scenarios.inputs import TINY, ProjectionInputs
from forecasting.scenarios.state import State, Transmitted
from forecasting.scenarios.transmitted import LinkTransmission


class TreeProjection:
    """Every member's state in the trees a projection needs, written into the inputs' ``states``."""

    def __init__(self, inputs: ProjectionInputs, links: LinkTransmission) -> None:
        self.index, self.plan, self.seed, self.n = inputs.index, inputs.plan, inputs.seed, inputs.n
        self.states, self.bdraw = inputs.states, inputs.bdraw
        self.transmitted = links.transmitted

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
