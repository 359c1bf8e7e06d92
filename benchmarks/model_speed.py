"""Per-series fit+predict time of every model family, with statsforecast peers measured in the same run.

Two shapes, as served: a 24-point annual series (h=4) and a 40-point quarterly series (h=8). Each
family runs on ``--series`` different synthetic series, ``--repeats`` times each; we print the median
ms per series as wall time and as this process's CPU time. The machines are shared and often loaded by
other jobs: CPU time is the steadier figure; compare ratios from one run, not absolute times.

    python benchmarks/model_speed.py [--series 8] [--repeats 3] [--families ets,theta] [--no-peers]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Callable

import numpy as np

from models.base import make, registry

SHAPES = {"annual24": (24, 1, 4), "quarterly40": (40, 4, 8)}
PEERS = {"ets": "AutoETS", "arima": "AutoARIMA", "theta": "AutoTheta"}


def synthetic(n: int, m: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    season = 0.08 * np.sin(2 * np.pi * t / m) if m > 1 else 0.0
    level = np.exp(np.cumsum(rng.normal(0.03, 0.06, n)))
    return 100 * level * (1 + season)


def median_ms(
    run: Callable[[np.ndarray], object], series: list[np.ndarray], repeats: int
) -> tuple[float, float]:
    """Median over series of the median over repeats: (wall ms, CPU ms)."""
    run(series[0])  # warm-up: imports, JIT, caches
    wall, cpu = [], []
    for y in series:
        w, c = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            run(y)
            w.append(time.perf_counter() - t0)
            c.append(time.process_time() - c0)
        wall.append(np.median(w))
        cpu.append(np.median(c))
    return 1e3 * float(np.median(wall)), 1e3 * float(np.median(cpu))


def ours(name: str, m: int, h: int) -> Callable[[np.ndarray], object]:
    return lambda y: make(name, season_length=m).fit(y).predict(h)


def peer(name: str, m: int, h: int) -> Callable[[np.ndarray], object] | None:
    try:
        from statsforecast import models as sf
    except ImportError:
        return None
    cls = getattr(sf, PEERS[name])
    return lambda y: cls(season_length=m).forecast(y=y, h=h, level=[80, 95])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--families", default="")
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    names = [n for n in sorted(registry()) if not n.startswith("_")]
    if args.families:
        names = [n for n in names if n in args.families.split(",")]
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    header = "".join(f"{s + ' wall/cpu':>24s}" for s in SHAPES)
    print(f"{'family':18s}{header}   statsforecast peer cpu ms (ratio ours/peer, cpu)")
    for name in names:
        cells, peer_cells = [], []
        for n, m, h in SHAPES.values():
            series = [synthetic(n, m, seed) for seed in range(args.series)]
            reps = 1 if name == "prophet" else args.repeats
            wall, cpu = median_ms(ours(name, m, h), series, reps)
            cells.append(f"{wall:12.1f}/{cpu:<10.1f}")
            run_peer = None if args.no_peers or name not in PEERS else peer(name, m, h)
            if run_peer is not None:
                _, p = median_ms(run_peer, series, args.repeats)
                peer_cells.append(f"{PEERS[name]} {p:.1f} ({cpu / p:.1f}x)")
        print(f"{name:18s}" + "".join(cells) + "   " + "; ".join(peer_cells))


if __name__ == "__main__":
    main()
