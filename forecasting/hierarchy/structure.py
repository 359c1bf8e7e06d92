"""Summing structure for geography x cluster series (the ``S`` matrix reconciliation needs).

Within each ``(measure, cluster, frequency)`` of a *summable* measure, an aggregate geography joins the
hierarchy only when **every** child of one of its exact partitions is present as a series: a partial
set of children says nothing about how the parent splits, so it must not constrain the forecast.
Partitions come in as a plain ``dict[parent, list[child]]`` (the training job passes
``forecasting.reference.geography.load_geography().partitions()``), so the engine does not depend on the
reference data.

Rows of ``S`` are ordered aggregates first (top-down by depth), then the bottom series, so
``S = [[A], [I]]`` and ``values[n_all - n_bottom:]`` is the bottom level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from forecasting.vocabulary import series_id as make_series_id

GroupKey = tuple[str, str, str]  # (measure, cluster, frequency)
Level = str | int
SERIES_COLUMNS = ("series_id", "measure", "geography", "cluster", "frequency")
DENSE_LIMIT = 4_000_000  # S entries above which build_hierarchy stores S as scipy.sparse CSR by default


@dataclass(eq=False)
class Hierarchy:
    """Grouped summing structure; independent trees sit in separate blocks of ``S``."""

    S: np.ndarray | sparse.csr_matrix  # (n_all, n_bottom) 0/1; CSR for large hierarchies
    all_ids: list[str]
    bottom_ids: list[str]
    levels: dict[str, Level]  # geography level name (or depth from the tree's top when unknown)
    edges: pd.DataFrame  # parent_id, child_id, measure, cluster, frequency
    groups: dict[GroupKey, list[str]]  # ids per (measure, cluster, frequency), in all_ids order
    blocks: list[list[str]]  # connected trees, ids in all_ids order (reconciliation works per block)
    unstructured: list[str] = field(default_factory=list)  # input series in no tree

    @property
    def n_all(self) -> int:
        return len(self.all_ids)

    @property
    def n_bottom(self) -> int:
        return len(self.bottom_ids)

    @property
    def aggregate_ids(self) -> list[str]:
        return self.all_ids[: self.n_all - self.n_bottom]

    @cached_property
    def index(self) -> dict[str, int]:
        """Row of each id in ``S`` / in arrays aligned with ``all_ids``."""
        return {sid: i for i, sid in enumerate(self.all_ids)}

    @property
    def bottom_rows(self) -> np.ndarray:
        return np.arange(self.n_all - self.n_bottom, self.n_all)

    @property
    def is_sparse(self) -> bool:
        return sparse.issparse(self.S)

    def S_sparse(self) -> sparse.csr_matrix:
        """``S`` as CSR (a copy when ``S`` is dense)."""
        return self.S.tocsr() if self.is_sparse else sparse.csr_matrix(self.S)

    def S_block(self, rows: Sequence[int] | np.ndarray, cols: Sequence[int] | np.ndarray) -> np.ndarray:
        """Dense ``S[rows][:, cols]`` whatever the storage (blocks are small even when ``S`` is not)."""
        if self.is_sparse:
            return self.S[np.asarray(rows)][:, np.asarray(cols)].toarray()
        return self.S[np.ix_(np.asarray(rows), np.asarray(cols))]

    def aggregate(self, bottom: np.ndarray) -> np.ndarray:
        """``S @ bottom`` as a dense array, for bottom values ``(n_bottom, ...)``."""
        b = np.asarray(bottom, dtype=float)
        out = np.asarray(self.S @ b.reshape(self.n_bottom, -1))
        return out.reshape((self.n_all, *b.shape[1:]))

    def ids_at_level(self, level: Level) -> list[str]:
        return [sid for sid in self.all_ids if self.levels[sid] == level]

    def children(self, parent_id: str) -> list[str]:
        return self.edges.loc[self.edges["parent_id"] == parent_id, "child_id"].tolist()

    def block_indices(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per block: (rows into ``all_ids``, columns into ``bottom_ids``)."""
        idx = self.index
        bidx = {sid: j for j, sid in enumerate(self.bottom_ids)}
        out = []
        for ids in self.blocks:
            rows = np.array([idx[s] for s in ids], dtype=int)
            cols = np.array([bidx[s] for s in ids if s in bidx], dtype=int)
            out.append((rows, cols))
        return out

    def subset(self, ids: Iterable[str]) -> Hierarchy:
        """The hierarchy restricted to the blocks containing any of ``ids`` (whole trees only)."""
        wanted = set(ids)
        keep = [b for b in self.blocks if wanted.intersection(b)]
        keep_ids = {s for b in keep for s in b}
        all_ids = [s for s in self.all_ids if s in keep_ids]
        bottom_ids = [s for s in self.bottom_ids if s in keep_ids]
        rows = [self.index[s] for s in all_ids]
        bpos = {s: j for j, s in enumerate(self.bottom_ids)}
        S = self.S_block(rows, [bpos[s] for s in bottom_ids])
        if self.is_sparse:
            S = sparse.csr_matrix(S)
        edges = self.edges[self.edges["parent_id"].isin(keep_ids)].reset_index(drop=True)
        groups = {k: [s for s in v if s in keep_ids] for k, v in self.groups.items()}
        return Hierarchy(
            S=S,
            all_ids=all_ids,
            bottom_ids=bottom_ids,
            levels={s: self.levels[s] for s in all_ids},
            edges=edges,
            groups={k: v for k, v in groups.items() if v},
            blocks=keep,
            unstructured=[],
        )


