"""Cluster series from SIC slices: sum each cluster's SIC basket, once, at one resolution.

Apportionment rule (``derive_cluster_rows``):

* Only measures with ``derive_clusters = true`` and rows whose cluster is a SIC division ``sic-NN`` or
  subclass ``sic-NNNNN`` take part (sections and ranges like ``sic-C10-12`` are ignored).
* Per measure, one resolution is used: 5-digit if the measure has any 5-digit slices in ``obs``, else
  2-digit. Mixing resolutions would double count (a division and its subclasses).
* At 5-digit resolution a 5-digit basket entry takes its own slice and a 2-digit entry takes every
  5-digit slice it prefixes. At 2-digit resolution a 2-digit entry takes its slice; a 5-digit entry cannot
  be apportioned from its division (no employment shares are assumed), so it is skipped and recorded.
* Baskets never nest (checked in ``forecasting.reference.clusters``), so each slice is counted at most once
  per cluster, times the entry's apportioning share (``Cluster.share``: 1 unless the code is shared with
  another cluster, e.g. 30300 = 0.9 aerospace + 0.1 space). Slices missing for a geography/period
  (suppressed cells) contribute nothing.
* A cluster with a skipped entry would be a different basket under the same series id, so by default
  (``allow_partial=False``) no rows are emitted for that (measure, cluster); ``allow_partial=True`` emits
  the partial sums instead. Either way the skips are listed in ``result.attrs["skipped"]`` (columns
  ``measure, cluster, entry, reason``) and logged.

Derived rows keep the input's columns (canonical rows after geography normalisation), with
``cluster`` = cluster id and ``line = -1``.
"""

from __future__ import annotations

import logging

import pandas as pd

from forecasting.reference.clusters import Cluster
from forecasting.reference.measures import Measure

log = logging.getLogger(__name__)
SKIP_COLUMNS = ["measure", "cluster", "entry", "reason"]


def _basket_map(codes: pd.DataFrame, clusters: list[Cluster]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(measure, code) -> cluster id and share for the slices each basket takes, plus the skipped entries."""
    entries = pd.DataFrame(
        [(c.id, e, c.share(e)) for c in clusters for e in c.sic], columns=["cluster_id", "entry", "share"]
    ).assign(entry_len=lambda d: d["entry"].str.len())
    res = codes.groupby("measure")["code_len"].max().rename("res").reset_index()
    pairs = res.merge(entries, how="cross")
    # Candidate slices: the code's own 2-digit prefix or the code itself must equal the entry.
    cand = codes.assign(prefix=codes["code"].str[:2])
    by_exact = pairs.merge(cand, left_on=["measure", "entry"], right_on=["measure", "code"])
    by_prefix = pairs[pairs["entry_len"] == 2].merge(
        cand, left_on=["measure", "entry"], right_on=["measure", "prefix"]
    )
    hits = pd.concat([by_exact, by_prefix], ignore_index=True)
    hits = hits[hits["code_len"] == hits["res"]].drop_duplicates(["measure", "cluster_id", "code"])

    served = hits[["measure", "cluster_id", "entry"]].drop_duplicates().assign(_served=True)
    skipped = pairs.merge(served, on=["measure", "cluster_id", "entry"], how="left")
    skipped = skipped[skipped["_served"].isna()].copy()
    skipped["reason"] = "no slices for this code"
    skipped.loc[(skipped["entry_len"] == 5) & (skipped["res"] == 2), "reason"] = (
        "5-digit entry, only 2-digit data"
    )
    skipped = skipped.rename(columns={"cluster_id": "cluster"})[SKIP_COLUMNS].reset_index(drop=True)
    return hits[["measure", "code", "cluster_id", "share"]], skipped


def derive_cluster_rows(
    obs: pd.DataFrame, measures: dict[str, Measure], clusters: list[Cluster], *, allow_partial: bool = False
) -> pd.DataFrame:
    """Canonical cluster rows summed from SIC slices (see the module docstring for the rule)."""
    out_cols = list(obs.columns)
    derive = [m for m, spec in measures.items() if spec.derive_clusters]
    code = obs["cluster"].str.extract(r"^sic-(\d{2}|\d{5})$", expand=False)
    slices = obs[obs["measure"].isin(derive) & code.notna()].assign(code=code)
    empty = pd.DataFrame(columns=out_cols)
    empty.attrs["skipped"] = pd.DataFrame(columns=SKIP_COLUMNS)
    if slices.empty:
        return empty
    slices["code_len"] = slices["code"].str.len()
    codes = slices[["measure", "code", "code_len"]].drop_duplicates()
    mapping, skipped = _basket_map(codes, list(clusters))

    keys = [c for c in ("measure", "geography", "geo_system", "frequency", "period") if c in obs.columns]
    merged = slices.merge(mapping, on=["measure", "code"])
    merged["value"] = merged["value"] * merged["share"]
    out = merged.groupby([*keys, "cluster_id"], sort=True, observed=True)["value"].sum().reset_index()
    out = out.rename(columns={"cluster_id": "cluster"}).assign(line=-1)

    resolution_gaps = skipped[skipped["reason"] != "no slices for this code"]
    if not allow_partial and not resolution_gaps.empty:
        drop = resolution_gaps[["measure", "cluster"]].drop_duplicates().assign(_drop=True)
        out = out.merge(drop, on=["measure", "cluster"], how="left")
        out = out[out["_drop"].isna()].drop(columns="_drop")
    if not skipped.empty:
        log.info(
            "cluster derivation skipped %d basket entries: %s", len(skipped), skipped.to_dict("records")[:10]
        )
    out = out.reindex(columns=out_cols).reset_index(drop=True)
    out["line"] = out["line"].astype(int)
    out.attrs["skipped"] = skipped
    return out
