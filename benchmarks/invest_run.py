"""Wall time of `invest run` end to end, stage by stage (issue 14: under two minutes on 2 idle cores).

Runs the README's main job exactly as a user would (a fresh data directory, the embedded defaults: DuckDB
file, sqlite MLflow store, no servers) in a subprocess, and prints the wall time of each stage from
``invest run --timings``, the CPU time the job used and how busy the machine was, because a shared
machine's load changes the seconds more than the code does. Not a test: figures, not assertions.

    python benchmarks/invest_run.py [--repeat N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

TARGET_S = 120.0


def one_run(data_dir: Path) -> dict[str, float]:
    timings = data_dir / "timings.json"
    env = {**os.environ, "INVEST_DATA_DIR": str(data_dir)}
    for var in ("MLFLOW_TRACKING_URI", "INVEST_TRACKING_URI", "INVEST_WAREHOUSE_PATH"):
        env.pop(var, None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "forecasting.cli.app", "run", "--timings", str(timings)],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"invest run failed with exit code {proc.returncode}")
    out = json.loads(timings.read_text())
    out["wall"] = wall
    out["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out["load_before"] = load
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="runs (median reported)")
    ap.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="run the last repeat in this (new or empty) data directory and keep it",
    )
    args = ap.parse_args()
    console = Console(width=None if sys.stdout.isatty() else 120)
    runs = []
    for i in range(args.repeat):
        last = args.keep is not None and i == args.repeat - 1
        if last and args.keep.exists() and any(args.keep.iterdir()):
            raise SystemExit(f"--keep {args.keep}: the directory must be new or empty")
        # the kept run happens in place: the MLflow store records absolute artifact paths, so a copy of
        # the data directory would point back at a deleted temporary folder
        tmp = Path(tempfile.mkdtemp(prefix="invest-run-"))
        try:
            runs.append(one_run(args.keep.resolve() if last else tmp / "data"))
            console.print(f"run {i + 1}/{args.repeat}: {runs[-1]['wall']:.1f}s wall")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    keys = [k for k in runs[0] if k not in ("wall", "cpu", "load_before", "total")]
    table = Table(title=f"invest run on {os.cpu_count()} cores (median of {len(runs)})")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    table.add_column("share", justify="right")

    def med(k: str) -> float:
        vals = sorted(r[k] for r in runs)
        return vals[len(vals) // 2]

    wall = med("wall")
    for k in keys:
        table.add_row(k, f"{med(k):.1f}", f"{med(k) / wall:.0%}")
    table.add_row("[bold]wall (whole command)[/]", f"[bold]{wall:.1f}[/]", "100%")
    table.add_row("CPU (user + system)", f"{med('cpu'):.1f}", f"{med('cpu') / wall:.2f} cores")
    console.print(table)
    verdict = "MET" if wall <= TARGET_S else "NOT MET"
    console.print(
        f"target: under {TARGET_S:.0f}s on 2 idle cores -> {verdict} (load average before the run: "
        f"{med('load_before'):.2f}; above ~0.5 the machine was not idle)"
    )


if __name__ == "__main__":
    main()
