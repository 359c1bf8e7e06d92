"""`invest data …`: pull, ingest, list, show and vintages."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from forecasting.cli.common import (
    console,
    err_console,
    fail,
    format_value,
    get_settings,
    print_json,
    progress,
    user_errors,
)
from forecasting.errors import InvalidParameter

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(
    help="Pull published files, ingest them into the warehouse, and inspect series.", no_args_is_help=True
)


@app.command("pull")
def pull(
    mirror: Path | None = typer.Option(
        None, "--mirror", help="Directory holding the publishers' files (default: settings)."
    ),
    source: list[str] = typer.Option([], "--source", help="Only these source ids."),
    no_download: bool = typer.Option(False, "--no-download", help="Never contact publishers."),
) -> None:
    """Fill the raw cache, verifying every file's pinned sha256."""
    from forecasting.sources.pull import pull_all

    s = get_settings()
    with user_errors():
        results = pull_all(
            s.raw_cache, mirror or s.mirror, only=source or None, allow_download=not no_download
        )
    t = Table(title=f"raw cache: {s.raw_cache}")
    for c in ("source", "kind", "origin", "path"):
        t.add_column(c)
    for r in results:
        t.add_row(r.source.id, r.source.kind, r.origin, r.source.path)
    console.print(t)
    console.print(f"[green]{len(results)} files verified[/]")


def run_ingest(
    paths: list[Path], source: str | None, release: str | None, note: str = "", *, with_manifest: bool = False
) -> None:
    """Ingest PATHs, or (no PATHs, or ``with_manifest``) every pinned source in the raw cache, as one vintage."""
    from forecasting.sources.manifest import load_manifest
    from forecasting.warehouse.ingest import ingest, item_for_path, items_from_manifest
    from forecasting.warehouse.store import Warehouse

    s = get_settings()
    with user_errors():
        items = [item_for_path(p, source, release) for p in paths]
        if with_manifest or not paths:
            missing = [
                src.path
                for src in load_manifest()
                if src.ingestible and not (s.raw_cache / src.path).exists()
            ]
            if missing:
                fail(
                    f"raw cache {s.raw_cache} lacks {len(missing)} file(s) (e.g. {missing[0]}): run `invest data pull` first"
                )
            items = items_from_manifest(s.raw_cache) + items
        with Warehouse(s.warehouse) as wh, progress() as p:
            before = wh.counts()
            task = p.add_task("ingest", total=len(items))

            def on_file(item, status):
                p.advance(task)
                p.console.print(f"  {item.source:<34} {status}", highlight=False)

            report = ingest(wh, items, note=note, on_file=on_file)
            after = wh.counts()
    if report.changed:
        console.print(
            f"[green]vintage {report.vintage}[/]: {report.new_rows:,} new observations "
            f"({before['observations']:,} → {after['observations']:,})"
        )
    else:
        console.print(f"nothing new: warehouse unchanged ({after['observations']:,} observations)")


@app.command("ingest")
def ingest_cmd(
    paths: list[Path] = typer.Argument(
        None, help="Files to ingest (default: every pinned source in the raw cache)."
    ),
    source: str | None = typer.Option(
        None, "--source", help="Parse PATH as a new release of this source id."
    ),
    release: str | None = typer.Option(None, "--release", help="Publisher release date YYYY-MM-DD for PATH."),
    note: str = typer.Option("", "--note", help="Free-text note stored with the vintage."),
) -> None:
    """Parse, validate and write one vintage: all of it lands or none does."""
    run_ingest(list(paths or []), source, release, note)


@app.command("list")
def list_cmd(
    measure: list[str] = typer.Option([], "--measure", help="Only these measures (repeatable)."),
    geography: list[str] = typer.Option([], "--geography", help="Only these geography codes (repeatable)."),
    cluster: list[str] = typer.Option([], "--cluster", help="Only these clusters, e.g. automotive, all."),
    level: str | None = typer.Option(None, "--level", help="Geography level, e.g. itl1, lad."),
    frequency: str | None = typer.Option(None, "--frequency", help="A, Q or M."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Vintage id (see `invest data vintages`) or release date YYYY-MM-DD."
    ),
    as_json: bool = typer.Option(False, "--json", help="Every matching series as JSON (all columns)."),
    wide: bool = typer.Option(
        False, "--wide", help="Also show measure, geography, cluster and frequency columns."
    ),
    limit: int = typer.Option(50, "--limit", help="Rows shown in the table view (JSON lists all)."),
) -> None:
    """One row per series: its full id (what `invest data show` takes), level, unit, coverage, source."""
    from forecasting.warehouse.store import Warehouse

    s = get_settings()
    with user_errors(), Warehouse(s.warehouse, read_only=True) as wh:
        cat = wh.catalogue(
            measures=measure or None,
            geographies=geography or None,
            clusters=cluster or None,
            frequency=frequency,
            geography_level=level,
            as_of=as_of,
            present=_present(as_of),
        )
    cols = [
        "series_id",
        "measure",
        "geography",
        "geography_level",
        "cluster",
        "frequency",
        "unit",
        "start",
        "end",
        "n",
        "source",
    ]
    if as_json:
        extra = ["base_year", "release", "vintage", "is_synthetic", "months_behind", "stale", "stale_reason"]
        print_json(cat[cols + extra].to_dict(orient="records"))
        return
    shown = cols if wide else [c for c in cols if c not in ("measure", "geography", "cluster", "frequency")]
    # staleness in plain sight: the end of a stale series says so, with its age and release
    end = [
        f"{e} ⚠ stale: {m} months behind, release {r}" if st else e
        for e, st, m, r in zip(cat["end"], cat["stale"], cat["months_behind"], cat["release"], strict=True)
    ]
    rows = cat[shown].assign(end=end).head(limit)
    t = Table(title=f"{len(cat):,} series")
    for c in shown:
        if c == "series_id":  # never cut: it is what `data show` needs; other columns wrap instead
            width = max([len("series_id"), *(len(str(v)) for v in rows["series_id"])])
            t.add_column(c, no_wrap=True, min_width=width)
        else:
            t.add_column(
                "level" if c == "geography_level" else c,
                overflow="fold",
                justify="right" if c == "n" else "left",
            )
    for row in rows.itertuples(index=False):
        t.add_row(*[f"{v:,}" if c == "n" else str(v) for c, v in zip(shown, row, strict=True)])
    console.print(t)
    if len(cat) > limit:
        err_console.print(f"({len(cat) - limit:,} more: use filters, --limit or --json)")
    n_stale = int(cat["stale"].sum())
    if n_stale:
        err_console.print(
            f"[yellow]{n_stale:,} of {len(cat):,} series are stale[/] (data end over a year past the usual "
            "publication lag; `--json` gives each one's stale_reason)"
        )


