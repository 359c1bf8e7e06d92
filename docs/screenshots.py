"""Screenshots of the workbench (``/app``) for the README, from a running ``invest serve``.

Why a script: the pictures in the README must show the page as it is, so they are taken by driving the real
page in Debian's headless Chromium (never a downloaded browser) against a real server, at a laptop's
1366x768, and re-taken whenever the page changes. Every request must stay on the server's origin and the
page must log no console error; the script fails otherwise. PNGs are palette-quantised to stay small.

    invest serve --port 8765 &          # a server with a champion and written scorecards (invest run)
    python docs/screenshots.py --base http://127.0.0.1:8765
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

from forecasting.chromium import HEADLESS_ARGS

OUT = Path(__file__).resolve().parent / "img"
CHROMIUM = "/usr/bin/chromium"
ARGS = list(HEADLESS_ARGS)
SIZE = {"width": 1366, "height": 768}
SERIES = "fdi_inward_position.TLG.all.A"


def optimise(png: bytes, path: Path) -> int:
    """Quantise to a 256-colour palette (charts and text survive it) and write; returns the size."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )
    return path.stat().st_size


def explorer(page: Page, base: str) -> None:
    page.goto(f"{base}/app#explorer/{SERIES}")
    page.locator("#fan .main-svg").first.wait_for()
    page.locator("#provenance dd").nth(3).wait_for()


def scenarios(page: Page, base: str) -> None:
    page.goto(f"{base}/app#scenarios")
    page.locator("#sc-start option[value='global-downturn']").wait_for(state="attached")
    page.select_option("#sc-start", "global-downturn")
    page.click("#sc-run")
    page.locator("#sc-diff .main-svg").first.wait_for()
    page.locator("#sc-result h2").first.scroll_into_view_if_needed()


def scorecards(page: Page, base: str) -> None:
    page.goto(f"{base}/app#scorecards/automotive")
    page.locator("#cluster .metrics-scored").wait_for()
    # show the end of the scored metrics and the separate licensed data preview below them
    page.locator("#cluster .preview").scroll_into_view_if_needed()


def validation(page: Page, base: str) -> None:
    page.goto(f"{base}/app#scorecards/automotive")
    page.locator("#validation table tbody tr").first.wait_for()
    page.locator("#validation").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('validation').scrollIntoView({block: 'start'})")


TRACKED = "business_investment_cvm_sa.UK.all.Q"


def track(page: Page, base: str) -> None:
    """The track record below the fan chart (the words that say there is none when none is attached)."""
    page.goto(f"{base}/app#explorer/{TRACKED}")
    page.locator("#track-body p").first.wait_for(timeout=120_000)
    if page.locator("#track-chart").count():
        page.locator("#track-chart .main-svg").first.wait_for()
    page.evaluate("document.getElementById('track').scrollIntoView({block: 'start'})")


def compare(page: Page, base: str) -> None:
    page.goto(f"{base}/app#compare/fdi_inward_position.MID.all.A")
    # the placeholder title is "Comparison"; the other version's bundle loads from the registry first
    page.wait_for_function(
        "() => document.getElementById('cmp-title')?.textContent !== 'Comparison'", timeout=120_000
    )
    if page.locator("#cmp-chart").count():
        page.locator("#cmp-chart .main-svg").first.wait_for()


VIEWS = {
    "explorer": explorer,
    "scenarios": scenarios,
    "scorecards": scorecards,
    "validation": validation,
    "track": track,
    "compare": compare,
}


def _has_track_record(base: str) -> bool:
    import httpx

    return bool(httpx.get(f"{base}/v1/reference/series/{TRACKED}", timeout=60).json().get("has_track_record"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="http://127.0.0.1:8765", help="where invest serve listens")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--views", default=",".join(VIEWS), help="comma-separated: " + ", ".join(VIEWS))
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    base = a.base.rstrip("/")
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport=SIZE, accept_downloads=True)
            page = context.new_page()

            def gate(route) -> None:  # noqa: ANN001
                url = route.request.url
                if url.startswith((base, "data:", "blob:")):
                    route.continue_()
                else:
                    problems.append(f"request leaving the machine: {url}")
                    route.abort()

            page.route("**/*", gate)
            page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
            for name in a.views.split(","):
                if name == "track" and not _has_track_record(base):
                    print(f"track: {TRACKED} has no track record in the served bundle; not retaken")
                    continue
                VIEWS[name](page, base)
                page.wait_for_timeout(300)
                size = optimise(page.screenshot(), a.out / f"workbench-{name}.png")
                print(f"{a.out / f'workbench-{name}.png'}: {size / 1024:.0f} KiB")
        finally:
            browser.close()
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
