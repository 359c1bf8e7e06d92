"""Does reconciliation help? Per-level backtest MASE before and after, on the warehouse's hierarchies.

Two real-geography trees from the warehouse `invest run` filled:
* published ONS regional GVA (current prices): UK -> 12 ITL1 -> ITL2 -> ITL3 (real data);
* FDI project counts from the partner adapter, Local Authority -> ITL3 -> ITL2 -> ITL1 -> Midlands,
  aggregated by the training pipeline (SYNTHETIC demo data unless INVEST_PARTNER_DIR held real exports).

Each reconciliation method is trained on the same panel (engine defaults, seed fixed) and the per-level
mean backtest MASE of the base forecasts and of the reconciled ones is printed side by side.

Run after `invest run`: ``python benchmarks/reconciliation.py [--methods bottom_up,ols,wls_struct,mint_shrink]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecasting.reference.geography import load_geography  # noqa: E402
from forecasting.settings import get_settings  # noqa: E402
from forecasting.training.config import parse_config  # noqa: E402
from forecasting.training.data import load_training_data  # noqa: E402
from forecasting.training.pipeline import build_contents  # noqa: E402


def midlands_tree_codes() -> list[str]:
    """ITL3, then ITL2, then ITL1 codes of the Midlands, then MID: the order derive_aggregates needs."""
    geo = load_geography()
    out = []
    for level in ("itl3", "itl2", "itl1"):
        out += sorted(c for c in geo.descendants("MID", level=level) if c in geo.partitions())
    return [*out, "MID"]


def config(method: str) -> dict:
    return {
        "experiment": {"name": f"reconciliation-{method}", "seed": 20261124},
        "data": {
            "measures": ["gva_cp", "fdi_projects"],
            "clusters": ["all"],
            "derive_aggregates": midlands_tree_codes(),
            "min_observations": 8,
        },
        "models": {"families": ["auto"]},
        "backtest": {"horizon": {"A": 4}},
        "reconciliation": {"method": method, "non_negative": True},
        "scenarios": {"transmission": False},
        "execution": {"n_jobs": -1},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--methods", default="bottom_up,ols,wls_struct,mint_shrink")
    ap.add_argument("--warehouse", type=Path, default=None)
    args = ap.parse_args()
    wh = args.warehouse or get_settings().warehouse
    rows = []
    for method in args.methods.split(","):
        cfg = parse_config(config(method), Path(f"<{method}>"))
        data = load_training_data(cfg, warehouse_path=wh)
        t0 = time.perf_counter()
        contents, _, _ = build_contents(cfg, data)
        lm = contents.level_metrics.assign(method=method, seconds=time.perf_counter() - t0)
        synthetic = contents.catalogue.set_index("series_id")["is_synthetic"]
        print(
            f"\n{method}: {len(contents.catalogue)} series ({int(synthetic.sum())} synthetic), data vintage {data.vintage}"
        )
        print(lm[["level", "n_series", "mase_base", "mase_reconciled", "helped"]].to_string(index=False))
        rows.append(lm)
    table = pd.concat(rows, ignore_index=True)
    wide = table.pivot_table(index="level", columns="method", values="mase_reconciled")
    wide.insert(0, "base", table.groupby("level")["mase_base"].first())
    print("\nPer-level backtest MASE, base vs each reconciliation method (lower is better):")
    print(wide.round(3).to_string())


if __name__ == "__main__":
    main()
