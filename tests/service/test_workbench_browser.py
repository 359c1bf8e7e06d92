"""The workbench in a real browser: Debian's headless Chromium (Playwright, ``executable_path``) against a
real ``invest serve`` on loopback over a real trained registry and written scorecards.

Every test fails on a console error, a failed request or any request that would leave the machine (all
non-loopback requests are aborted and recorded). Numbers on the page are checked against the API's own
answers; a scenario saved from the page is run by the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from svc_registry import QUICK_FILES, TrainedRegistry
from svc_server import serve

from forecasting.chromium import HEADLESS_ARGS
from forecasting.settings import Settings

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
ARGS = list(HEADLESS_ARGS)
MID = "fdi_inward_position.MID.all.A"
TLG = "fdi_inward_position.TLG.all.A"


@pytest.fixture(scope="module")
def scorecards_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real (small-world) set of scorecards, as `invest scorecards --no-pdf` writes them."""
    from scorecard_world import make_bundle, make_inputs

    from forecasting.clusters.evidence import write_document
    from forecasting.scorecards.build import build_scorecards
    from forecasting.scorecards.publish import publish
    from service.routers.clusters import VALIDATION_EXAMPLE

    out = tmp_path_factory.mktemp("wb-scorecards")
    sset = build_scorecards(out / "unused.duckdb", make_bundle(), None, 11, draws=100, inputs=make_inputs())
    publish(sset, out, report=False)
    # the validation verdicts as `invest clusters validate` writes them beside the scorecards (its documented
    # example: a real one needs the BRES warehouse); the page must show what the API serves
    write_document(VALIDATION_EXAMPLE, out / "cluster_validation.json")
    return out


def _attach_track_record(data_dir: Path) -> None:
    """A track record for MID, where `invest track-record --attach` leaves it: the next training bundles it
    and the API serves it (replaying real releases takes minutes; the page must show what the API serves)."""
    import pandas as pd

    from forecasting.registry.schema import validate_table
    from forecasting.training.track_record import ATTACHED_DIR

    releases = ["2021-10-20", "2022-10-19", "2023-10-18"]
    outturn = {"2021": 4.0, "2022": -2.5, "2023": 3.1, "2024": 1.2}
    points = []
    for i, rel in enumerate(releases):
        year = int(rel[:4])
        for h in (0, 1):
            period = str(year + h)
            points.append(
                {
                    "series_id": MID,
                    "release": rel,
                    "last_observed": str(year - 1),
                    "kind": "growth",
                    "horizon": h,
                    "period": period,
                    "mean": 1.5 + i - h * 0.7,
                    "naive": 0.0,
                    "drift": 2.0,
                    "bridge": float("nan"),
                    "outturn": outturn[period],
                    "comparable": True,
                    **dict.fromkeys(("lo80", "hi80", "lo95", "hi95"), float("nan")),
                }
            )
    pts = pd.DataFrame(points)
    pts["horizon"] = pts["horizon"].astype("int64")
    summary = []
    for h in (0, 1):
        g = pts[pts["horizon"] == h]

        def err(c: str, g: pd.DataFrame = g) -> float:
            return float((g[c] - g["outturn"]).abs().mean())

        summary.append(
            {
                "series_id": MID,
                "kind": "growth",
                "horizon": h,
                "n": len(g),
                "model": err("mean"),
                "naive": err("naive"),
                "drift": err("drift"),
                "bridge": float("nan"),
                "ratio_naive": err("mean") / err("naive"),
                "coverage80": float("nan"),
                "coverage95": float("nan"),
                "vintages": len(releases),
                "outturn_release": "2024-10-16",
                "experiment": "quick",
                "computed_at": "2026-12-07T00:00:00+00:00",
            }
        )
    sm = pd.DataFrame(summary)
    for c in ("horizon", "n", "vintages"):
        sm[c] = sm[c].astype("int64")
    validate_table("track_record", sm)
    validate_table("track_record_points", pts)
    folder = data_dir / ATTACHED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    sm.to_parquet(folder / "summary.parquet", index=False)
    pts.to_parquet(folder / "points.parquet", index=False)


