"""`invest run` end to end on a fresh data directory: wall time, CPU-seconds and the CPU, stage by stage.

Issue 22's budget: at most 240 CPU-seconds (user + system, every child process included) and under 3
minutes wall on 2 idle cores. CPU-seconds are the figure to compare across runs: a shared machine's load
stretches the wall time far more than the CPU time, and CPUs differ between machines of the same kind, so
the CPU model is printed beside them. Runs the README's main job exactly as a user would (a fresh data
directory, the embedded defaults: DuckDB file, sqlite MLflow store, no servers) in a subprocess; the
per-stage figures come from ``invest run --timings`` (each stage's CPU includes its worker processes).
Not a test: figures, not assertions.

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

TARGET_CPU_S = 240.0
TARGET_WALL_S = 180.0
STAGES = ("pull", "ingest", "train", "scorecards")


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (machines of one kind differ), with the core count."""
    name = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name} × {os.cpu_count()} cores"


def one_run(data_dir: Path, timings: Path) -> dict[str, float]:
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
    out["user"] = after.ru_utime - before.ru_utime
    out["system"] = after.ru_stime - before.ru_stime
    out["cpu"] = out["user"] + out["system"]
    out["peak_gb"] = after.ru_maxrss / 1024**2  # kB -> GB: the largest single process
    out["load_before"] = load
    out["load_after"] = os.getloadavg()[0]
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
            runs.append(one_run(args.keep.resolve() if last else tmp / "data", tmp / "timings.json"))
            r = runs[-1]
            console.print(f"run {i + 1}/{args.repeat}: {r['wall']:.1f}s wall, {r['cpu']:.1f} CPU-s")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def med(k: str) -> float:
        vals = sorted(r.get(k, float("nan")) for r in runs)
        return vals[len(vals) // 2]

    wall, cpu = med("wall"), med("cpu")
    table = Table(title=f"invest run, fresh data directory · {cpu_model()} · median of {len(runs)}")
    for c in ("stage", "wall s", "CPU-s", "share of CPU"):
        table.add_column(c, justify="left" if c == "stage" else "right")
    for k in STAGES:
        c = med(f"cpu.{k}")
        table.add_row(k, f"{med(k):.1f}", f"{c:.1f}", f"{c / cpu:.0%}" if cpu else "")
    for k in sorted(x for x in runs[0] if x.startswith("train.")):
        table.add_row(f"  {k}", f"{med(k):.1f}", "", "")
    table.add_row("[bold]whole command[/]", f"[bold]{wall:.1f}[/]", f"[bold]{cpu:.1f}[/]", "100%")
    console.print(table)
    console.print(
        f"CPU-seconds: user {med('user'):.1f} + system {med('system'):.1f} = {cpu:.1f} (children included; "
        f"{cpu / wall:.2f} cores busy on average); peak memory of one process {med('peak_gb'):.1f} GB"
    )
    console.print(
        f"targets: ≤ {TARGET_CPU_S:.0f} CPU-s -> {'MET' if cpu <= TARGET_CPU_S else 'NOT MET'}; "
        f"< {TARGET_WALL_S:.0f} s wall on 2 idle cores -> {'MET' if wall < TARGET_WALL_S else 'NOT MET'} "
        f"(load average {med('load_before'):.2f} before, {med('load_after'):.2f} after; above ~0.5 the "
        "machine was not idle and the wall time says more about the other work than about this one)"
    )


if __name__ == "__main__":
    main()
