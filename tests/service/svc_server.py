"""Run ``invest serve`` (the real CLI command under uvicorn) on a free loopback port, always torn down."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1.0).status_code in (200, 503):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"server at {base} not up within {timeout}s")


def serve_command() -> list[str]:
    """``invest serve`` through the CLI app once the lead has registered it, else the command module."""
    from forecasting.cli.app import app

    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    return ["-m", "forecasting.cli.app", "serve"] if "serve" in names else ["-m", "forecasting.cli.serve_cmd"]


@contextmanager
def serve(env: Mapping[str, str], *args: str, log: Path | None = None) -> Iterator[str]:
    """Yield the base URL of ``invest serve --port N`` started with ``env``; SIGTERM then SIGKILL on exit."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "forecasting.cli.serve_cmd",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *args,
    ]
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc)
        yield base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if log:
            out.close()
