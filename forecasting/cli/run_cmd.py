"""`invest run`: the whole pipeline as far as it exists, on the embedded defaults."""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

import typer
from rich.table import Table

from forecasting.cli.common import PROJECT_ROOT, console, err_console, get_settings, user_errors

RUN_CHECK_DRAWS = 30


def _descendants_cpu(pid: int) -> float:
    """User + system seconds of the live descendants of ``pid`` (with what they reaped), from /proc.

    Why: the training workers (loky processes) live across stages and are reaped only at exit, so the
    parent's ``RUSAGE_CHILDREN`` alone would book all their work to the last stage, or to none.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    parent_of: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parent_of[int(entry.name)] = int(fields[1])
        # utime, stime, cutime, cstime (fields 14-17 of stat, counted after the command name)
        times[int(entry.name)] = sum(int(x) for x in fields[11:15]) / tick
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent_of.items() if pp == p]
        total += sum(times[c] for c in kids)
        todo += kids
    return total


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and every process it started, reaped or still running."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = me.ru_utime + me.ru_stime + reaped.ru_utime + reaped.ru_stime
    return own + _descendants_cpu(os.getpid())


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
        summary = wh.measure_summary()
        counts = wh.counts()
        latest = wh.latest_vintage()
    t = Table(title=f"warehouse {s.warehouse} · vintage {latest}")
    for c in ("measure", "series", "geography levels", "frequency", "coverage", "source"):
        t.add_column(c)
    for r in summary.itertuples(index=False):
        t.add_row(
            r.measure, f"{r.series:,}", r.geography_levels, r.frequencies, f"{r.start}–{r.end}", r.source
        )
    console.print(t)
    console.print(
        f"{counts['observations']:,} observations in {int(summary['series'].sum()):,} series from "
        f"{counts['files']} files, {counts['vintages']} vintage(s); synthetic series: "
        f"{int(summary['synthetic'].sum()):,}"
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
    timings: Path | None = typer.Option(
        None,
        "--timings",
        help="Write the wall time of every stage to this JSON file (for benchmarks/invest_run.py).",
    ),
) -> None:
    """Pull + ingest every source, train and register a forecast bundle, write the cluster scorecards."""
    from forecasting.cli.data_cmd import run_ingest
    from forecasting.cli.scorecards_cmd import write_scorecards
    from forecasting.sources.pull import pull_all
    from forecasting.training.pipeline import train_experiment

    s = get_settings()
    t0 = time.perf_counter()
    stages: dict[str, float] = {}
    cpu: dict[str, float] = {}
    mark, cpu_mark = time.perf_counter(), cpu_seconds()

    def lap(name: str) -> None:
        nonlocal mark, cpu_mark
        now, used = time.perf_counter(), cpu_seconds()
        stages[name], cpu[name] = now - mark, used - cpu_mark
        mark, cpu_mark = now, used

    with user_errors():
        err_console.rule("1/4 pull")
        results = pull_all(s.raw_cache, s.mirror)
        console.print(f"{len(results)} files verified against their pinned sha256 in {s.raw_cache}")
        lap("pull")
        err_console.rule("2/4 ingest")
        partner = (
            _partner_files(s.partner_dir, s.data_dir, s.seed) if (s.partner_dir or synthetic_partner) else []
        )
        run_ingest(partner, None, None, note="invest run", with_manifest=True)
        summarise()
        lap("ingest")
        err_console.rule(f"3/4 train {experiment.name}")
        outcome = train_experiment(experiment, settings=s, promote_if_no_champion=True)
        alias = "champion" if outcome.promoted else "challenger"
        console.print(
            f"registered {outcome.model_name} version {outcome.version} ({alias}; {outcome.promotion_note or 'champion kept'}) "
            f"· {outcome.n_series:,} series · data vintage {outcome.data_vintage} · run {outcome.run_id}"
        )
        lap("train")
        err_console.rule("4/4 scorecards")
        # the rank-interval self-check re-draws every input: 30 draws here, 100 in `invest scorecards`
        write_scorecards(check_draws=RUN_CHECK_DRAWS)
        lap("scorecards")
    total = time.perf_counter() - t0
    console.print(
        f"[green]done[/] in {total:.1f}s (" + ", ".join(f"{k} {v:.1f}s" for k, v in stages.items()) + ") · "
        f"{sum(cpu.values()):.0f} CPU-s"
    )
    if timings is not None:
        detail = {f"train.{k}": v for k, v in outcome.timings.items()}
        spent = {f"cpu.{k}": v for k, v in cpu.items()}
        timings.write_text(
            json.dumps({"total": total, **stages, **detail, **spent}, indent=1), encoding="utf-8"
        )