# The quick experiment's files plus the published US$/GBP rates and the GDP deflator (QNA) the rate table
# needs: with them training estimates the stock-flow link (UK flows -> UK position, in GBP) that carries
# `global-downturn` to the Midlands.
FILES = (
    *QUICK_FILES,
    "exchange_rates/fred_EXUSUK_monthly_1971-2025.csv",
    "ons_qna/ons_qna_dataset_release2023-12-22.csv",
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> TrainedRegistry:
    """A real registry for the browser: ingest, train quick.toml, promote (as conftest's, plus rates)."""
    from forecasting.warehouse.ingest import ingest, item_for_path
    from forecasting.warehouse.store import Warehouse

    root = tmp_path_factory.mktemp("wb-registry")
    settings = Settings(data_dir=root, warehouse_path=root / "warehouse.duckdb").model_copy(
        update={"tracking_uri": None}
    )
    with Warehouse(settings.warehouse) as wh:
        ingest(wh, [item_for_path(shared_data / rel) for rel in FILES], note="workbench browser tests")
    _attach_track_record(root)
    reg = TrainedRegistry(root, settings, settings.mlflow_uri, "")
    version = reg.train()
    reg.promote(version)
    return TrainedRegistry(root, settings, settings.mlflow_uri, version)


@pytest.fixture(scope="module")
def challenger(trained: TrainedRegistry) -> str:
    """A registered challenger beside the champion (a second real training when there is none)."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=trained.uri, registry_uri=trained.uri)
    try:
        return str(client.get_model_version_by_alias(trained.settings.model_name, "challenger").version)
    except Exception:
        return trained.train()


@pytest.fixture(scope="module")
def profiles_dir(trained: TrainedRegistry, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Area profiles written from the test registry's warehouse, as `invest profiles --no-pdf` writes them."""
    from forecasting.profiles.areas import resolve_area
    from forecasting.profiles.inputs import load_profile_inputs
    from forecasting.profiles.publish import write_profiles

    out = tmp_path_factory.mktemp("wb-profiles")
    inputs = load_profile_inputs(trained.settings.warehouse)
    write_profiles(inputs, [resolve_area("TLG"), resolve_area("E47000007")], out, pdf=False)
    return out


@pytest.fixture(scope="module")
def base(
    trained: TrainedRegistry, scorecards_dir: Path, profiles_dir: Path, challenger: str
) -> Iterator[str]:
    env = {
        **trained.env("cache-workbench"),
        "INVEST_API_POLL_SECONDS": "0",
        "INVEST_API_SCORECARDS_DIR": str(scorecards_dir),
        "INVEST_API_PROFILES_DIR": str(profiles_dir),
    }
    with serve(env) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, base: str) -> Iterator:  # noqa: ANN001
    """A fresh laptop-sized page; at the end, nothing may have gone wrong on it."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    p = context.new_page()
    problems: list[str] = []
    own = (base + "/", "data:", "blob:")

    def gate(route) -> None:  # noqa: ANN001
        if route.request.url.startswith(own):
            route.continue_()
        else:
            problems.append(f"request leaving the machine: {route.request.url}")
            route.abort()

    p.route("**/*", gate)
    p.on(
        "console", lambda m: m.type in ("error", "warning") and problems.append(f"console {m.type}: {m.text}")
    )
    p.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    p.on(
        "requestfailed",
        lambda r: (
            # the tab icon's fetch cut off by the test's next navigation is not a fault of the page
            None
            if r.url.endswith("/favicon.svg") and "ERR_ABORTED" in (r.failure or "")
            else problems.append(f"failed request: {r.url} {r.failure}")
        ),
    )
    p.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    p.problems = problems
    yield p
    context.close()
    assert not problems, problems


def _number(text: str) -> float:
    """Undo the page's number format: '−1,386', '+2.5 bn', '846.3'."""
    t = text.strip().replace("−", "-").replace("+", "").replace(",", "")
    scale = {"tn": 1e12, "bn": 1e9, "m": 1e6}
    parts = t.split()
    return float(parts[0]) * (scale[parts[1]] if len(parts) > 1 else 1)


def _close(shown: str, value: float) -> bool:
    return abs(_number(shown) - value) <= max(abs(value) * 0.001, 0.06)  # 4 significant digits


def test_the_page_loads_everything_from_its_own_server(page, base: str) -> None:  # noqa: ANN001
    loaded: list[str] = []
    page.on("request", lambda r: loaded.append(r.url))
    page.goto(f"{base}/app")
    page.locator("#fan .main-svg").first.wait_for()
    assert page.locator("#model-line").inner_text().startswith("Serving investment-forecaster v")
    assert any(re.search(r"/app/vendor/plotly-basic-[\d.]+\.min\.js$", u) for u in loaded)
    assert all(u.startswith(base + "/") or u.startswith(("data:", "blob:")) for u in loaded), loaded


