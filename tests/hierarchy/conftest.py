"""Random grouped hierarchies for property-style reconciliation tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from forecasting.hierarchy.structure import Hierarchy, build_hierarchy


def random_partitions(rng: np.random.Generator, root: str, max_depth: int = 3) -> dict[str, list[str]]:
    """A ragged tree under ``root``: each node splits into 2-4 children with decreasing probability."""
    parts: dict[str, list[str]] = {}
    frontier = [(root, 0)]
    while frontier:
        node, d = frontier.pop()
        if d == 0 or (d < max_depth and rng.random() < 0.6):
            kids = [f"{node}x{i}" for i in range(int(rng.integers(2, 5)))]
            parts[node] = kids
            frontier.extend((k, d + 1) for k in kids)
    return parts


def make_random_hierarchy(seed: int, sparse_s: bool | None = None) -> Hierarchy:
    """Two or three independent trees (different clusters / roots) plus a non-summable measure."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[str]] = {}
    roots = [f"R{i}" for i in range(int(rng.integers(2, 4)))]
    for r in roots:
        parts.update(random_partitions(rng, r))
    geos = sorted(set(parts) | {c for kids in parts.values() for c in kids})
    rows = [
        {"measure": m, "geography": g, "cluster": c, "frequency": "A"}
        for m in ("jobs", "rate")
        for c in ("all", "c1")
        for g in geos
    ]
    return build_hierarchy(pd.DataFrame(rows), parts, {"jobs"}, sparse_s=sparse_s)


@pytest.fixture
def random_hierarchy() -> Callable[..., Hierarchy]:
    return make_random_hierarchy
