"""Wall time and CPU-seconds of `invest profiles --all-midlands` (HTML, JSON and the PDFs) on a data directory.

Usage: ``python benchmarks/profiles_speed.py [--data-dir DIR] [--no-pdf]`` — the data directory must hold
the warehouse (and, for forecasts, the registry) that `invest run` wrote. Prints the figures; the issue's
target is every Midlands profile in under 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=Path("data"))
    ap.add_argument("--no-pdf", action="store_true")
    args = ap.parse_args()
    out = args.data_dir / "reports" / "profiles-benchmark"
    cmd = [sys.executable, "-m", "forecasting.cli.app", "profiles", "--all-midlands", "--out", str(out)]
    if args.no_pdf:
        cmd.append("--no-pdf")
    env = {**os.environ, "INVEST_DATA_DIR": str(args.data_dir)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    n = len(list((out / "areas").glob("*.json")))
    pdfs = len(list((out / "pdf").glob("*.pdf"))) if (out / "pdf").is_dir() else 0
    print(f"profiles: {n} areas, {pdfs} PDFs")
    print(
        f"wall {wall:.1f} s · CPU {cpu:.1f} s (user+system, the command and Chromium) · {os.cpu_count()} cores"
    )
    print(f"CPU model: {cpu_model()}")
    print(f"target: < 120 s wall on 2 cores -> {'met' if wall < 120 else 'NOT met'}")


if __name__ == "__main__":
    main()
