"""Re-estimate a bundle's scenario links (transmission table and macro block) on its own warehouse, into a
local bundle folder: what `invest train` would store for them, without refitting the forecasts.

Why: the forecasts take many CPU-minutes to fit; checking a change to link estimation end to end needs only
the links. The output is a local bundle (`invest scenario run NAME --bundle OUT`), never registered.

    python benchmarks/rebuild_links.py --out /tmp/bundle-links [--experiment experiments/default.toml]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from forecasting.registry.loader import load_bundle
from forecasting.registry.store import save_contents
from forecasting.settings import PROJECT_ROOT, get_settings
from forecasting.training.config import load_config
from forecasting.training.data import load_training_data
from forecasting.training.pipeline import _transmission


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--experiment", type=Path, default=PROJECT_ROOT / "experiments" / "default.toml")
    args = ap.parse_args()
    t0 = time.perf_counter()
    settings = get_settings()
    contents = load_bundle(model_name=settings.model_name, tracking_uri=settings.mlflow_uri).contents
    cfg = load_config(args.experiment)
    data = load_training_data(cfg, warehouse_path=settings.warehouse)
    targets = sorted(contents.forecasts["series_id"].unique())
    table, _, block, _ = _transmission(cfg, data, targets, contents.hierarchy)
    md = contents.metadata.model_copy(update={"macro": block, "model_name": None, "model_version": None})
    new = dataclasses.replace(contents, transmission=table, metadata=md)
    save_contents(new, args.out)
    print(f"links re-estimated in {time.perf_counter() - t0:.1f}s: {len(table)} rows -> {args.out}")


if __name__ == "__main__":
    main()
