"""Tracking overhead of a 1,000-series training job (target: under 10% of the job's time).

A coherent synthetic panel (UK = 12 ITL1 = 41 ITL2 areas, for 19 industry sections: 1,026 annual series
on real geography codes) is trained with the quick.toml model set, reconciled with MinT, logged to a fresh
embedded MLflow store (or ``--tracking-uri``) and registered. Reported:

* strict: time inside MLflow calls (experiment lookup, log_batch, dataset input, artifact upload,
  log_model, registration), measured by ``RunTracker.timed``;
* inclusive: everything that is not data loading or model computation (also staging tables and charts).

Run: ``python benchmarks/tracking_overhead.py [--series 1000] [--tracking-uri URI]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecasting.reference.geography import load_geography  # noqa: E402
from forecasting.settings import Settings  # noqa: E402
from forecasting.training.config import parse_config  # noqa: E402
from forecasting.training.data import TrainingData  # noqa: E402
from forecasting.training.pipeline import run_training  # noqa: E402
from forecasting.warehouse.store import catalogue_from_observations  # noqa: E402

SECTIONS = "ABCDEFGHIJKLMNOPQRS"


def synthetic_panel(n_series: int, n_periods: int = 20, seed: int = 7) -> TrainingData:
    parts = load_geography().partitions()
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2003-01-01", periods=n_periods, freq="YS")
    per_cluster = 1 + sum(1 + len(parts.get(r, [])) for r in parts["UK"])
    frames = []
    for k in range(int(np.ceil(n_series / per_cluster))):
        cluster = f"sic-{SECTIONS[k % len(SECTIONS)]}{k // len(SECTIONS) or ''}"
        uk = np.zeros(n_periods)
        for itl1 in parts["UK"]:
            total = np.zeros(n_periods)
            for itl2 in parts.get(itl1, []):
                y = 500 + np.cumsum(rng.normal(5.0, 20.0, n_periods))
                total += y
                frames.append((itl2, cluster, y))
            frames.append((itl1, cluster, total))
            uk += total
        frames.append(("UK", cluster, uk))
    panel = pd.concat(
        [
            pd.DataFrame(
                {
                    "series_id": f"gva_cp.{g}.{c}.A",
                    "measure": "gva_cp",
                    "geography": g,
                    "cluster": c,
                    "frequency": "A",
                    "period": periods,
                    "value": y,
                    "source": "synthetic",
                    "vintage": "bench-v1",
                    "is_synthetic": True,
                }
            )
            for g, c, y in frames
        ],
        ignore_index=True,
    ).sort_values(["series_id", "period"], ignore_index=True)
    return TrainingData(panel, catalogue_from_observations(panel), "bench-v1", "synthetic")


def config(n_jobs: int):
    data = tomllib.loads((ROOT / "experiments" / "quick.toml").read_text())
    data["experiment"].update(name="bench-1000", tracking_experiment="benchmark-tracking-overhead")
    data["data"].update(measures=["gva_cp"], geographies=[], clusters=[], derive_aggregates=[])
    data["backtest"].update(windows=3)
    data["reconciliation"].update(method="mint_shrink")
    data["outputs"]["headline"] = ["gva_cp.UK.sic-A.A", "gva_cp.TLF.sic-A.A", "gva_cp.TLG.sic-A.A"]
    data["execution"].update(n_jobs=n_jobs)
    return parse_config(data, "benchmark")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=1000)
    ap.add_argument("--n-jobs", type=int, default=-1)
    ap.add_argument("--tracking-uri", default=None)
    args = ap.parse_args()
    data = synthetic_panel(args.series)
    n = data.panel["series_id"].nunique()
    with tempfile.TemporaryDirectory(prefix="bench-tracking-") as tmp:
        settings = Settings(data_dir=Path(tmp), tracking_uri=args.tracking_uri)
        t0 = time.perf_counter()
        out = run_training(config(args.n_jobs), data, tracking_uri=args.tracking_uri, settings=settings)
        wall = time.perf_counter() - t0
    compute = sum(out.timings.values())
    strict, inclusive = out.tracking_seconds / wall, (wall - compute) / wall
    print(f"series                 {n}")
    print(f"tracking store         {out.tracking_uri}")
    print(f"job wall time          {wall:8.1f} s")
    print(f"  compute (fit/reconcile/assemble) {compute:8.1f} s  {out.timings}")
    print(f"  tracking calls       {out.tracking_seconds:8.1f} s  ({strict:.1%})  [strict]")
    print(f"  all non-compute      {wall - compute:8.1f} s  ({inclusive:.1%})  [inclusive]")
    ok = inclusive < 0.10
    print(
        f"tracking overhead < 10%: {'PASS' if ok else 'FAIL'} (inclusive {inclusive:.1%}, strict {strict:.1%})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
