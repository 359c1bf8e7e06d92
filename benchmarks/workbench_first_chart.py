"""Time to the workbench's first chart on a warm server, in the system Chromium (never a downloaded one).

What an analyst waits for when opening ``/app``: from navigation until the explorer's fan chart is on
screen. Two times: the first chart drawn (the page's ``first-chart`` mark: the static sketch drawn as soon
as the numbers arrive, or the interactive chart if plotly.js was quicker) and the interactive chart
(plotly's ``.main-svg`` inside ``#fan``). Two cases, each the median of ``--runs`` loads:

- *new browser*: a fresh browser context (empty HTTP cache): the page, its modules, plotly.js (the basic
  dist: 1.2 MB, about 0.4 MB gzip-compressed; the full bundle was 4.8 MB) and the API calls all travel;
- *returning browser*: the same context again: plotly.js comes from the browser cache (versioned name,
  cached for a year), the page's own files revalidate (ETag).

It also prints the bytes the page pulled over the wire and whether the series catalogue (``/v1/series``
pages) was fetched before the first chart. The server must already be running and warm, e.g.::

    invest serve --port 8000 &
    python benchmarks/workbench_first_chart.py --url http://127.0.0.1:8000 --runs 5

Compare two builds by pointing ``--url`` at a server of each (same registry).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from forecasting.chromium import HEADLESS_ARGS, find_chromium

SPLITS: list[tuple[float, float, float]] = []  # (first chart drawn, last API answer, plotly.js ready), s


def first_chart(context, url: str) -> tuple[float, int, bool]:  # noqa: ANN001
    """(seconds to the first chart, bytes received, catalogue fetched before it) for one page load."""
    page = context.new_page()
    requests: list = []
    catalogue: list[str] = []

    def on_request(r) -> None:  # noqa: ANN001
        requests.append(r)
        if "/v1/series?" in r.url:
            catalogue.append(r.url)

    page.on("request", on_request)
    start = time.perf_counter()
    page.goto(f"{url}/app", wait_until="commit")
    page.locator("#fan .main-svg").first.wait_for(timeout=60_000)
    took = time.perf_counter() - start
    fetched_catalogue = bool(catalogue)
    marks = page.evaluate(
        "() => Object.fromEntries(['plotly-ready', 'first-chart'].map(n => "
        "[n, (performance.getEntriesByName(n)[0] || {}).startTime || null]))"
    )
    api = page.evaluate(
        "() => Math.max(0, ...performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('/v1/') && !e.name.includes('/v1/track-record'))"
        ".map(e => e.responseEnd))"
    )
    SPLITS.append(((marks["first-chart"] or 0) / 1000, api / 1000, (marks["plotly-ready"] or 0) / 1000))
    page.wait_for_load_state("networkidle")
    wire = 0
    for r in requests:  # encoded (on-the-wire) body sizes; 0 for what came from the browser cache
        if r.response() is not None:
            wire += r.sizes()["responseBodySize"]
    page.close()
    return took, wire, fetched_catalogue


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="base URL of a running `invest serve`")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    url = args.url.rstrip("/")

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=find_chromium("for the workbench benchmark"), args=list(HEADLESS_ARGS)
        )
        try:
            warmup = browser.new_context()
            first_chart(warmup, url)  # the server's caches (model, names, search index) warm
            warmup.close()
            new, returning, wire, cat = [], [], [], []
            for _ in range(args.runs):
                context = browser.new_context(viewport={"width": 1366, "height": 768})
                t, n, c = first_chart(context, url)
                new.append(t)
                wire.append(n)
                cat.append(c)
                t, _, _ = first_chart(context, url)
                returning.append(t)
                context.close()
        finally:
            browser.close()
    load = os.getloadavg()
    print(f"workbench first chart at {url}/app ({args.runs} runs, median; min-max)")
    print(
        f"  machine load average (1/5/15 min): {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} CPUs"
    )
    print("  interactive chart (plotly) after navigation:")
    print(f"  new browser (empty cache): {statistics.median(new):.2f} s ({min(new):.2f}-{max(new):.2f})")
    print(
        f"  returning browser:         {statistics.median(returning):.2f} s ({min(returning):.2f}-{max(returning):.2f})"
    )
    print(f"  bytes over the wire (new browser, encoded bodies): {statistics.median(wire) / 1e6:.2f} MB")
    print(f"  series catalogue fetched before the first chart: {'yes' if any(cat) else 'no'}")
    drawn = statistics.median(d for d, _, _ in SPLITS)
    api_done = statistics.median(a for _, a, _ in SPLITS)
    plotly_done = statistics.median(p for _, _, p in SPLITS)
    if drawn:
        print(f"  first chart drawn (sketch or interactive; page clock, all loads): {drawn:.2f} s")
        print(f"  API answers in by {api_done:.2f} s; plotly.js parsed and run by {plotly_done:.2f} s")
    else:
        print(f"  (the page sets no first-chart mark: an older build); API answers in by {api_done:.2f} s")


if __name__ == "__main__":
    main()
