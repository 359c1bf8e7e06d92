"""Open the scorecard report in headless Chromium, fail on console errors, and save screenshots.

Usage: ``python -m forecasting.scorecards.check_report REPORT_DIR [--pages N]``. Exit code 0 = every page
checked loaded with no console error, no uncaught exception and no failed resource; screenshots are written
to ``REPORT_DIR/screenshots/``.

Why the DevTools protocol and not ``--screenshot`` alone: ``--screenshot`` does not report console errors
or failed image loads reliably; the protocol gives ``Runtime.exceptionThrown``, ``Runtime.consoleAPICalled``
and ``Log.entryAdded`` (which carries network failures such as a missing PNG) for each page.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from forecasting.chromium import HEADLESS_ARGS, find_chromium

FLAGS = [
    *HEADLESS_ARGS,
    "--disable-quic",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "--window-size=1280,900",
]


@dataclass
class PageCheck:
    url: str
    errors: list[str] = field(default_factory=list)
    screenshot: Path | None = None


def _ws_url(user_dir: Path, proc: subprocess.Popen, timeout: float = 30.0) -> str:
    port_file = user_dir / "DevToolsActivePort"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if port_file.exists():
            lines = port_file.read_text().split()
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with code {proc.returncode}")
        time.sleep(0.05)
    raise TimeoutError("chromium did not open its DevTools port")


class _Cdp:
    """A minimal DevTools client over one browser websocket (flattened target sessions)."""

    def __init__(self, ws: object) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict] = []

    async def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        msg: dict = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        await self.ws.send(json.dumps(msg))
        while True:
            data = json.loads(await self.ws.recv())
            if data.get("id") == self.next_id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data.get("result", {})
            self.events.append(data)

    async def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                data = await asyncio.wait_for(self.ws.recv(), timeout=max(0.01, end - time.monotonic()))
            except TimeoutError:
                break
            self.events.append(json.loads(data))


def _errors(events: list[dict], session: str) -> list[str]:
    out = []
    for e in events:
        if e.get("sessionId") != session:
            continue
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append(
                f"exception: {d.get('text', '?')} {d.get('exception', {}).get('description', '')}".strip()
            )
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append(
                "console.error: "
                + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            )
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            entry = p["entry"]
            out.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
    return out


async def _check(ws_url: str, pages: list[Path], shots: Path) -> list[PageCheck]:
    import websockets

    results = []
    async with websockets.connect(ws_url, max_size=64 * 1024 * 1024) as ws:
        cdp = _Cdp(ws)
        for page in pages:
            target = await cdp.call("Target.createTarget", {"url": "about:blank"})
            sid = (
                await cdp.call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
            )["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                await cdp.call(f"{domain}.enable", session=sid)
            await cdp.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                session=sid,
            )
            url = page.resolve().as_uri()
            await cdp.call("Page.navigate", {"url": url}, session=sid)
            end = time.monotonic() + 20
            while time.monotonic() < end and not any(
                e.get("method") == "Page.loadEventFired" and e.get("sessionId") == sid for e in cdp.events
            ):
                await cdp.drain(0.1)
            await cdp.drain(0.3)
            check = PageCheck(url, _errors(cdp.events, sid))
            if not any(
                e.get("method") == "Page.loadEventFired" and e.get("sessionId") == sid for e in cdp.events
            ):
                check.errors.append("page did not finish loading in 20 s")
            metrics = await cdp.call("Page.getLayoutMetrics", session=sid)
            height = int(
                min(metrics.get("cssContentSize", metrics.get("contentSize", {})).get("height", 900), 12000)
            )
            shot = await cdp.call(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1},
                },
                session=sid,
            )
            name = page.stem if page.parent.name != "clusters" else f"cluster_{page.stem}"
            check.screenshot = shots / f"{name}.png"
            check.screenshot.write_bytes(base64.b64decode(shot["data"]))
            await cdp.call("Target.closeTarget", {"targetId": target["targetId"]})
            results.append(check)
    return results


def check_report(report_dir: Path, max_cluster_pages: int | None = None) -> list[PageCheck]:
    """Open index.html, methodology.html, validation.html, candidates.html (when written), print.html and
    the cluster pages (all, or the first ``max_cluster_pages``) in headless Chromium."""
    report_dir = Path(report_dir)
    index = report_dir / "index.html"
    if not index.is_file():
        raise FileNotFoundError(f"{index} not found: run `invest scorecards --out {report_dir}` first")
    clusters = sorted((report_dir / "clusters").glob("*.html"))
    if max_cluster_pages is not None:
        clusters = clusters[:max_cluster_pages]
    shots = report_dir / "screenshots"
    shots.mkdir(exist_ok=True)
    user_dir = Path(tempfile.mkdtemp(prefix="scorecard-chromium-"))
    proc = subprocess.Popen(
        [find_chromium(), *FLAGS, f"--user-data-dir={user_dir}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        pages = ("methodology.html", "validation.html", "candidates.html", "print.html")
        extra = [report_dir / p for p in pages if (report_dir / p).is_file()]
        return asyncio.run(_check(_ws_url(user_dir, proc), [index, *extra, *clusters], shots))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(user_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report_dir", type=Path)
    ap.add_argument("--pages", type=int, default=None, help="check only the first N cluster pages")
    args = ap.parse_args(argv)
    results = check_report(args.report_dir, args.pages)
    bad = [r for r in results if r.errors]
    for r in results:
        status = "OK " if not r.errors else "ERR"
        print(f"{status} {r.url} -> {r.screenshot}")
        for e in r.errors:
            print(f"    {e}")
    print(f"{len(results)} page(s) checked, {len(bad)} with console errors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
