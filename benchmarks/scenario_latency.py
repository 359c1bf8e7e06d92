"""Scenario latency through the API (one uvicorn worker): single-series p95 vs 200 ms, whole hierarchy vs 3 s.

Usage::

    python benchmarks/scenario_latency.py                    # generated Midlands bundle (26 clusters x 77 areas)
    python benchmarks/scenario_latency.py --bundle DIR       # a saved bundle folder
    python benchmarks/scenario_latency.py --clusters 5 -n 50

The generated bundle is a Midlands tree (MID -> TLF/TLG -> 9 ITL2 -> 65 LADs) for every cluster, driven
by World and UK FDI with transmission estimated by ``estimate_transmission`` (links for the tops, the
children's exposures for every edge); requests are real HTTP to a real uvicorn server in this process.
Prints the time to index the bundle (once per model version), then p50/p95/max per request type and the
ratio to the target. Figures before and after the scenario rework are in docs/SCENARIOS.md.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import uvicorn
from scipy import stats

from forecasting.registry.contents import BundleContents
from forecasting.registry.schema import BundleMetadata, DriverInfo
from forecasting.training.transmission import estimate_transmission
from forecasting.vocabulary import QUANTILE_GRID

WLD, UKF = "fdi_net_inflows_usd.WLD.all.A", "fdi_net_inflows_usd.UK.all.A"
H = 5


def _tree() -> dict[str, list[str]]:
    kids = {"MID": ["TLF", "TLG"]}
    lad = 0
    for region, n2 in (("TLF", 4), ("TLG", 5)):
        kids[region] = [f"{region}{i}" for i in range(1, n2 + 1)]
        for itl2 in kids[region]:
            kids[itl2] = [f"E0{7000000 + lad + j}" for j in range(7)]
            lad += 7
    return kids


def make_bundle(n_clusters: int, seed: int = 3) -> BundleContents:
    rng = np.random.default_rng(seed)
    years = np.arange(2005, 2025)
    lw = np.log(1.5e12) + np.cumsum(rng.normal(0.03, 0.15, len(years)))
    rows = [(WLD, y, v) for y, v in zip(years, np.exp(lw), strict=True)]
    rows += [
        (UKF, y, v)
        for y, v in zip(years, np.exp(lw) * 0.04 * np.exp(rng.normal(0, 0.1, len(years))), strict=True)
    ]
    kids = _tree()
    leaves = sorted({c for cs in kids.values() for c in cs} - set(kids))
    edges, fc_rows = [], []
    clusters = ["all"] + [f"c{i:02d}" for i in range(1, n_clusters)]
    for cl in clusters:
        sid = lambda g, cl=cl: f"fdi_projects.{g}.{cl}.A"  # noqa: E731
        val = {g: 5 * np.exp(0.8 * (lw - lw[0]) + rng.normal(0, 0.1, len(years))) for g in leaves}
        fut = {g: val[g][-1] * 1.02 ** np.arange(1, H + 1) for g in leaves}

        def total(g: str, src: dict[str, np.ndarray]) -> np.ndarray:
            return src[g] if g not in kids else sum(total(c, src) for c in kids[g])

        for g in dict.fromkeys(["MID", *kids, *leaves]):
            if g in val and g not in leaves:
                continue
            hist_v, fut_v = total(g, val), total(g, fut)
            rows += [(sid(g), y, v) for y, v in zip(years, hist_v, strict=True)]
            fc_rows.append((sid(g), fut_v))
        edges += [(sid(p), sid(c)) for p, cs in kids.items() for c in cs]
    for d in (WLD, UKF):
        last = [v for s, _, v in rows if s == d][-1]
        fc_rows.append((d, last * 1.02 ** np.arange(1, H + 1)))
    panel = pd.DataFrame(rows, columns=["series_id", "year", "value"])
    parts = panel["series_id"].str.split(".", expand=True)
    panel["measure"], panel["geography"], panel["cluster"], panel["frequency"] = (
        parts[0],
        parts[1],
        parts[2],
        parts[3],
    )
    panel["period"] = pd.to_datetime(panel["year"].astype(str) + "-01-01")
    fc = []
    for s, m in fc_rows:
        sd = 0.1 * np.abs(m) * np.sqrt(np.arange(1, H + 1))
        for k in range(H):
            r = {
                "series_id": s,
                "step": k + 1,
                "period": str(2025 + k),
                "period_start": pd.Timestamp(2025 + k, 1, 1),
                "mean": m[k],
            }
            r |= {f"q{q:g}": m[k] + stats.norm.ppf(q) * sd[k] for q in QUANTILE_GRID}
            fc.append(r | {"method": "drift", "fallback": "", "reconciled": True})
    ids = sorted(panel["series_id"].unique())
    cat = pd.DataFrame({"series_id": ids, "frequency": "A", "unit": "projects", "non_negative": False})
    hist = panel.assign(
        period_start=panel["period"], period=panel["year"].astype(str), source="synthetic", vintage="v1"
    )
    tab = estimate_transmission(
        panel,
        cat,
        [WLD, UKF],
        [s for s in ids if s != WLD],
        hierarchy=pd.DataFrame(edges, columns=["parent_id", "child_id"]),
    )
    return BundleContents(
        catalogue=cat,
        history=hist[["series_id", "period", "period_start", "value", "source", "vintage"]],
        forecasts=pd.DataFrame(fc),
        metrics=pd.DataFrame({"series_id": ids}),
        level_metrics=pd.DataFrame(),
        hierarchy=pd.DataFrame(edges, columns=["parent_id", "child_id"]),
        transmission=tab,
        metadata=BundleMetadata(
            data_vintage="bench",
            experiment="scenario-latency",
            seed=1,
            trained_at="2026-01-01",
            max_horizon=H,
            drivers=[DriverInfo(series_id=WLD, alias="world_fdi"), DriverInfo(series_id=UKF, alias="uk_fdi")],
        ),
    )


def _serve(contents: BundleContents) -> tuple[uvicorn.Server, str]:
    from forecasting.settings import ApiSettings
    from service.app import create_app
    from service.lifecycle import StaticSource
    from service.routers import scenarios

    app = create_app(ApiSettings(), StaticSource(contents))
    if not any(getattr(r, "path", "").startswith("/v1/scenarios") for r in app.routes):
        app.include_router(scenarios.router)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, workers=1, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def _time(client: httpx.Client, n: int, call) -> np.ndarray:
    call(client)  # warm-up (builds the engine once per bundle)
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = call(client)
        out.append(time.perf_counter() - t)
        r.raise_for_status()
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bundle", type=Path, default=None)
    ap.add_argument("--clusters", type=int, default=26)
    ap.add_argument("-n", type=int, default=100, help="requests per case (whole hierarchy: n // 5)")
    args = ap.parse_args()
    if args.bundle:
        from forecasting.registry.store import find_bundle_dir, load_contents

        contents = load_contents(find_bundle_dir(args.bundle))
    else:
        t = time.perf_counter()
        contents = make_bundle(args.clusters)
        print(
            f"generated bundle: {contents.forecasts['series_id'].nunique()} series in {time.perf_counter() - t:.1f}s"
        )
    ids = sorted(contents.forecasts["series_id"].unique())
    one = next((s for s in ids if s.startswith("fdi_projects.E07")), ids[-1])
    from forecasting.scenarios.project import ScenarioEngine

    t = time.perf_counter()
    ScenarioEngine(contents)
    print(f"engine built in {time.perf_counter() - t:.2f}s (once per served model, on its first projection)")
    server, url = _serve(contents)
    shock = {
        "type": "shock",
        "measure": "fdi_projects",
        "geography": one.split(".")[1],
        "cluster": one.split(".")[2],
        "kind": "one_off",
        "value": 1,
    }
    cases = {
        "single series, named (GET)": (
            args.n,
            lambda c: c.get(f"{url}/v1/scenarios/global-downturn/projections", params={"series": one}),
            0.2,
        ),
        "single series, inline LA shock (POST)": (
            args.n,
            lambda c: c.post(
                f"{url}/v1/scenarios:project",
                json={"scenario": {"name": "s", "changes": [shock]}, "series": [one]},
            ),
            0.2,
        ),
        f"whole hierarchy, {len(ids)} series (GET)": (
            max(5, args.n // 5),
            lambda c: c.get(f"{url}/v1/scenarios/global-downturn/projections"),
            3.0,
        ),
    }
    try:
        with httpx.Client(timeout=60) as client:
            for name, (n, call, target) in cases.items():
                lat = _time(client, n, call)
                p50, p95 = np.percentile(lat, 50), np.percentile(lat, 95)
                print(
                    f"{name:45s} n={n:4d} p50 {1000 * p50:8.1f} ms  p95 {1000 * p95:8.1f} ms  max {1000 * lat.max():8.1f} ms"
                    f"  target {1000 * target:.0f} ms  p95/target {p95 / target:.3f}"
                )
    finally:
        server.should_exit = True


if __name__ == "__main__":
    main()
