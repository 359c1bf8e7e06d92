"""Per-series fit+predict time of every model family, with statsforecast peers measured in the same run.

Two shapes, as served: a 24-point annual series (h=4) and a 40-point quarterly series (h=8). Each
family runs on ``--series`` different synthetic series, ``--repeats`` times each; we print the median
ms per series (the machines are shared and noisy: compare ratios from one run, not absolute times).

    python benchmarks/model_speed.py [--series 8] [--repeats 3] [--families ets,theta] [--no-peers]
"""

from __future__ import annotations

import argparse
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


def median_ms(run: Callable[[np.ndarray], object], series: list[np.ndarray], repeats: int) -> float:
    run(series[0])  # warm-up: imports, JIT, caches
    per_series = []
    for y in series:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            run(y)
            times.append(time.perf_counter() - t0)
        per_series.append(np.median(times))
    return 1e3 * float(np.median(per_series))


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
    print(
        f"{'family':18s}"
        + "".join(f"{s:>14s}" for s in SHAPES)
        + "   peer (statsforecast) ms, ratio ours/peer"
    )
    for name in names:
        cells, peer_cells = [], []
        for n, m, h in SHAPES.values():
            series = [synthetic(n, m, seed) for seed in range(args.series)]
            reps = 1 if name == "prophet" else args.repeats
            cells.append(median_ms(ours(name, m, h), series, reps))
            run_peer = None if args.no_peers or name not in PEERS else peer(name, m, h)
            if run_peer is not None:
                p = median_ms(run_peer, series, args.repeats)
                peer_cells.append(f"{PEERS[name]} {p:.1f} ({cells[-1] / p:.1f}x)")
        print(f"{name:18s}" + "".join(f"{c:14.1f}" for c in cells) + "   " + "; ".join(peer_cells))


if __name__ == "__main__":
    main()