def _present(as_of: str | None) -> pd.Timestamp:
    """The date staleness is judged at: an ``--as-of`` release date, else today."""
    import pandas as pd

    if as_of and len(as_of) == 10 and as_of[4] == "-":
        return pd.Timestamp(as_of)
    return pd.Timestamp.today().normalize()


def derived_series(wh, series_id: str, as_of: str | None):  # noqa: ANN001, ANN201 - Warehouse, DataFrame
    """A series the warehouse does not hold but training derives (e.g. MID = East + West Midlands),
    summed from its children exactly as training does (``training.data.derive_aggregates``); None when
    it is not derivable."""
    from forecasting.reference.geography import load_geography
    from forecasting.reference.measures import load_measures
    from forecasting.training.data import derive_aggregates
    from forecasting.vocabulary import SeriesId, period_label

    try:
        sid = SeriesId.parse(series_id)
    except ValueError:
        return None
    geo, measures = load_geography(), load_measures()
    measure = measures.get(sid.measure)
    if measure is None or not measure.summable or sid.geography not in geo.partitions():
        return None
    below = sorted(set(geo.descendants(sid.geography)) - {sid.geography})
    obs = wh.observations(
        measures=[sid.measure],
        geographies=below,
        clusters=[sid.cluster],
        frequency=sid.frequency,
        as_of=as_of,
    )
    if obs.empty:
        return None
    panel = derive_aggregates(obs, [f"{sid.geography}/*"])
    df = panel[panel["series_id"] == series_id].copy()
    if df.empty:
        return None
    df["label"] = [period_label(p, sid.frequency) for p in df["period"]]
    return df.reset_index(drop=True)


@app.command("show")
def show(
    series_id: str = typer.Argument(..., help="measure.geography.cluster.frequency"),
    as_of: str | None = typer.Option(None, "--as-of", help="Vintage id or release date."),
    as_json: bool = typer.Option(False, "--json", help="Observations as JSON records."),
    plot: Path | None = typer.Option(None, "--plot", help="Write a PNG chart of the series."),
) -> None:
    """Observations of one series with source and vintage; aggregates training derives (e.g. MID = East +
    West Midlands) are summed from their children and labelled derived."""
    from forecasting.reference.measures import load_measures
    from forecasting.vocabulary import SeriesId, stale_reason
    from forecasting.warehouse.store import Warehouse, WarehouseError

    s = get_settings()
    derived = False
    with user_errors(), Warehouse(s.warehouse, read_only=True) as wh:
        try:
            df = wh.series(series_id, as_of=as_of)
        except WarehouseError:
            df = derived_series(wh, series_id, as_of)
            if df is None:
                raise
            derived = True
    out = df[["label", "value", "source", "release", "vintage"]].rename(columns={"label": "period"})
    sid = SeriesId.parse(series_id)
    last = df.iloc[-1]
    stale = stale_reason(
        last["period"], sid.frequency, _present(as_of), str(last["release"]), str(last["source"])
    )
    measure = load_measures().get(sid.measure)
    unit = measure.unit if measure is not None else ""
    if as_json:
        print_json(out.assign(unit=unit, derived=derived).to_dict(orient="records"))
    else:
        note = (
            f" · derived: summed from its children as training does, {df['source'].iloc[0]}"
            if derived
            else ""
        )
        t = Table(title=f"{series_id}{note}", caption=f"⚠ {stale}" if stale else None, caption_style="yellow")
        for c in out.columns:
            t.add_column(
                f"value ({unit})" if c == "value" and unit else c, justify="right" if c == "value" else "left"
            )
        for row in out.itertuples(index=False):
            t.add_row(row.period, format_value(row.value), row.source, str(row.release), row.vintage)
        console.print(t)
    if plot:
        from forecasting.charts import history_chart

        with user_errors():
            try:
                history_chart(series_id, out, plot, stale=stale)
            except OSError as exc:
                raise InvalidParameter(
                    f"--plot {plot}: cannot write the chart ({exc.strerror or exc})"
                ) from None
        err_console.print(f"chart written to {plot}")


@app.command("vintages")
def vintages() -> None:
    """Every ingest vintage with its row count and sources."""
    from forecasting.warehouse.store import Warehouse

    s = get_settings()
    with user_errors(), Warehouse(s.warehouse, read_only=True) as wh:
        v = wh.vintages()
    t = Table(title="vintages")
    for c in ("vintage", "created_at", "n_rows", "n_files", "sources", "note"):
        t.add_column(c)
    for r in v.itertuples(index=False):
        t.add_row(
            r.vintage, str(r.created_at), f"{r.n_rows:,}", str(r.n_files), str(r.sources), str(r.note or "")
        )
    console.print(t)
