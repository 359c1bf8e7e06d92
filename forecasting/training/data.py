"""The panel a training job reads: warehouse rows for the configured measures, derived aggregates,
and (for real-time backtests) each series' publication history."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.training.config import ConfigError, ExperimentConfig
from forecasting.training.tracking import frame_digest
from forecasting.vocabulary import months_per_period, period_label, series_id


@dataclass
class TrainingData:
    """The panel a job trains on (warehouse rows) plus its catalogue and provenance."""

    panel: (
        pd.DataFrame
    )  # series_id, measure, geography, cluster, frequency, period, value, source, vintage, is_synthetic
    catalogue: pd.DataFrame  # one row per series (warehouse catalogue columns)
    vintage: str
    source: str  # where it came from (warehouse path), for the dataset input
    as_of: str | None = None
    # series id -> its publication history, for real-time backtests ([backtest] real_time = true)
    published: dict[str, Any] = field(default_factory=dict)
    # The present of this vintage (the as-of date, or when the vintage was ingested): periods after a
    # series' last observation that began by then are nowcasts, later ones forecasts.
    present: pd.Timestamp | None = None
    # series id -> what was done to its published history before modelling (e.g. cut at a gap)
    notes: dict[str, str] = field(default_factory=dict)
    # the warehouse file the panel was read from (None: a panel built in memory), for the job's later reads
    warehouse: Path | None = None

    @cached_property
    def digest(self) -> str:
        cols = ["series_id", "period", "value"]
        return frame_digest(
            self.panel.loc[:, cols].sort_values(["series_id", "period"]).reset_index(drop=True)
        )


def is_date(text: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def expand_tree_codes(codes: list[str], geo: Any) -> list[str]:
    """``"X/*"`` -> every partitioned area below X, deepest level first, then X; other codes unchanged."""
    out: list[str] = []
    for code in codes:
        if not code.endswith("/*"):
            out.append(code)
            continue
        root = code[:-2]
        parts = geo.partitions()
        below = [c for c in geo.descendants(root) if c in parts]
        depth = {c: len(geo.ancestors(c)) for c in below}
        out += sorted(below, key=lambda c: (-depth[c], c)) + [root]
    return list(dict.fromkeys(out))


def _absent_as_zero(present: pd.DataFrame, missing: list[str]) -> pd.DataFrame:
    """Zero series for areas a complete listing never mentions, over the periods it covers."""
    first = present.iloc[0]
    periods = sorted(present["period"].unique())
    rows = []
    for geo in missing:
        rows.append(
            pd.DataFrame(
                {
                    "series_id": f"{first['measure']}.{geo}.{first['cluster']}.{first['frequency']}",
                    "measure": first["measure"],
                    "geography": geo,
                    "cluster": first["cluster"],
                    "frequency": first["frequency"],
                    "period": periods,
                    "value": 0.0,
                    "source": "absent from listing (zero)",
                    "vintage": present["vintage"].max(),
                    "is_synthetic": bool(present["is_synthetic"].any()),
                    **({"release": present["release"].max()} if "release" in present else {}),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def scope_panel(panel: pd.DataFrame, within: dict[str, str], lad_within: dict[str, str]) -> pd.DataFrame:
    """Keep a measure's series inside ``within[measure]`` and its LA series inside ``lad_within[measure]``.

    Why: a measure published for every Local Authority brings 361 series, several times the rest of its
    tree; an experiment says where they are worth their training time (the Midlands for a Midlands
    service). Done before ``derive_aggregates``, so a kept total is still summed from every part inside.
    """
    if panel.empty or not (within or lad_within):
        return panel
    from forecasting.reference.geography import load_geography

    geo = load_geography()
    codes = panel["geography"].unique()
    lineage = {c: {c, *geo.ancestors(c)} for c in codes}
    is_lad = {c: geo.area(c).level == "lad" for c in codes}
    keep = pd.Series(True, index=panel.index)
    for measure, area in within.items():
        rows = panel["measure"] == measure
        keep &= ~rows | panel["geography"].map(lambda c, a=area: a in lineage[c]).astype(bool)
    for measure, area in lad_within.items():
        rows = (panel["measure"] == measure) & panel["geography"].map(is_lad).astype(bool)
        keep &= ~rows | panel["geography"].map(lambda c, a=area: a in lineage[c]).astype(bool)
    return panel[keep]


def derive_aggregates(panel: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Add parent-geography series (e.g. MID = TLF + TLG) for summable measures where every child is there.

    Codes are derived in the order given, each from the panel as extended so far, so listing ITL3 areas,
    then ITL2, ITL1 and MID builds a whole tree from Local Authority series; ``"MID/*"`` lists exactly
    that (every partitioned area under MID, finest first, then MID). Only periods every child observes
    are summed; rows carry ``source = derived(<children>)``. For complete listings (partner exports), an
    area the listing never mentions gets an explicit zero series (``source = absent from listing (zero)``).

    A published parent is kept, except when a later release of its parts supersedes it: every part comes
    from a newer publisher release and observes later periods (the 2025 local-authority GDP to 2023 under
    ITL3 GDP of the 2024 release, which ends 2021). Its series is then the sum of those parts, one release
    throughout, rather than an older total that would disagree with its parts by the revisions.
    """
    if not codes or panel.empty:
        return panel
    from forecasting.reference.geography import load_geography
    from forecasting.reference.measures import load_measures

    geo, measures = load_geography(), load_measures()
    parts = geo.partitions()
    have = set(panel["series_id"])
    info = _series_info(panel)
    keys = ["measure", "cluster", "frequency"]
    for code in expand_tree_codes(codes, geo):
        new = []
        superseded: set[str] = set()
        kids = parts.get(code)
        if not kids:
            raise ConfigError(
                f"data.derive_aggregates: {code!r} has no exact partition into child geographies"
            )
        sub = panel[panel["geography"].isin(kids)]
        if sub.empty:
            continue
        chosen: list[pd.DataFrame] = []  # the parts (and zero series) of every parent derived here
        for (m, c, f), g in sub.groupby(keys, sort=True):
            sid = series_id(m, code, c, f)
            if not measures[m].summable:
                continue
            if sid in have:
                parts_ids = [series_id(m, k, c, f) for k in kids]
                if not _superseded_by_parts(sid, parts_ids, info):
                    continue
                superseded.add(sid)
            if set(g["geography"]) != set(kids):
                if not measures[m].complete_listing:
                    continue
                zeros = _absent_as_zero(g, sorted(set(kids) - set(g["geography"])))
                new.append(zeros)
                have.update(zeros["series_id"])
                g = pd.concat([g, zeros], ignore_index=True)
            chosen.append(g)
        if chosen:
            sums = _sum_parts(pd.concat(chosen, ignore_index=True), keys, len(kids))
            if not sums.empty:
                sums["series_id"] = [
                    series_id(m, code, c, f) for m, c, f in sums[keys].itertuples(index=False)
                ]
                sums["geography"] = code
                sums["source"] = f"derived({'+'.join(kids)})"
                new.append(sums)
                have.update(sums["series_id"])
        if superseded:
            panel = panel[~panel["series_id"].isin(superseded)]
        if new:
            info.update(_series_info(pd.concat(new, ignore_index=True)))
            panel = pd.concat([panel, *new], ignore_index=True)
    return panel.sort_values(["series_id", "period"]).reset_index(drop=True)


