"""Slow-client benchmark: thousands of idle and header-trickling sockets against a real ``invest serve``.

Starts ``invest serve`` on a loopback port, opens up to ``--clients`` sockets (half send nothing, half
trickle one header byte per second and never finish; a socket the server closes is reopened, like a
persistent attacker), and meanwhile asks ``GET /health`` on a fresh connection every 0.25 s. Prints how
many sockets were open at the peak, how many the server closed, and the /health latencies (p50, p99, max)
and failures. Bounded in count and time: it stops itself after ``--duration`` seconds.

    python benchmarks/slow_clients.py                          # 20,000 sockets for 40 s, the project's model
    python benchmarks/slow_clients.py --bundle path/to/bundle --clients 5000 --duration 20

Before bounded connections (issue 22) ~20,000 such sockets exhausted the server's descriptors and every
/health failed for ~40 s. The target: /health keeps answering within 1 s. Without a model /health answers
503 (no model): still an answer; the latency is what is measured.

Also printed, to tell where a slow probe's time went: the server's CPU seconds during the attack, the
kernel's count of connections dropped at a full accept queue (``ListenOverflows``: system-wide, so another
server's drops would count too) and how many probes took a second or more just to connect (a dropped SYN,
resent by the client's TCP after 1 s). Measured (December 2026) on a 2-core machine shared with other
jobs at load 15-28, main and the one-timer + 65,535-backlog version run back to back, four runs each
(each run preceded by ``uptime``; the attacker, starved of CPU too, kept only ~7,000 sockets open at once):
main dropped 941-1,479 connections at its 2,048 accept queue in every run and 3 of 446 probes took over
1 s (max 1.37 s; two were dropped SYNs); the new version dropped none, 1 of 473 probes took over 1 s (max
1.39 s, connect fast: the server waiting for a CPU at load 28), server CPU 2.9-3.2 s vs 3.4-4.2 s per run.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 1 << 16
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        return want
    except (ValueError, OSError):
        return soft


def listen_overflows() -> int | None:
    """The kernel's count of connections dropped at a full accept queue (Linux, system-wide), else None."""
    try:
        head, values = Path("/proc/net/netstat").read_text().splitlines()[:2]
        return int(dict(zip(head.split(), values.split(), strict=True))["ListenOverflows"])
    except (OSError, ValueError, KeyError):
        return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a running process (Linux ``/proc``), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


OPEN, PEAK, OPENED, CLOSED, FAILED = range(5)  # indices of the attack's shared counters


class Attack:
    """The slow clients: ``n`` sockets kept open (reopened a second after the server closes one).

    Runs in its own process (uvloop when installed) so its event loop does not slow the /health probe;
    its counters live in shared memory so the figures survive the process being stopped at the end."""

    def __init__(self, port: int, n: int, trickle_fraction: float, stats: Any) -> None:
        self.port, self.n, self.trickle_fraction, self.stats = port, n, trickle_fraction, stats

    async def client(self, i: int) -> None:
        st = self.stats
        trickle = i < self.n * self.trickle_fraction
        loop = asyncio.get_running_loop()
        header = b"GET /health HTTP/1.1\r\nX-Slow: " + b"a" * 10_000
        while True:
            s = socket.socket()
            s.setblocking(False)
            try:
                await asyncio.wait_for(loop.sock_connect(s, ("127.0.0.1", self.port)), 10)
            except (OSError, TimeoutError):
                st[FAILED] += 1
                s.close()
                await asyncio.sleep(1)
                continue
            st[OPENED] += 1
            st[OPEN] += 1
            st[PEAK] = max(st[PEAK], st[OPEN])
            try:
                if trickle:  # one header byte a second; the server's close shows as a failed send
                    for k in range(len(header)):
                        await loop.sock_sendall(s, header[k : k + 1])
                        await asyncio.sleep(1)
                else:  # nothing at all; the server's close shows as EOF
                    while await loop.sock_recv(s, 4096):
                        pass
                st[CLOSED] += 1
            except OSError:
                st[CLOSED] += 1
            finally:
                st[OPEN] -= 1
                s.close()
            await asyncio.sleep(1)  # then reconnect, as a persistent slow client would

    async def run(self) -> None:
        tasks = []
        for i in range(self.n):
            tasks.append(asyncio.create_task(self.client(i)))
            if i % 500 == 499:
                await asyncio.sleep(0.1)  # ramp up over a few seconds, as real clients would
        await asyncio.gather(*tasks)

    def run_in_process(self) -> None:
        raise_fd_limit()
        try:
            import uvloop

            uvloop.run(self.run())
        except ImportError:
            asyncio.run(self.run())


