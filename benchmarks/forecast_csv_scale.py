"""Throughput of ``invest forecast-csv`` on N synthetic ten-point annual series (a speed test, not accuracy).

    python benchmarks/forecast_csv_scale.py [--series 100000] [--points 10] [--horizon 4] [--method auto]

The input is SYNTHETIC (labelled so in its series ids: ``synthetic-<i>``): geometric random walks with
drift, 3 decimals, years 2010 onwards, so every run measures the same work. ``forecast-csv`` runs as a
subprocess, as a user runs it; printed: wall seconds, CPU seconds of the subprocess and its children
(user + system, ``resource.getrusage(RUSAGE_CHILDREN)``), peak RSS of the largest of them (``ru_maxrss``:
the largest single process, not the sum over worker processes), rows written and rows/s, the CPU model
and the load average at the start (the machines are shared: judge CPU seconds as well as wall time).
Target (issue 22): 100,000 ten-point series in under 10 minutes on 2 cores within 4 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_SECONDS = 600
TARGET_RSS_GB = 4.0


def write_input(path: Path, n_series: int, points: int, seed: int = 0) -> None:
    """N synthetic annual series of ``points`` years, long format, written in blocks (little memory)."""
    rng = np.random.default_rng(seed)
    years = np.arange(2010, 2010 + points)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("series_id,period,value\n")
        for start in range(0, n_series, 10_000):
            k = min(10_000, n_series - start)
            level = 100 * np.exp(np.cumsum(rng.normal(0.02, 0.08, (k, points)), axis=1))
            ids = np.repeat([f"synthetic-{i}" for i in range(start, start + k)], points)
            lines = [
                f"{s},{y},{v:.3f}\n" for s, y, v in zip(ids, np.tile(years, k), level.ravel(), strict=True)
            ]
            fh.writelines(lines)


def watch_tree(proc: subprocess.Popen) -> tuple[float | None, float | None]:
    """Wait for ``proc``; meanwhile poll it and its descendants (loky/Dask workers are grandchildren, whose
    time ``getrusage`` may miss): (CPU seconds summed over every process seen, peak of the summed RSS)."""
    try:
        import psutil
    except ImportError:
        proc.wait()
        return None, None
    root = psutil.Process(proc.pid)
    cpu: dict[int, float] = {}
    peak = 0
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            break
        rss = 0
        for p in procs:
            try:
                t = p.cpu_times()
                cpu[p.pid] = t.user + t.system  # not children_*: the workers are counted themselves
                rss += p.memory_info().rss
            except psutil.Error:
                continue
        peak = max(peak, rss)
        time.sleep(0.5)
    proc.wait()
    return sum(cpu.values()), float(peak)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--horizon", type=int, default=4)
    ap.add_argument("--method", default="auto")
    ap.add_argument("--keep", type=Path, default=None, help="folder to keep the input and output in")
    args = ap.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="forecast_csv_scale_"))
    folder.mkdir(parents=True, exist_ok=True)
    src, out = folder / "input.csv", folder / "forecast.csv"
    t0 = time.perf_counter()
    write_input(src, args.series, args.points)
    print(
        f"input: {args.series} synthetic {args.points}-point annual series written in "
        f"{time.perf_counter() - t0:.1f} s ({src.stat().st_size / 1e6:.0f} MB)"
    )
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    cmd = [
        sys.executable, "-m", "forecasting.cli.app", "forecast-csv", str(src),
        "--horizon", str(args.horizon), "--method", args.method, "-o", str(out),
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    err_path = folder / "stderr.txt"
    with open(err_path, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        tree_cpu, tree_rss = watch_tree(proc)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss_gb = after.ru_maxrss / 1024 / 1024  # kilobytes on Linux
    stderr = err_path.read_text(encoding="utf-8")
    progress = [ln for ln in stderr.splitlines() if ln.startswith("forecast-csv:")]
    if proc.returncode != 0:
        print(stderr[-3000:])
        print(f"FAIL: exit {proc.returncode} after {wall:.1f} s")
        return 1
    with open(out, encoding="utf-8") as fh:
        rows = sum(1 for _ in fh) - 1
    print(f"progress lines: {len(progress)} (last: {progress[-1] if progress else '-'})")
    print(
        f"wall {wall:.1f} s | CPU {cpu:.1f} s (getrusage children) | peak RSS {rss_gb:.2f} GB (getrusage "
        f"children maxrss: the largest single process) | {rows} rows | {rows / wall:.0f} rows/s | "
        f"{args.series / wall:.0f} series/s"
    )
    if tree_cpu is not None:
        print(
            f"process tree (forecast-csv and its worker processes, polled every 0.5 s): CPU {tree_cpu:.1f} s, "
            f"peak summed RSS {(tree_rss or 0) / 1e9:.2f} GB"
        )
    peak_gb = max(rss_gb, (tree_rss or 0) / 1e9)
    ok = wall < TARGET_SECONDS and peak_gb < TARGET_RSS_GB and rows == args.series * args.horizon
    print(
        f"{'PASS' if ok else 'FAIL'}: target under {TARGET_SECONDS} s and {TARGET_RSS_GB} GB, "
        f"{args.series * args.horizon} rows"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