def test_search_a_series_and_see_its_chart_provenance_and_downloads(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/app")
    page.fill("#q", "inward investment position west midlands")
    page.locator(f'#results [role=option][data-series="{TLG}"]').click()
    page.locator("#series-title", has_text="West Midlands").wait_for()
    page.locator("#fan .main-svg").first.wait_for()
    api = httpx.get(f"{base}/v1/forecasts/{TLG}").json()
    prov = page.locator("#provenance").inner_text()
    assert api["provenance"]["data_vintage"] in prov and api["method"] in prov
    assert f"v{api['provenance']['model_version']}" in prov
    assert api["provenance"]["last_observed"] in prov
    if api["accuracy"].get("mase") is not None:
        assert f"MASE {api['accuracy']['mase']:.2f}" in prov
    # the chart has a text alternative and its numbers in a table
    assert "80% interval" in page.locator("#fan-summary").inner_text()
    assert page.get_attribute("#fan-figure", "aria-describedby") == "fan-summary"
    rows = page.locator("#numbers-table tbody tr")
    assert rows.count() >= len(api["points"])
    kinds = [p.get("kind") for p in api["points"]]
    assert page.locator("#numbers-table tr.nowcast").count() == kinds.count("nowcast")
    if "nowcast" in kinds:
        assert page.locator("#fan .shapelayer path").count() >= 1  # the shaded nowcast stretch
    # downloads: the CSV is the API's own table with provenance columns; PNG and SVG from the chart
    with page.expect_download() as d:
        page.click("#dl-csv")
    csv_text = Path(d.value.path()).read_text()
    q = {
        "measure": "fdi_inward_position",
        "geography": "TLG",
        "cluster": "all",
        "frequency": "A",
        "format": "csv",
    }
    assert csv_text == httpx.get(f"{base}/v1/forecasts", params=q).text
    header = csv_text.splitlines()[0].split(",")
    assert {"data_vintage", "model_version", "is_synthetic", "last_observed", "kind"} <= set(header)
    assert d.value.suggested_filename == f"{TLG}.csv"
    with page.expect_download() as d:
        page.click("#dl-png")
    assert Path(d.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as d:
        page.click("#dl-svg")
    assert b"<svg" in Path(d.value.path()).read_bytes()[:400]


def test_synthetic_series_are_marked(page, base: str) -> None:  # noqa: ANN001
    items = httpx.get(f"{base}/v1/series", params={"limit": 1000}).json()["items"]
    synthetic = [i["series_id"] for i in items if i["is_synthetic"]]
    page.goto(f"{base}/app")
    page.locator("#results [role=option]").first.wait_for()
    listed = page.locator("#results [role=option]").evaluate_all("bs => bs.map(b => b.dataset.series)")
    assert not set(listed) & set(synthetic)  # hidden unless asked for
    if synthetic:
        page.goto(f"{base}/app#explorer/{synthetic[0]}")
        page.locator("#series-badges .badge.synthetic").wait_for()
        assert "Synthetic demo data" in page.locator("#provenance").inner_text()


def test_run_global_downturn_and_see_the_midlands_difference_with_its_interval(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/app#scenarios")
    page.locator("#sc-start option[value='global-downturn']").wait_for(state="attached")
    page.select_option("#sc-start", "global-downturn")
    assert page.input_value("#sc-name") == "global-downturn"
    with page.expect_response(lambda r: "/v1/scenarios/global-downturn/projections" in r.url) as resp:
        page.click("#sc-run")
    assert resp.value.status == 200  # a shipped scenario, unchanged, is fetched by name
    page.locator("#sc-detail-title", has_text="Midlands").wait_for()
    page.locator("#sc-diff .main-svg").first.wait_for()
    api = resp.value.json()
    mid = next(s for s in api["series"] if s["series_id"] == MID)
    assert mid["status"] == "moved"
    rows = page.locator("#sc-detail table.sc-points tbody tr")
    assert rows.count() == len(mid["points"])
    for i, p in enumerate(mid["points"]):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert cells[0] == p["period"] and cells[1] == p["kind"]
        assert _close(cells[4], p["diff"])
        lo, hi = cells[6].split(" to ")
        assert _close(lo, p["diff_lo80"]) and _close(hi, p["diff_hi80"])
        lo, hi = cells[7].split(" to ")
        assert _close(lo, p["diff_lo95"]) and _close(hi, p["diff_hi95"])
    assert any(p["diff"] != 0 for p in mid["points"])
    for s in api["series"]:
        if s["status"] == "not_identified":
            assert s["reason"][:40] in page.locator("#sc-result .warnbox").inner_text()


def _values(page) -> list[str]:  # noqa: ANN001
    return page.locator("#changes fieldset .path input").evaluate_all("xs => xs.map(x => x.value)")


def test_build_save_and_load_a_scenario_that_the_cli_runs(
    page, base: str, trained: TrainedRegistry, tmp_path: Path
) -> None:  # noqa: ANN001
    page.goto(f"{base}/app#scenarios")
    page.locator("#add-driver").wait_for()
    page.locator("#sc-start option[value='global-downturn']").wait_for(state="attached")
    page.fill("#sc-name", "wb-downturn")
    page.fill("#sc-desc", "World FDI 10% down for two years")
    page.click("#add-driver")
    fs = page.locator("#changes fieldset").first
    fs.get_by_label("Driver").select_option("world_fdi")
    fs.get_by_label("Path as").select_option("deviation")
    fs.get_by_label("Periods").fill("2")
    fs.get_by_label("Periods").dispatch_event("change")
    inputs = fs.locator(".path input")
    assert inputs.count() == 2
    assert "(%)" in fs.locator(".path label").first.inner_text()  # the unit beside every value
    inputs.nth(0).fill("-10")
    inputs.nth(1).fill("-5")
    with page.expect_response(lambda r: r.url.endswith("/v1/scenarios:project")) as resp:
        page.click("#sc-run")
    assert resp.value.status == 200
    page.locator("#sc-detail-title").wait_for()
    shown = resp.value.json()
    with page.expect_download() as d:
        page.click("#sc-save-toml")
    saved = tmp_path / d.value.suggested_filename
    d.value.save_as(saved)
    assert saved.name == "wb-downturn.toml"
    # the CLI runs the saved file and gets the page's numbers (same bundle, scenario and seed)
    env = {**os.environ, **trained.env("cache-cli")}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "forecasting.cli.app",
            "scenario",
            "run",
            str(saved),
            "--series",
            MID,
            "--json",
            "--tracking-uri",
            trained.uri,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    cli = json.loads(out.stdout)
    page_mid = next(s for s in shown["series"] if s["series_id"] == MID)
    cli_mid = next(s for s in cli["series"] if s["series_id"] == MID)
    assert [p["diff"] for p in cli_mid["points"]] == pytest.approx([p["diff"] for p in page_mid["points"]])
    assert cli["scenario"] == shown["scenario"]
    # JSON too, and both load back into the form
    with page.expect_download() as d:
        page.click("#sc-save-json")
    saved_json = tmp_path / d.value.suggested_filename
    d.value.save_as(saved_json)
    assert json.loads(saved_json.read_text())["changes"][0]["values"] == [-10, -5], (
        saved_json.read_text() + saved.read_text()
    )
    for f in (saved, saved_json):
        page.select_option("#sc-start", "global-downturn")
        assert _values(page) == ["-20", "-13.3", "-6.7", "0"]
        page.set_input_files("#sc-load", str(f))
        page.locator("#sc-name").wait_for()
        page.wait_for_function("() => document.getElementById('sc-name').value === 'wb-downturn'")
        assert page.input_value("#sc-desc") == "World FDI 10% down for two years"
        assert _values(page) == ["-10", "-5"]
        assert page.locator("#changes fieldset").first.get_by_label("Driver").input_value() == "world_fdi"


def test_a_refused_scenario_names_the_change_and_field(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/app#scenarios")
    page.locator("#add-shock").wait_for()
    page.locator("#sc-start option[value='global-downturn']").wait_for(state="attached")
    page.click("#add-shock")
    fs = page.locator("#changes fieldset").first
    fs.get_by_label("Value", exact=True).fill("1e300")
    problems_before = len(page.problems)
    page.click("#sc-run")
    page.locator("#alert-scenarios").wait_for()
    assert "Change 1, value" in page.locator("#alert-scenarios").inner_text()
    # the 422 is the answer the page expects: it is shown, not an error of the page
    page.problems[problems_before:] = [
        p for p in page.problems[problems_before:] if "HTTP 422" not in p and "422" not in p
    ]


def test_open_a_scorecard_with_the_preview_kept_apart(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/app#scorecards")
    page.locator("#ranking tbody tr").first.wait_for()
    ranking = httpx.get(f"{base}/v1/clusters").json()["items"]
    assert page.locator("#ranking tbody tr").count() == len(ranking) == 25
    first = page.locator("#ranking tbody tr").first.locator("td").all_inner_texts()
    assert first[0] == str(ranking[0]["rank"]) and first[1] == ranking[0]["name"]
    assert f"{ranking[0]['rank_interval']['p05']}–{ranking[0]['rank_interval']['p95']}" in first[3]
    page.locator('#ranking button[data-cluster="automotive"]').click()
    page.locator("#cluster-title", has_text="Automotive").wait_for()
    card = httpx.get(f"{base}/v1/clusters/automotive/scorecard").json()
    preview = [m["name"] for m in card["metrics"] if m.get("preview") or m.get("is_synthetic")]
    scored_table = page.locator("#cluster table.metrics-scored").inner_text()
    assert preview, "the small world has synthetic partner lists"
    preview_box = page.locator("#cluster .preview")
    assert "not scored" in preview_box.locator("h3").inner_text()
    for name in preview:
        assert name in preview_box.inner_text() and name not in scored_table
    href = page.locator("#cluster a", has_text="PDF").get_attribute("href")
    assert href == "/v1/clusters/automotive.pdf"
    assert page.locator("#pdf-all").get_attribute("href") == "/v1/clusters/scorecards.pdf"


def test_cluster_verdicts_and_their_evidence_are_shown(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/app#scorecards/automotive")
    page.locator("#validation table tbody tr").first.wait_for()
    doc = httpx.get(f"{base}/v1/clusters/validation").json()
    rows = page.locator("#validation table tbody tr")
    assert rows.count() == len(doc["clusters"])
    for i, c in enumerate(doc["clusters"]):
        cells = rows.nth(i).locator("td").all_inner_texts()
        sp = c["specialisation"]
        assert cells[0] == c["name"] and cells[1] == c["verdict"] and cells[5] == c["reason"]
        assert cells[2] == f"{sp['midlands_lq']:.2f} ({sp['lq_low']:.2f}–{sp['lq_high']:.2f})"
    counts = page.locator("#validation .sub").inner_text()
    assert all(f"{n} {k}" in counts for k, n in doc["counts"].items())
    # the open cluster's scorecard carries its verdict with the number behind each criterion
    page.locator("#cluster .evidence").wait_for()
    evidence = page.locator("#cluster .evidence").inner_text()
    auto = next(c for c in doc["clusters"] if c["cluster"] == "automotive")
    assert auto["verdict"] in evidence and auto["reason"] in evidence
    assert f"{auto['specialisation']['midlands_lq']:.2f}" in evidence
    assert f"{auto['critical_mass']['jobs']:,} jobs" in evidence


def test_the_track_record_sits_beside_the_fan_chart(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/app#explorer/{MID}")
    page.locator("#track-chart .main-svg").first.wait_for()
    rec = httpx.get(f"{base}/v1/track-record", params={"series_id": MID}).json()
    h0 = next(s for s in rec["summary"] if s["kind"] == "growth" and s["horizon"] == 0)
    verdict = page.locator("#track-verdict").inner_text()
    assert f"missed the outturn by {h0['model']:.1f} percentage points" in verdict
    assert f"against {h0['naive']:.1f} for no change and {h0['drift']:.1f} for drift" in verdict
    assert ("better than" if h0["model"] < h0["naive"] else "no better than") in verdict
    # one line per release plus the outturn; every growth point in the table, newest release first
    traces = page.evaluate("document.getElementById('track-chart').data.length")
    assert traces == len(rec["vintages"]) + 1
    rows = page.locator("#track details table tbody tr")
    growth = [
        (v["release"], p) for v in reversed(rec["vintages"]) for p in v["points"] if p["kind"] == "growth"
    ]
    assert rows.count() == len(growth) == 6
    for i, (release, p) in enumerate(growth):
        cells = rows.nth(i).locator("td").all_text_contents()  # inside a closed <details>: not rendered
        assert cells[0] == release and cells[2] == p["period"]
        assert _number(cells[3]) == pytest.approx(p["mean"], abs=0.051)
        assert _number(cells[6]) == pytest.approx(p["outturn"], abs=0.051)
    # a series without a replay says so in words, and the page never asks the API for it (no 404)
    asked: list[str] = []
    page.on("request", lambda r: "/v1/track-record" in r.url and asked.append(r.url))
    page.goto(f"{base}/app#explorer/{TLG}")
    page.locator("#track-none").wait_for()
    assert "No track record for this series" in page.locator("#track-none").inner_text()
    assert f"invest track-record --series {TLG} --attach" in page.locator("#track-none").inner_text()
    assert not asked


def test_compare_the_champion_with_the_challenger(
    page, base: str, challenger: str, trained: TrainedRegistry
) -> None:  # noqa: ANN001
    page.goto(f"{base}/app#compare/{MID}")
    page.locator("#cmp-chart .main-svg").first.wait_for()
    api = httpx.get(f"{base}/v1/forecasts/{MID}/compare").json()
    assert api["other"]["provenance"]["model_version"] == challenger
    text = page.locator("#cmp-result").inner_text()
    assert f"v{trained.champion()}" in text and f"v{challenger}" in text
    rows = page.locator("#cmp-result table.cmp-steps tbody tr")
    assert rows.count() == len(api["steps"])
    for i, s in enumerate(api["steps"]):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert (
            cells[0] == s["period"]
            and _close(cells[2], s["served_mean"])
            and _close(cells[3], s["other_mean"])
        )


def test_views_are_keyboard_tabs(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/app")
    page.locator("#fan .main-svg").first.wait_for()
    page.focus("#tab-explorer")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.id") == "tab-scenarios"
    assert page.get_attribute("#tab-scenarios", "aria-selected") == "true"
    assert page.is_visible("#view-scenarios") and not page.is_visible("#view-explorer")
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.id") == "tab-areas"
    page.keyboard.press("Home")
    assert page.get_attribute("#tab-explorer", "aria-selected") == "true"
    # Tab leaves the tab list for the panel's first control, and focus is drawn visibly
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"


# ---- daily use (issue 25): nothing leaves the machine, recovery, errors, search, phone, keyboard, exports ----
VIEWS = ("explorer", "scenarios", "scorecards", "compare", "areas")
OFF_MACHINE = re.compile(r"cloud|share|chart studio|edit in|plotly\.com|json", re.I)


def _open(page, base: str, view: str) -> None:  # noqa: ANN001
    """Open a view with a chart on it (the scenario run, a scorecard, a comparison)."""
    if view == "explorer":
        page.goto(f"{base}/app")
        page.locator("#fan .main-svg").first.wait_for()
    elif view == "scenarios":
        page.goto(f"{base}/app#scenarios")
        page.locator("#sc-start option[value='global-downturn']").wait_for(state="attached")
        page.select_option("#sc-start", "global-downturn")
        page.click("#sc-run")
        page.locator("#sc-diff .main-svg").first.wait_for()
    elif view == "scorecards":
        page.goto(f"{base}/app#scorecards/automotive")
        page.locator("#cluster-title", has_text="Automotive").wait_for()
        page.locator("#validation table").wait_for()
    elif view == "areas":
        page.goto(f"{base}/app#areas/TLG")
        page.locator("#area-profile h2", has_text="West Midlands").wait_for()
    else:
        page.goto(f"{base}/app#compare/{MID}")
        page.locator("#cmp-chart .main-svg").first.wait_for()
        page.locator("#cmp-versions table").wait_for()


def test_no_control_offers_to_send_a_chart_off_the_machine(page, base: str) -> None:  # noqa: ANN001
    """Hover every chart of every view: no share/cloud/Chart Studio/JSON control, no plotly.com link, and the
    page fixture fails on any request to anywhere but this server."""
    for view in ("explorer", "scenarios", "compare"):
        _open(page, base, view)
        charts = page.locator(f"#view-{view} .js-plotly-plot")
        assert charts.count() >= 1, view
        for i in range(charts.count()):
            chart = charts.nth(i)
            chart.hover()
            page.wait_for_timeout(150)
            titles = chart.locator(".modebar-btn").evaluate_all(
                "bs => bs.map(b => (b.getAttribute('data-title') || '') + ' ' + (b.getAttribute('aria-label') || ''))"
            )
            assert titles, f"{view}: the mode bar shows on hover (zoom, pan, reset)"
            assert not [t for t in titles if OFF_MACHINE.search(t)], (view, titles)
            assert (
                chart.locator(".modebar-btn--logo, a[href*='plotly'], .js-plot-link-container").count() == 0
            )
            context = chart.evaluate(
                "gd => ({cloud: gd._context.showSendToCloud, url: gd._context.plotlyServerURL, "
                "logo: gd._context.displaylogo})"
            )
            assert context == {"cloud": False, "url": "", "logo": False}, (view, context)
        assert page.get_by_text(re.compile("Plotly Cloud|Chart Studio")).count() == 0


def _serve_on(port: int, env: dict[str, str]) -> subprocess.Popen:
    """``invest serve`` on a fixed loopback port (so it can be stopped and started again at one address)."""
    from svc_server import ROOT, wait_until_up

    proc = subprocess.Popen(
        [sys.executable, "-m", "forecasting.cli.serve_cmd", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    wait_until_up(f"http://127.0.0.1:{port}", proc, timeout=180)
    return proc


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def test_views_recover_without_a_reload_when_the_api_returns(
    browser, trained: TrainedRegistry, scorecards_dir: Path, profiles_dir: Path
) -> None:  # noqa: ANN001
    """Stop the API after the page has loaded, open Scenarios, Scorecards and Compare (each says in words
    that the API does not answer, with a Retry button, and "Run scenario" says why it cannot run), start the
    API again at the same address: every view fills in by itself, no reload, no error left on screen."""
    from svc_server import free_port

    env = {
        **trained.env("cache-workbench-restart"),
        "INVEST_API_POLL_SECONDS": "0",
        "INVEST_API_SCORECARDS_DIR": str(scorecards_dir),
        "INVEST_API_PROFILES_DIR": str(profiles_dir),
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve_on(port, env)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/app")
        page.locator("#fan .main-svg").first.wait_for()
        _stop(proc)
        for view in ("scenarios", "scorecards", "compare", "areas"):
            page.click(f"#tab-{view}")
            alert = page.locator(f"#alert-{view}")
            alert.wait_for()
            text = alert.inner_text()
            assert "does not answer" in text and "Failed to fetch" not in text, text
            assert alert.get_by_role("button", name="Retry").count() == 1
            for other in VIEWS:
                if other != view:
                    assert not page.locator(f"#alert-{other}").is_visible()  # one view's error stays there
        page.click("#tab-scenarios")
        page.click("#sc-run")
        assert "has not loaded" in page.locator("#alert-scenarios").inner_text()
        assert page.locator("#sc-run").is_enabled()
        proc = _serve_on(port, env)
        page.locator("#sc-start option[value='global-downturn']").wait_for(state="attached", timeout=60_000)
        page.locator("#alert-scenarios").wait_for(state="hidden", timeout=30_000)
        page.click("#tab-scorecards")
        page.locator("#ranking tbody tr").first.wait_for(timeout=60_000)
        page.locator("#alert-scorecards").wait_for(state="hidden")
        page.click("#tab-compare")
        page.locator("#cmp-versions table").wait_for(timeout=60_000)
        page.locator("#alert-compare").wait_for(state="hidden")
        page.click("#tab-areas")
        page.locator("#area-list li").first.wait_for(timeout=60_000)
        page.locator("#alert-areas").wait_for(state="hidden")
        # the scorecards view's verdicts came back too (attached: that view is hidden now)
        page.locator("#validation table").wait_for(state="attached")
        # and the scenario runs, its busy state cleared
        page.click("#tab-scenarios")
        page.select_option("#sc-start", "global-downturn")
        page.click("#sc-run")
        page.locator("#sc-diff .main-svg").first.wait_for()
        assert page.locator("#sc-run").inner_text() == "Run scenario" and page.locator("#sc-run").is_enabled()
        assert not errors, errors
    finally:
        context.close()
        _stop(proc)


def test_scenario_errors_name_the_change_the_field_and_the_fix(page, base: str, tmp_path: Path) -> None:  # noqa: ANN001
    page.goto(f"{base}/app#scenarios")
    page.locator("#sc-start option[value='global-downturn']").wait_for(state="attached")
    drivers = [
        d.get("alias") or d["driver_id"] for d in httpx.get(f"{base}/v1/scenarios/drivers").json()["drivers"]
    ]
    # a loaded file with an unknown driver says so on load, naming it and the valid ones
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"name": "bad", "changes": [{"type": "driver", "driver": "nonexistent", "values": [-5]}]})
    )
    page.set_input_files("#sc-load", str(bad))
    alert = page.locator("#alert-scenarios")
    alert.wait_for()
    text = alert.inner_text()
    assert '"nonexistent"' in text and "Change 1" in text and all(d in text for d in drivers), text
    # a start in words: a message in words, before anything is sent
    page.select_option("#sc-start", "")
    page.click("#add-shock")
    fs = page.locator("#changes fieldset").first
    fs.get_by_label("Start", exact=True).fill("next year")
    page.click("#sc-run")
    text = alert.inner_text()
    assert 'Change 1, start: "next year" is not a period' in text and "2026Q1" in text, text
    assert "String should" not in text and "pattern" not in text
    # the server's 0-based value numbers read from 1, as the form's labels do
    page.select_option("#sc-start", "")
    page.click("#add-driver")
    fs = page.locator("#changes fieldset").first
    fs.get_by_label("Driver").select_option("world_fdi")
    fs.get_by_label("Path as").select_option("deviation")
    fs.get_by_label("Periods").fill("2")
    fs.get_by_label("Periods").dispatch_event("change")
    fs.locator(".path input").nth(0).fill("0")
    fs.locator(".path input").nth(1).fill("-150")
    before = len(page.problems)
    page.click("#sc-run")
    page.wait_for_function("() => document.getElementById('alert-scenarios').textContent.includes('refused')")
    text = alert.inner_text()
    assert "value 2 (-150" in text and "value 1 (-150" not in text, text
    assert page.locator("#sc-run").is_enabled() and page.locator("#sc-run").inner_text() == "Run scenario"
    page.problems[before:] = [p for p in page.problems[before:] if "422" not in p]
    # an empty scenario: a note, not a table of "unchanged"
    page.select_option("#sc-start", "")
    page.click("#sc-run")
    note = page.locator("#sc-result [role=note]")
    note.wait_for()
    assert "no changes" in note.inner_text()


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ("birmingham", "TLG"),
        ("foreign direct investment west midlands", "TLG"),
        ("postion", "fdi_inward_position"),
        ("Birmingham fdi", "TLG"),
        ("GVA", None),
    ],
)
def test_search_finds_plain_words_places_and_typos(page, base: str, query: str, expect: str | None) -> None:  # noqa: ANN001
    page.goto(f"{base}/app")
    page.locator("#results [role=option]").first.wait_for()
    with page.expect_response(
        lambda r: "/v1/reference/search" in r.url and parse_qs(urlparse(r.url).query).get("q") == [query]
    ) as resp:
        page.fill("#q", query)
    found = resp.value.json()
    page.wait_for_function(
        "n => document.querySelectorAll('#results [role=option]').length === n", arg=min(found["total"], 80)
    )
    listed = page.locator("#results [role=option]").evaluate_all("os => os.map(o => o.dataset.series)")
    titles = page.locator("#results .r-name").all_inner_texts()
    assert len(set(titles)) == len(titles), titles  # no two results look the same
    if expect is None:  # not in the quick experiment's catalogue: a hint, not silence
        assert not listed or all("gross value added" in t.lower() or "gva" in t.lower() for t in titles)
        if not listed:
            assert page.locator("#result-hint").inner_text()
        return
    assert listed, (query, found)
    assert any(expect in sid for sid in listed), (query, listed)
    if query == "postion":
        assert "position" in page.locator("#result-hint").inner_text()
    if "birmingham" in query.lower():
        assert "E08000025" in page.locator("#result-hint").inner_text()  # the place read as its codes


def test_names_carry_price_basis_units_and_tooltips_round(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/app#explorer/{MID}")
    page.locator("#fan .main-svg").first.wait_for()
    assert "current prices" in page.locator("#series-title").inner_text()
    assert "GBP million" in page.locator("#series-sub").inner_text()
    assert page.locator("#series-desc").inner_text().startswith("Measure: Inward FDI")
    box = page.locator("#fan .nsewdrag").first.bounding_box()
    for frac in (0.2, 0.35, 0.5):
        page.mouse.move(box["x"] + box["width"] * frac, box["y"] + box["height"] / 2)
        page.wait_for_timeout(200)
        hover = page.evaluate("document.querySelector('#fan .hoverlayer').textContent")
        if hover:
            break
    assert re.search(r"\d{4}", hover), hover  # the period, as a year
    numbers = re.findall(r"[−-]?\d[\d.,]*[kMGT]?", hover.split(":", 1)[-1])
    assert numbers and all(len(n.replace(".", "").rstrip("kMGT")) <= 4 for n in numbers), hover
    # the observations' published vintage is named beside the chart
    hist = httpx.get(f"{base}/v1/series/{MID}/history").json()["observations"]
    vintages = {o["vintage"] for o in hist if o.get("vintage")}
    prov = page.locator("#provenance").inner_text()
    assert all(v in prov for v in vintages)


def test_a_phone_screen_never_scrolls_sideways(browser, base: str) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        for view in VIEWS:
            _open(page, base, view)
            page.wait_for_timeout(300)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, view
            page.locator(f"#tab-{view}").tap()
            assert page.evaluate("window.scrollX") == 0, view
        _open(page, base, "explorer")
        end = httpx.get(f"{base}/v1/forecasts/{MID}").json()["points"][-1]["period"]
        axis_end = page.evaluate("document.getElementById('fan').layout.xaxis.range[1]")
        assert int(axis_end[:4]) <= int(str(end)[:4]) + 1, axis_end  # the time axis ends with the forecast
        _open(page, base, "scenarios")
        ticks = page.locator("#sc-levels .xtick text").evaluate_all("ts => ts.map(t => t.textContent)")
        assert ticks and all(re.fullmatch(r"\d{4}(Q[1-4])?", t) for t in ticks), ticks
    finally:
        context.close()


def _axe_source() -> str | None:
    """axe-core (MPL-2.0, from the npm registry; `.ci/run` installs it): $INVEST_AXE_JS or a node_modules."""
    candidates = [os.environ.get("INVEST_AXE_JS", "")]
    root = Path(__file__).resolve().parents[2]
    candidates += [str(d / "node_modules/axe-core/axe.min.js") for d in (root, root / ".ci", Path.home())]
    try:
        npm_root = subprocess.run(
            ["npm", "root", "-g"], capture_output=True, text=True, timeout=20
        ).stdout.strip()
        candidates.append(f"{npm_root}/axe-core/axe.min.js")
    except (OSError, subprocess.SubprocessError):
        pass
    return next((Path(c).read_text() for c in candidates if c and Path(c).is_file()), None)


@pytest.mark.parametrize("width", [1366, 390])
def test_axe_finds_nothing_serious_on_any_view(browser, base: str, width: int) -> None:  # noqa: ANN001
    axe = _axe_source()
    if axe is None:
        pytest.skip("axe-core not found: `npm install axe-core` (or set INVEST_AXE_JS to its axe.min.js)")
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        for view in VIEWS:
            _open(page, base, view)
            page.wait_for_timeout(300)
            page.evaluate(axe + ";0")  # evaluated by the test, not injected: the page's CSP stays as it is
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            bad = [
                (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert not bad, (view, width, bad)
    finally:
        context.close()


def test_keyboard_skips_to_the_chart_and_its_downloads(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/app")
    page.locator("#fan .main-svg").first.wait_for()
    page.locator("#results [role=option]").first.wait_for()
    # from the search box to the PNG download: the result list is one Tab stop, the chart's toolbar none
    page.focus("#q")
    presses = 0
    while presses < 30 and page.evaluate("document.activeElement.id") != "dl-png":
        page.keyboard.press("Tab")
        presses += 1
    assert presses <= 12, presses
    page.focus("#q")
    page.keyboard.press("ArrowDown")
    first = page.evaluate("document.activeElement.dataset.series")
    page.keyboard.press("ArrowDown")
    second = page.evaluate("document.activeElement.dataset.series")
    assert first and second and first != second
    with page.expect_response(lambda r: f"/v1/forecasts/{second}" in r.url):
        page.keyboard.press("Enter")
    assert page.get_attribute(f'#results [data-series="{second}"]', "aria-selected") == "true"
    # skip links: the first Tab on the page reaches them, Enter lands on the chart / its downloads
    page.wait_for_load_state("networkidle")  # nothing in flight is cut off by the next navigation
    page.goto(f"{base}/app")
    page.locator("#fan .main-svg").first.wait_for()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the chart"
    assert page.evaluate("getComputedStyle(document.activeElement).left") != "-9999px"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "fan-figure"
    page.focus(".skip[href='#downloads']")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "downloads"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "dl-png"
    # focus is visible on the file button of the scenario builder too
    page.wait_for_load_state("networkidle")
    page.goto(f"{base}/app#scenarios")
    page.locator("#sc-start option[value='global-downturn']").wait_for(state="attached")
    page.focus("#sc-run")
    for _ in range(4):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "sc-load":
            break
    assert page.evaluate("document.activeElement.id") == "sc-load"
    style = page.evaluate("getComputedStyle(document.querySelector('label[for=sc-load]')).outlineStyle")
    assert style == "solid"


def test_exports_identify_themselves(page, base: str, tmp_path: Path) -> None:  # noqa: ANN001
    from PIL import Image

    page.goto(f"{base}/app#explorer/{TLG}")
    page.locator("#fan .main-svg").first.wait_for()
    api = httpx.get(f"{base}/v1/forecasts/{TLG}").json()
    p = api["provenance"]
    with page.expect_download() as d:
        page.click("#dl-svg")
    svg = Path(d.value.path()).read_text()
    text = " ".join(re.findall(r">([^<>]+)<", svg))
    title = page.locator("#series-title").inner_text()
    for needle in (
        title.split(" (")[0],
        TLG,
        "GBP million",
        *(p["sources"] or []),
        p["data_vintage"],
        f"v{p['model_version']}",
    ):
        assert needle in text.replace("&amp;", "&"), (needle, text[:600])
    with page.expect_download() as d:
        page.click("#dl-png")
    png = tmp_path / "chart.png"
    d.value.save_as(png)
    img = Image.open(png).convert("L")
    w, h = img.size
    band = img.crop((0, 0, w, 140))
    dark = sum(1 for v in band.getdata() if v < 100)
    assert dark > 500, dark  # the title band's text is in the pixels
    assert d.value.suggested_filename == f"{TLG}.png"


def test_first_chart_needs_no_catalogue_and_plotly_comes_compressed(page, base: str) -> None:  # noqa: ANN001
    seen: list[str] = []
    encodings: dict[str, str | None] = {}
    page.on("request", lambda r: seen.append(r.url))
    page.on(
        "response",
        lambda r: (
            "/app/vendor/plotly-" in r.url and encodings.update({r.url: r.header_value("content-encoding")})
        ),
    )
    page.goto(f"{base}/app")
    page.locator("#fan .main-svg").first.wait_for()
    assert not [u for u in seen if re.search(r"/v1/series\?", u)], seen  # no catalogue pages
    assert encodings and set(encodings.values()) == {"gzip"}, encodings


def test_the_first_chart_is_drawn_before_plotly_has_loaded(browser, base: str) -> None:  # noqa: ANN001
    """plotly.js held back: the fan chart's sketch (bands, history, years) is on screen from the API's
    numbers alone, the caption says them in words; once plotly.js arrives the interactive chart replaces it."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    held: list = []
    page.route("**/app/vendor/plotly-*.min.js", lambda route: held.append(route))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/app", wait_until="commit")
        sketch = page.locator("#fan svg.sketch")
        sketch.wait_for()
        assert held, "plotly.js was asked for (preloaded) but is held back"
        assert page.locator("#fan .main-svg").count() == 0
        assert sketch.locator("polygon").count() == 2 and sketch.locator("polyline").count() == 2
        years = sketch.locator("text").evaluate_all("ts => ts.map(t => t.textContent)")
        last = str(httpx.get(f"{base}/v1/forecasts/{MID}").json()["points"][-1]["period"])[:4]
        assert any(y == last for y in years) or int(max(y for y in years if len(y) == 4)) >= int(last) - 2, (
            years
        )
        assert "80% interval" in page.locator("#fan-summary").inner_text()
        for route in held:
            route.continue_()
        page.locator("#fan .main-svg").first.wait_for()
        assert page.locator("#fan svg.sketch").count() == 0
        assert not errors, errors
    finally:
        context.close()