def probe(
    port: int, stop: threading.Event, latencies: list[float], connects: list[float], failures: list[str]
) -> None:
    """GET /health on a fresh connection every 0.25 s; a raw socket, so client overhead is not measured.

    ``connects`` gets the time to connect of each answered probe: a connect of a second or more is a SYN
    the kernel dropped at a full accept queue and the client's TCP resent (its first retry is at 1 s)."""
    request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                connected = time.perf_counter() - t0
                s.sendall(request)
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            latencies.append(time.perf_counter() - t0)
            connects.append(connected)
            status = data[9:12]
            if status not in (b"200", b"503"):
                failures.append(f"HTTP {status.decode(errors='replace') or 'no answer'}")
        except OSError as exc:
            failures.append(type(exc).__name__)
        time.sleep(0.25)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=20_000, help="Slow sockets to hold open (capped by fds).")
    ap.add_argument("--duration", type=float, default=40.0, help="Seconds to hold them (max 300).")
    ap.add_argument("--trickle-fraction", type=float, default=0.5, help="Share that trickle header bytes.")
    ap.add_argument("--bundle", type=Path, help="Serve this bundle folder (default: the project's champion).")
    args = ap.parse_args()
    duration = min(args.duration, 300.0)
    fds = raise_fd_limit()
    n = max(1, min(args.clients, fds - 200))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "forecasting.cli.app", "serve", "--port", str(port)]
    if args.bundle:
        cmd += ["--bundle", str(args.bundle)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "INVEST_API_POLL_SECONDS": "0"}
    log = tempfile.NamedTemporaryFile(prefix="slow-clients-serve-", suffix=".log", delete=False)  # noqa: SIM115
    # a file, not a pipe: an unread pipe fills up and blocks the server's logging
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"invest serve exited: {Path(log.name).read_text()[-2000:]}")
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit("invest serve did not start within 120 s") from None
                time.sleep(0.3)
        latencies: list[float] = []
        connects: list[float] = []
        failures: list[str] = []
        stop = threading.Event()
        prober = threading.Thread(target=probe, args=(port, stop, latencies, connects, failures), daemon=True)
        stats: Any = multiprocessing.Array("q", 5, lock=False)
        attack = Attack(port, n, args.trickle_fraction, stats)
        print(f"{n} slow clients (fd limit {fds}) for {duration:g} s against invest serve on {base}")
        attacker = multiprocessing.Process(target=attack.run_in_process, daemon=True)
        overflows0, cpu0 = listen_overflows(), cpu_seconds(proc.pid)
        t0 = time.monotonic()
        attacker.start()
        prober.start()
        while time.monotonic() - t0 < duration:
            time.sleep(5)
            print(
                f"  {time.monotonic() - t0:3.0f} s: open {stats[OPEN]}, opened {stats[OPENED]}, closed by the "
                f"server {stats[CLOSED]}, /health answered {len(latencies)}, failed {len(failures)}",
                flush=True,
            )
        overflows1, cpu1 = listen_overflows(), cpu_seconds(proc.pid)
        stop.set()
        attacker.terminate()
        attacker.join(timeout=30)
        prober.join(timeout=10)
        opened, peak, closed, connect_failures = stats[OPENED], stats[PEAK], stats[CLOSED], stats[FAILED]
        wall = time.monotonic() - t0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        print(f"server log: {log.name}")
    lat = sorted(latencies)
    print(
        f"sockets opened {opened}, peak open {peak}, closed by the server {closed}, connect failures "
        f"{connect_failures}, wall {wall:.0f} s"
    )
    if cpu0 is not None and cpu1 is not None:
        print(f"server CPU during the attack {cpu1 - cpu0:.1f} s")
    if overflows0 is not None and overflows1 is not None:
        print(
            f"connections dropped at the server's full accept queue (kernel, system-wide): {overflows1 - overflows0}"
        )
    if lat:
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
        print(
            f"/health: {len(lat)} answered, {len(failures)} failed; latency p50 "
            f"{statistics.median(lat) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms; "
            f"over 1 s: {sum(x > 1 for x in lat)}"
        )
        slow_connects = sum(c >= 1 for c in connects)
        print(
            f"/health probes whose connect took 1 s or more (a SYN dropped at a full accept queue): {slow_connects}"
        )
    else:
        print(f"/health: never answered ({len(failures)} failures: {sorted(set(failures))})")


if __name__ == "__main__":
    main()
