"""`invest profiles`: one profile per area for Midlands partners (JSON, HTML, PDF) and an index.

Register with ``app.command("profiles")(profiles_cmd.profiles)``. The API serves what this writes
(``GET /v1/areas``, ``GET /v1/areas/{code}/profile``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from forecasting.cli.common import console, err_console, fail, get_settings, print_json, progress, user_errors


def default_out_dir() -> Path:
    """``<data_dir>/reports/profiles``: where the API reads profiles from."""
    return get_settings().reports_dir / "profiles"


def _champion(no_model: bool) -> object | None:
    from forecasting.registry.loader import BundleUnavailable, load_bundle

    if no_model:
        return None
    s = get_settings()
    try:
        return load_bundle(model_name=s.model_name, alias="champion", tracking_uri=s.mlflow_uri)
    except BundleUnavailable as exc:
        err_console.print(f"[yellow]no champion model ({exc}); profiles are written without forecasts[/]")
        return None


def profiles(
    area: list[str] = typer.Option(
        [], "--area", help="Area code or name (repeatable): E08000025, Derby, Lincolnshire, TLG31 ..."
    ),
    all_midlands: bool = typer.Option(
        False, "--all-midlands", help="Every Midlands district, county, combined authority and ITL area."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Output directory; default <data_dir>/reports/profiles."
    ),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Print each page to PDF with the system Chromium."),
    no_model: bool = typer.Option(False, "--no-model", help="Leave out the champion's forecasts."),
    as_json: bool = typer.Option(False, "--json", help="Print the profile document(s) as JSON."),
    list_areas: bool = typer.Option(
        False, "--list", help="List the Midlands areas with their codes and stop."
    ),
) -> None:
    """Area profiles: economy, industry and clusters, business, investment, forecasts, peers, key insights."""
    from forecasting.profiles.areas import midlands_areas, resolve_area

    with user_errors():
        if list_areas:
            for a in midlands_areas():
                console.print(f"{a.code:<10} {a.level_label:<20} {a.name}", highlight=False)
            return
        if not area and not all_midlands:
            fail("say which areas: --area CODE|NAME (repeatable) or --all-midlands (`--list` shows them)")
        chosen = midlands_areas() if all_midlands else []
        for q in area:
            a = resolve_area(q)
            if a.code not in {c.code for c in chosen}:
                chosen.append(a)
        _write(chosen, out or default_out_dir(), pdf=pdf, no_model=no_model, as_json=as_json)


def _write(chosen: list, out: Path, *, pdf: bool, no_model: bool, as_json: bool) -> None:
    import json

    from forecasting.profiles.inputs import load_profile_inputs
    from forecasting.profiles.publish import write_profiles

    s = get_settings()
    if not s.warehouse.is_file():
        fail(f"no warehouse at {s.warehouse}: run `invest run` (or `invest data ingest`) first")
    start, cpu = time.perf_counter(), time.process_time()
    inputs = load_profile_inputs(s.warehouse)
    bundle = _champion(no_model)
    if sys.stdout.isatty() and not as_json:
        with progress() as bar:
            task = bar.add_task("profiles", total=len(chosen))
            write_profiles(inputs, chosen, out, bundle, pdf=pdf, progress=lambda _c: bar.advance(task))
    else:
        write_profiles(inputs, chosen, out, bundle, pdf=pdf)
    if as_json:
        docs = [json.loads((out / "areas" / f"{a.code}.json").read_text(encoding="utf-8")) for a in chosen]
        print_json(docs[0] if len(docs) == 1 else docs)
        return
    for a in chosen[:20]:
        console.print(f"  {a.code:<10} {a.display}", highlight=False)
    if len(chosen) > 20:
        console.print(f"  … and {len(chosen) - 20} more")
    console.print(
        f"{len(chosen)} profiles · data vintage {inputs.data_vintage} · "
        f"{'PDF + ' if pdf else ''}HTML + JSON in {out} · index: {out / 'index.html'} "
        f"({time.perf_counter() - start:.1f}s wall, {time.process_time() - cpu:.1f} CPU-s in this process)",
        highlight=False,
    )