def _sum_parts(rows: pd.DataFrame, keys: list[str], n_parts: int) -> pd.DataFrame:
    """Per ``keys`` group, the sum over its parts in every period all ``n_parts`` of them observe, with
    the group's newest vintage (and release) and synthetic if any part is: one grouped pass over all
    parents of a level instead of a pivot per parent (what made loading the panel cost seconds)."""
    obs = rows[rows["value"].notna()].drop_duplicates([*keys, "geography", "period"])
    per = obs.groupby([*keys, "period"], sort=True)["value"].agg(["sum", "size"])
    per = per[per["size"] == n_parts].drop(columns="size").rename(columns={"sum": "value"}).reset_index()
    if per.empty:
        return per
    grp = rows.groupby(keys, sort=True)
    meta = pd.DataFrame({"vintage": grp["vintage"].max(), "is_synthetic": grp["is_synthetic"].any()})
    if "release" in rows:
        meta["release"] = grp["release"].max()
    return per.merge(meta.reset_index(), on=keys, how="left")


def _series_info(panel: pd.DataFrame) -> dict[str, tuple[str, pd.Timestamp, str]]:
    """Per series: newest release ("" when unknown), last period, source (what supersession compares)."""
    if "release" not in panel or panel.empty:
        return {}
    g = panel.groupby("series_id", sort=False)
    agg = pd.DataFrame({"end": g["period"].max(), "source": g["source"].first().astype(str)})
    agg["release"] = _newest_release(panel).reindex(agg.index).astype(str)
    return {sid: (r.release, r.end, r.source) for sid, r in zip(agg.index, agg.itertuples(), strict=True)}


