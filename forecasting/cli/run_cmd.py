"""`invest run`: the whole pipeline as far as it exists, on the embedded defaults."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from forecasting.cli.common import console, err_console, user_errors
from forecasting.settings import PROJECT_ROOT, get_settings


def _partner_files(partner_dir: Path | None, data_dir: Path, seed: int) -> list[Path]:
    """Licensed partner exports if configured, else the deterministic synthetic demo files."""
    if partner_dir is not None:
        return sorted(p for p in partner_dir.iterdir() if p.suffix.lower() == ".csv")
    from forecasting.sources.partner.synthetic import write_synthetic_partner_files

    files = write_synthetic_partner_files(data_dir / "partner_synthetic", seed=seed)
    return sorted(Path(p) for p in files.values())


def summarise() -> None:
    from forecasting.warehouse.store import Warehouse

    s = get_settings()
    with Warehouse(s.warehouse, read_only=True) as wh:
        cat = wh.catalogue()
        counts = wh.counts()
        latest = wh.latest_vintage()
    t = Table(title=f"warehouse {s.warehouse} · vintage {latest}")
    for c in ("measure", "series", "geography levels", "frequency", "coverage", "source"):
        t.add_column(c)
    for measure, g in cat.groupby("measure"):
        t.add_row(
            measure,
            f"{len(g):,}",
            ",".join(sorted(g["geography_level"].astype(str).unique())),
            ",".join(sorted(g["frequency"].unique())),
            f"{g['start'].min()}–{g['end'].max()}",
            ",".join(sorted(set(",".join(g["source"]).split(",")))),
        )
    console.print(t)
    console.print(
        f"{counts['observations']:,} observations in {len(cat):,} series from {counts['files']} files, "
        f"{counts['vintages']} vintage(s); synthetic series: {int(cat['is_synthetic'].sum()):,}"
    )


def run(
    experiment: Path = typer.Option(
        PROJECT_ROOT / "experiments" / "default.toml",
        "--experiment",
        "-e",
        help="Experiment config to train.",
    ),
    synthetic_partner: bool = typer.Option(
        True,
        "--synthetic-partner/--no-synthetic-partner",
        help="Without INVEST_PARTNER_DIR, ingest generated partner files (labelled source=synthetic).",
    ),
) -> None:
    """Pull + ingest every source, train and register a forecast bundle, write the cluster scorecards."""
    from forecasting.cli.data_cmd import run_ingest
    from forecasting.cli.scorecards_cmd import write_scorecards
    from forecasting.sources.pull import pull_all
    from forecasting.training.pipeline import train_experiment

    s = get_settings()
    t0 = time.perf_counter()
    with user_errors():
        err_console.rule("1/4 pull")
        results = pull_all(s.raw_cache, s.mirror)
        console.print(f"{len(results)} files verified against their pinned sha256 in {s.raw_cache}")
        err_console.rule("2/4 ingest")
        partner = (
            _partner_files(s.partner_dir, s.data_dir, s.seed) if (s.partner_dir or synthetic_partner) else []
        )
        run_ingest(partner, None, None, note="invest run", with_manifest=True)
        summarise()
        err_console.rule(f"3/4 train {experiment.name}")
        outcome = train_experiment(experiment, promote_if_no_champion=True)
        alias = "champion" if outcome.promoted else "challenger"
        console.print(
            f"registered {outcome.model_name} version {outcome.version} ({alias}; {outcome.promotion_note or 'champion kept'}) "
            f"· {outcome.n_series:,} series · data vintage {outcome.data_vintage} · run {outcome.run_id}"
        )
        err_console.rule("4/4 scorecards")
        write_scorecards()
    console.print(f"[green]done[/] in {time.perf_counter() - t0:.1f}s")
