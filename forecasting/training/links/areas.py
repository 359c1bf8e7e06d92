"""Which modelled series sit above which: the geography's ancestors and partitions among modelled series."""

from __future__ import annotations

import pandas as pd

from forecasting.errors import NotFound
from forecasting.vocabulary import parse_series_id, series_id


def _ancestors(geography: str) -> list[str]:
    from forecasting.reference.geography import load_geography

    try:
        return load_geography().ancestors(geography)
    except KeyError:
        return []


def area_level(geography: str) -> str:
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
