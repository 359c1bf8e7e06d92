"""Wall time of the real-time replay (issue 19: 28 CXNV releases in under 10 minutes on 2 idle cores).

Replays one series (default UK business investment, every release in the warehouse) with the default
experiment, as `invest track-record` does, on the local joblib backend, and prints the wall time, the CPU
time, the number of releases and the machine's load (a shared machine's load moves the seconds more than
the code does). Not a test: figures, not assertions. Needs a warehouse holding the releases
(`invest data ingest`; `INVEST_DATA_DIR` / `INVEST_WAREHOUSE_PATH` say which).

    python benchmarks/track_record.py [--series ID] [--n-jobs 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

from forecasting.settings import PROJECT_ROOT, get_settings
from forecasting.training.config import load_config
from forecasting.training.track_record import replay
from forecasting.warehouse.store import Warehouse

TARGET_S = 600.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", default="business_investment_cvm_sa.UK.all.Q")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--experiment", type=Path, default=PROJECT_ROOT / "experiments" / "default.toml")
    args = ap.parse_args()
    cfg = load_config(args.experiment)
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with Warehouse(get_settings().warehouse, read_only=True) as wh:
        (tr,) = replay(wh, [args.series], cfg, n_jobs=args.n_jobs)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        f"{args.series}: {len(tr.vintages)} releases replayed in {wall:.1f} s wall "
        f"(target {TARGET_S:.0f} s), worker CPU {cpu:.1f} s, n_jobs {args.n_jobs}, "
        f"load average at start {load:.2f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
