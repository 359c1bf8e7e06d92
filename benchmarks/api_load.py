"""Load benchmark: wrk against ``invest serve`` (1 worker, loopback) beside a bare FastAPI endpoint.

Measures GET /v1/forecasts/{id} and POST /v1/forecasts:batch (100 ids) and the bare constant endpoint in
the same run, and prints requests/s, p50, p99, non-2xx and the ratio to the bare endpoint.

    python benchmarks/api_load.py                       # serves the champion from the project registry
    python benchmarks/api_load.py --tracking-uri sqlite:////tmp/reg/mlflow.db
    python benchmarks/api_load.py --bundle path/to/bundle --duration 15 --connections 50

Needs ``wrk`` (``apt-get install wrk``). Targets (issue 5): single GET >= 0.7x bare, p99 < 20 ms at 50
connections, zero non-2xx.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(cmd: list[str], env: dict[str, str], probe: str, timeout: float = 120) -> Iterator[None]:
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{cmd[:4]} exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
                )
            try:
                if httpx.get(probe, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{probe} not ready after {timeout}s")
            time.sleep(0.2)
        yield
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def run_wrk(
    url: str, duration: int, connections: int, threads: int, script: Path | None = None
) -> dict[str, float]:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run(
        [*cmd, url], capture_output=True, text=True, timeout=duration + 60, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {p: _ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M)}
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": rps,
        "p50": pct.get("50", float("nan")),
        "p99": pct.get("99", float("nan")),
        "requests": total,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def post_script(path: Path, body: bytes) -> Path:
    lua = path / "batch.lua"
    lua.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(body.decode())}\n"
    )
    return lua


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracking-uri", help="registry to serve the champion from (default: project settings)")
    ap.add_argument("--bundle", type=Path, help="serve a local bundle folder instead")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--rounds", type=int, default=2, help="interleaved rounds; the best round per target is kept"
    )
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    env = {"INVEST_API_CACHE_DIR": tempfile.mkdtemp(prefix="api-bench-cache-")}
    if args.tracking_uri:
        env["INVEST_API_TRACKING_URI"] = args.tracking_uri
    if args.bundle:
        env["INVEST_API_BUNDLE_PATH"] = str(args.bundle.resolve())
    py = sys.executable
    bare_port, api_port = free_port(), free_port()
    bare = [
        py,
        "-m",
        "uvicorn",
        "benchmarks.bare_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(bare_port),
        "--workers",
        "1",
        "--no-access-log",
        "--no-server-header",
        "--log-level",
        "warning",
    ]
    api = [
        py,
        "-m",
        "forecasting.cli.serve_cmd",
        "--host",
        "127.0.0.1",
        "--port",
        str(api_port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    bare_url, api_url = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{api_port}"
    with (
        tempfile.TemporaryDirectory() as tmp,
        server(bare, {}, f"{bare_url}/constant"),
        server(api, env, f"{api_url}/health"),
    ):
        ids = [
            s["series_id"] for s in httpx.get(f"{api_url}/v1/series", params={"limit": 1000}).json()["items"]
        ]
        model = httpx.get(f"{api_url}/v1/models/current").json()
        batch_ids = (ids * (100 // max(len(ids), 1) + 1))[:100] if len(ids) < 100 else ids[:100]
        body = json.dumps({"series_ids": list(dict.fromkeys(batch_ids))}).encode()
        script = post_script(Path(tmp), body)
        targets = {
            "bare GET /constant": (f"{bare_url}/constant", None),
            "GET /v1/forecasts/{id}": (f"{api_url}/v1/forecasts/{ids[0]}", None),
            f"POST /v1/forecasts:batch ({len(json.loads(body)['series_ids'])} ids)": (
                f"{api_url}/v1/forecasts:batch",
                script,
            ),
        }
        for url, scr in targets.values():  # warm-up
            run_wrk(url, 2, args.connections, args.threads, scr)
        best: dict[str, dict[str, float]] = {}
        for _ in range(args.rounds):
            for name, (url, scr) in targets.items():
                res = run_wrk(url, args.duration, args.connections, args.threads, scr)
                if name not in best or res["rps"] > best[name]["rps"]:
                    best[name] = res
    base = best["bare GET /constant"]["rps"]
    print(
        f"model {model['model_name']} v{model['model_version']} ({model['n_series']} series, "
        f"served from {model['served_from']}); wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
        f"best of {args.rounds} interleaved rounds; uvicorn 1 worker, loopback"
    )
    print(f"{'target':<42} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'ratio':>6}")
    for name, r in best.items():
        print(
            f"{name:<42} {r['rps']:>10.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['non2xx'] + r['socket_errors']:>8} "
            f"{r['rps'] / base:>6.2f}"
        )
    single = best["GET /v1/forecasts/{id}"]
    ok = (
        single["rps"] >= 0.7 * base
        and single["p99"] < 20
        and all(r["non2xx"] + r["socket_errors"] == 0 for r in best.values())
    )
    print("targets (single GET >= 0.7x bare, p99 < 20 ms, zero non-2xx):", "MET" if ok else "NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