def _newest_release(panel: pd.DataFrame) -> pd.Series:
    """Each series' newest release (a series with none is absent): a sort, not a grouped ``max`` over
    text, which pandas runs as a Python loop per series."""
    rel = panel.loc[panel["release"].notna(), ["series_id", "release"]]
    last = rel.sort_values(["series_id", "release"]).drop_duplicates("series_id", keep="last")
    return last.set_index("series_id")["release"]


def _superseded_by_parts(
    parent: str, parts: list[str], info: dict[str, tuple[str, pd.Timestamp, str]]
) -> bool:
    """Every part is from a newer release than the parent and runs past the parent's last period."""
    if parent not in info or any(p not in info for p in parts):
        return False
    release, end, source = info[parent]
    if source.startswith("derived(") or not release or release in ("nan", "None", "NaT"):
        return False
    return all(info[p][0] > release and info[p][1] > end for p in parts)


def last_contiguous_run(panel: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Each series cut to its last run of consecutive periods; a note for every series that was cut.

    Why: 28 WDI economies have missing years, and fitting over a gap joins, say, 1995 to 2001 as if they
    were one year apart. The older stretch before the last gap is left out rather than filled.
    """
    if panel.empty:
        return panel, {}
    p = panel.sort_values(["series_id", "period"], kind="stable").reset_index(drop=True)
    starts = pd.DatetimeIndex(p["period"])
    months = pd.Series(starts.year * 12 + starts.month, index=p.index)
    step = p["frequency"].map({f: months_per_period(f) for f in p["frequency"].unique()})
    same = p["series_id"].eq(p["series_id"].shift())
    gap = same & months.diff().ne(step)
    run = gap.groupby(p["series_id"]).cumsum()
    last = run.groupby(p["series_id"]).transform("max")
    keep = run.eq(last)
    notes: dict[str, str] = {}
    for sid in p.loc[gap & keep, "series_id"].unique():
        rows = p.index[p["series_id"] == sid]
        first = rows[keep[rows].to_numpy()][0]
        freq = str(p.at[first, "frequency"])
        before, after = (
            period_label(p.at[first - 1, "period"], freq),
            period_label(p.at[first, "period"], freq),
        )
        notes[str(sid)] = (
            f"gap in the published series between {before} and {after}: modelled from {after} "
            f"({int((~keep[rows]).sum())} earlier observations left out)"
        )
    return p[keep].reset_index(drop=True), notes


def add_unallocated(panel: pd.DataFrame) -> pd.DataFrame:
    """For a published parent whose published parts do not add up to it, an explicit residual child.

    ``measure.<parent>-UNALLOC.cluster.freq`` holds parent minus the sum of its parts in every period all
    of them observe, so reconciliation keeps the published parent instead of forcing it down to the sum
    of its parts (the UK inward FDI position exceeds its 12 regions by 0.4-11.8%). Parents within 0.1% of
    their parts in every period, or within the rounding of the published figures (half a unit for the
    parent and for each part: GFCF of a district is a few GBP million, rounded to 1), get no residual;
    nor does a parent published in another release than its parts (the gap is then revisions, not an
    unallocated part: GVA of the North East from the 2025 release over its ITL 2021 ITL2 areas, last
    published in 2024).
    """
    from forecasting.reference.geography import load_geography
    from forecasting.reference.measures import load_measures

    geo, measures = load_geography(), load_measures()
    have = set(panel["series_id"])
    new = []
    rows_of = panel.groupby("geography", sort=False).indices
    newest = _newest_release(panel).astype(str).to_dict() if "release" in panel else {}
    for parent, kids in geo.partitions().items():
        if any(a not in rows_of for a in (parent, *kids)):
            continue  # no group can hold the parent and every part
        sub = panel.iloc[np.sort(np.concatenate([rows_of[a] for a in (parent, *kids)]))]
        for (m, c, f), g in sub.groupby(["measure", "cluster", "frequency"], sort=True):
            spec = measures[m]
            if not spec.summable or spec.complete_listing or set(g["geography"]) != {parent, *kids}:
                continue
            if str(g.loc[g["geography"] == parent, "source"].iloc[0]).startswith("derived("):
                continue  # a derived parent is the sum of its parts by construction
            if "release" in g and len({newest.get(series_id(m, a, c, f)) for a in (parent, *kids)}) > 1:
                continue  # parent and parts from different releases: their gap is revisions
            obs = g.loc[g["value"].notna(), ["period", "geography", "value"]]
            wide = (
                obs.drop_duplicates(["period", "geography"])
                .pivot(index="period", columns="geography", values="value")
                .dropna()
            )
            if wide.empty:
                continue
            resid = wide[parent] - wide[kids].sum(axis=1)
            if float((resid.abs() / wide[parent].abs().clip(lower=1e-12)).max()) <= 1e-3:
                continue
            if float(resid.abs().max()) <= 0.5 * (len(kids) + 1):
                continue
            code = geo.unallocated_code(parent)
            sid = series_id(m, code, c, f)
            if sid in have:
                continue
            new.append(
                _derived_rows(
                    wide.index,
                    resid.to_numpy(),
                    g,
                    sid,
                    (m, code, c, f),
                    f"derived({parent}-({'+'.join(kids)}))",
                )
            )
            have.add(sid)
    if not new:
        return panel
    return (
        pd.concat([panel, *new], ignore_index=True)
        .sort_values(["series_id", "period"])
        .reset_index(drop=True)
    )


def load_training_data(
    cfg: ExperimentConfig, as_of: str | None = None, *, warehouse_path: Path
) -> TrainingData:
    """Read the configured panel from the warehouse (read-only), ``as_of`` a vintage id or release date."""
    from forecasting.warehouse.snapshot import WarehouseError, catalogue_from_observations, open_snapshot

    path = Path(warehouse_path)
    with open_snapshot(path, as_of) as wh:
        latest = wh.latest_vintage
        if latest is None:
            raise WarehouseError(
                f"warehouse {path} is empty: run `invest data ingest` (or `invest run`) first"
            )
        d = cfg.data
        panel = wh.panel(measures=d.measures, geographies=d.geographies or None, clusters=d.clusters or None)
        present = wh.present
        published = {}
        if cfg.backtest.real_time:
            from forecasting.training.published import published_histories

            published = published_histories(wh, sorted(panel["series_id"].unique()), as_of=as_of)
    if d.frequencies:
        panel = panel[panel["frequency"].isin(d.frequencies)]
    panel = scope_panel(panel, d.within, d.lad_within)
    panel = derive_aggregates(panel, d.derive_aggregates)
    panel, notes = last_contiguous_run(panel)
    panel = add_unallocated(panel)
    sizes = panel.groupby("series_id")["value"].size()
    keep = sorted(sizes.index[sizes >= d.min_observations])
    if d.max_series is not None:
        keep = keep[: d.max_series]
    panel = panel[panel["series_id"].isin(keep)].sort_values(["series_id", "period"]).reset_index(drop=True)
    if panel.empty:
        raise ConfigError(
            f"no series with >= {d.min_observations} observations for measures {d.measures} in {path}"
            + (f" as of {as_of}" if as_of else "")
        )
    vintage = as_of if as_of and not is_date(as_of) else (f"{latest}@release<={as_of}" if as_of else latest)
    # a cut series' release history is indexed by its uncut periods: no real-time backtest for it
    published = {s: h for s, h in published.items() if s in set(keep) and s not in notes}
    cat = catalogue_from_observations(panel)
    return TrainingData(panel, cat, str(vintage), str(path), as_of, published, present, notes, warehouse=path)


def _derived_rows(
    periods: pd.Index,
    values: np.ndarray,
    parts: pd.DataFrame,
    sid: str,
    key: tuple[str, str, str, str],
    source: str,
) -> pd.DataFrame:
    """Panel rows of a series derived from ``parts``: its newest vintage and release, synthetic if any part is."""
    measure, geography, cluster, frequency = key
    rows = pd.DataFrame({"period": periods, "value": values}).assign(
        series_id=sid,
        measure=measure,
        geography=geography,
        cluster=cluster,
        frequency=frequency,
        source=source,
        vintage=parts["vintage"].max(),
        is_synthetic=bool(parts["is_synthetic"].any()),
    )
    if "release" in parts:
        rows["release"] = parts["release"].max()
    return rows
