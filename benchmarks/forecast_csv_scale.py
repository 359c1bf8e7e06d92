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
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss_gb = after.ru_maxrss / 1024 / 1024  # kilobytes on Linux
    progress = [ln for ln in proc.stderr.splitlines() if ln.startswith("forecast-csv:")]
    if proc.returncode != 0:
        print(proc.stderr[-3000:])
        print(f"FAIL: exit {proc.returncode} after {wall:.1f} s")
        return 1
    with open(out, encoding="utf-8") as fh:
        rows = sum(1 for _ in fh) - 1
    print(f"progress lines: {len(progress)} (last: {progress[-1] if progress else '-'})")
    print(
        f"wall {wall:.1f} s | CPU {cpu:.1f} s | peak RSS {rss_gb:.2f} GB | {rows} rows | "
        f"{rows / wall:.0f} rows/s | {args.series / wall:.0f} series/s"
    )
    ok = wall < TARGET_SECONDS and rss_gb < TARGET_RSS_GB and rows == args.series * args.horizon
    print(
        f"{'PASS' if ok else 'FAIL'}: target under {TARGET_SECONDS} s and {TARGET_RSS_GB} GB, "
        f"{args.series * args.horizon} rows"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