def _summable_fn(summable: Callable[[str], bool] | set[str] | frozenset[str]) -> Callable[[str], bool]:
    if callable(summable):
        return summable
    names = set(summable)
    return names.__contains__


def _parents_of(partitions: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    parents: dict[str, list[str]] = {}
    for p, kids in partitions.items():
        for c in kids:
            parents.setdefault(c, []).append(p)
    return parents


def _group_tree(
    present: set[str],
    partitions: Mapping[str, Sequence[str]],
    remainders: Mapping[str, str] | None = None,
) -> tuple[dict[str, list[str]], dict[str, frozenset[str]]]:
    """Expanded parents (all children present, plus their remainder child when it is) and leaf sets."""
    rem = remainders or {}
    expanded = {
        p: list(kids) + ([rem[p]] if rem.get(p) in present else [])
        for p, kids in partitions.items()
        if p in present and kids and all(c in present for c in kids) and p not in kids
    }
    leaves: dict[str, frozenset[str]] = {}

    def leaf_set(node: str, stack: tuple[str, ...]) -> frozenset[str]:
        if node in leaves:
            return leaves[node]
        if node in stack:
            raise ValueError(f"partitions contain a cycle through {node!r}")
        if node not in expanded:
            out = frozenset([node])
        else:
            out = frozenset().union(*(leaf_set(c, (*stack, node)) for c in expanded[node]))
        leaves[node] = out
        return out

    for p in expanded:
        leaf_set(p, ())
    return expanded, leaves


def _check_nested(leaf_ids: set[str], parents: dict[str, list[str]]) -> None:
    """Leaves must not sit inside one another, otherwise ``S`` would double count."""
    for leaf in leaf_ids:
        seen: set[str] = set()
        todo = list(parents.get(leaf, []))
        while todo:
            a = todo.pop()
            if a in seen:
                continue
            if a in leaf_ids:
                raise ValueError(
                    f"partitions are not nested: bottom series {leaf!r} lies inside bottom series {a!r}"
                )
            seen.add(a)
            todo.extend(parents.get(a, []))


def _depths(expanded: dict[str, list[str]], nodes: Iterable[str]) -> dict[str, int]:
    """Depth from the top of the tree (roots 0); a node reachable from several roots takes the longest path."""
    kids_of = expanded
    has_parent = {c for kids in kids_of.values() for c in kids}
    depth: dict[str, int] = {}
    frontier = [(n, 0) for n in nodes if n not in has_parent]
    while frontier:
        node, d = frontier.pop()
        if depth.get(node, -1) >= d:
            continue
        depth[node] = d
        frontier.extend((c, d + 1) for c in kids_of.get(node, []))
    return depth


def _components(nodes: list[str], edges: list[tuple[str, str]]) -> list[set[str]]:
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    comps: dict[str, set[str]] = {}
    for n in nodes:
        comps.setdefault(find(n), set()).add(n)
    return list(comps.values())


def _series_frame(series: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in SERIES_COLUMNS[1:] if c not in series.columns]
    if missing:
        raise ValueError(f"series frame is missing columns {missing}; needs {list(SERIES_COLUMNS)}")
    df = series.loc[:, [c for c in SERIES_COLUMNS if c in series.columns]].astype(str).copy()
    if "series_id" not in df.columns:
        df["series_id"] = [
            make_series_id(m, g, c, f)
            for m, g, c, f in zip(df["measure"], df["geography"], df["cluster"], df["frequency"], strict=True)
        ]
    df = df.drop_duplicates()
    dup = df["series_id"].duplicated(keep=False)
    if dup.any():
        raise ValueError(f"series_id not unique: {sorted(set(df.loc[dup, 'series_id']))[:5]}")
    dup = df.duplicated(["measure", "geography", "cluster", "frequency"], keep=False)
    if dup.any():
        raise ValueError("two series_ids share one (measure, geography, cluster, frequency)")
    return df.reset_index(drop=True)


def build_hierarchy(
    series: pd.DataFrame,
    partitions: Mapping[str, Sequence[str]],
    summable: Callable[[str], bool] | set[str] | frozenset[str],
    *,
    level_of: Callable[[str], Level] | None = None,
    sparse_s: bool | None = None,
    remainders: Mapping[str, str] | None = None,
) -> Hierarchy:
    """Summing structure over geography within each (measure, cluster, frequency) of summable measures.

    ``series`` has columns ``series_id, measure, geography, cluster, frequency`` (one row per series;
    ``series_id`` is derived when absent). ``level_of(geography)`` names levels (default: tree depth).
    Series in no complete partition are returned in ``Hierarchy.unstructured``. ``sparse_s``: store ``S``
    as CSR (None: only when it has more than ``DENSE_LIMIT`` entries, e.g. every cluster x measure).
    ``remainders`` maps a parent to an extra child that completes its partition where that child's series
    exists (a published total larger than the sum of its published parts keeps the difference as a child).
    """
    df = _series_frame(series)
    is_summable = _summable_fn(summable)
    parents = _parents_of(partitions)
    agg_rows: list[tuple[GroupKey, int, str]] = []  # (group, depth, sid) for sorting
    bottom: list[tuple[GroupKey, str]] = []
    levels: dict[str, Level] = {}
    edge_rows: list[tuple[str, str, str, str, str]] = []
    leaf_sets: dict[str, frozenset[str]] = {}  # sid -> bottom sids
    comp_edges: list[tuple[str, str]] = []
    in_tree: set[str] = set()

    for (measure, cluster, freq), g in df.groupby(["measure", "cluster", "frequency"], sort=True):
        if not is_summable(measure):
            continue
        sid_of = dict(zip(g["geography"], g["series_id"], strict=True))
        expanded, leaves = _group_tree(set(sid_of), partitions, remainders)
        if not expanded:
            continue
        key: GroupKey = (measure, cluster, freq)
        leaf_geos = set().union(*leaves.values()) if leaves else set()
        _check_nested(leaf_geos, parents)
        nodes = sorted(set(expanded) | {c for kids in expanded.values() for c in kids})
        depth = _depths(expanded, nodes)
        for geo in nodes:
            sid = sid_of[geo]
            in_tree.add(sid)
            levels[sid] = level_of(geo) if level_of is not None else depth[geo]
            leaf_sets[sid] = frozenset(sid_of[x] for x in leaves.get(geo, frozenset([geo])))
            if geo in expanded:
                agg_rows.append((key, depth[geo], sid))
            else:
                bottom.append((key, sid))
        for p, kids in expanded.items():
            for c in kids:
                edge_rows.append((sid_of[p], sid_of[c], measure, cluster, freq))
                comp_edges.append((sid_of[p], sid_of[c]))

    agg_ids = [sid for _, _, sid in sorted(agg_rows)]
    bottom_ids = [sid for _, sid in sorted(bottom)]
    all_ids = agg_ids + bottom_ids
    bpos = {sid: j for j, sid in enumerate(bottom_ids)}
    r_idx = [i for i, sid in enumerate(all_ids) for _ in leaf_sets[sid]]
    c_idx = [bpos[b] for sid in all_ids for b in leaf_sets[sid]]
    S_csr = sparse.csr_matrix(
        (np.ones(len(r_idx)), (r_idx, c_idx)), shape=(len(all_ids), len(bottom_ids)), dtype=float
    )
    dense = len(all_ids) * len(bottom_ids) <= DENSE_LIMIT if sparse_s is None else not sparse_s
    S = S_csr.toarray() if dense else S_csr

    order = {sid: i for i, sid in enumerate(all_ids)}
    blocks = sorted(
        (sorted(c, key=order.__getitem__) for c in _components(all_ids, comp_edges)),
        key=lambda b: order[b[0]],
    )
    key_of = {
        sid: (m, c, f)
        for sid, m, c, f in zip(df["series_id"], df["measure"], df["cluster"], df["frequency"], strict=True)
    }
    groups: dict[GroupKey, list[str]] = {}
    for sid in all_ids:
        groups.setdefault(key_of[sid], []).append(sid)
    edges = pd.DataFrame(edge_rows, columns=["parent_id", "child_id", "measure", "cluster", "frequency"])
    edges = edges.sort_values(["parent_id", "child_id"], key=lambda s: s.map(order)).reset_index(drop=True)
    return Hierarchy(
        S=S,
        all_ids=all_ids,
        bottom_ids=bottom_ids,
        levels=levels,
        edges=edges,
        groups=groups,
        blocks=blocks,
        unstructured=[s for s in df["series_id"] if s not in in_tree],
    )


def _wide_values(values: Any, hierarchy: Hierarchy) -> pd.DataFrame:
    """Rows = ``all_ids``, columns = periods, from an array, a wide frame or a long frame."""
    if isinstance(values, np.ndarray):
        arr = values.reshape(len(values), -1) if values.ndim == 1 else values
        if arr.shape[0] != hierarchy.n_all:
            raise ValueError(f"values has {arr.shape[0]} rows, hierarchy has {hierarchy.n_all}")
        return pd.DataFrame(arr, index=hierarchy.all_ids)
    if isinstance(values, pd.DataFrame) and {"series_id", "value"} <= set(values.columns):
        col = "period" if "period" in values.columns else None
        wide = (
            values.pivot_table(index="series_id", columns=col, values="value", aggfunc="first", dropna=False)
            if col
            else values.set_index("series_id")[["value"]]
        )
        return wide.reindex(hierarchy.all_ids)
    if isinstance(values, pd.DataFrame):
        return values.reindex(hierarchy.all_ids)
    raise TypeError("values must be an (n_all, T) array, a wide frame indexed by series_id, or a long frame")


def coherence_gaps(values: np.ndarray | pd.DataFrame, hierarchy: Hierarchy) -> pd.DataFrame:
    """How far observed parents are from the sum of their children, per edge set and period.

    Published aggregates often differ from sums of parts (rounding, disclosure suppression); this says by
    how much before reconciliation forces them to agree. ``values`` is ``(n_all, T)`` aligned with
    ``all_ids``, a wide frame indexed by series_id, or a long frame ``series_id, period, value``.
    Returns ``parent_id, period, parent, children_sum, n_children, n_missing, gap, rel_gap`` where
    ``gap = parent - children_sum`` (children_sum over the children observed in that period).
    """
    wide = _wide_values(values, hierarchy)
    periods = list(wide.columns)
    out = []
    for parent, kids in hierarchy.edges.groupby("parent_id", sort=False)["child_id"]:
        kid_vals = wide.loc[list(kids)].to_numpy(dtype=float)
        par = wide.loc[parent].to_numpy(dtype=float)
        n_missing = np.isnan(kid_vals).sum(axis=0)
        csum = np.where(n_missing == len(kids), np.nan, np.nansum(kid_vals, axis=0))
        gap = par - csum
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(np.abs(par) > 0, gap / np.abs(par), np.where(gap == 0, 0.0, np.nan))
        out.append(
            pd.DataFrame(
                {
                    "parent_id": parent,
                    "period": periods,
                    "parent": par,
                    "children_sum": csum,
                    "n_children": len(kids),
                    "n_missing": n_missing,
                    "gap": gap,
                    "rel_gap": rel,
                }
            )
        )
    cols = ["parent_id", "period", "parent", "children_sum", "n_children", "n_missing", "gap", "rel_gap"]
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)


def is_coherent(values: np.ndarray, hierarchy: Hierarchy, atol: float = 1e-6) -> bool:
    """True when every aggregate row equals ``S`` times the bottom rows (values ``(n_all, ...)``)."""
    v = np.asarray(values, dtype=float).reshape(hierarchy.n_all, -1)
    return bool(np.allclose(hierarchy.aggregate(v[hierarchy.bottom_rows]), v, rtol=0.0, atol=atol))


__all__ = [
    "GroupKey",
    "Hierarchy",
    "build_hierarchy",
    "coherence_gaps",
    "is_coherent",
]
