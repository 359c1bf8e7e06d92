"""The workbench's server side (fast): the /app page and its assets under a strict policy, the routes the
page relies on (scenario drivers, human names, registered versions, comparison) and what the wheel ships.

The browser tests are in ``test_workbench_browser.py``."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from svc_registry import ADMIN_KEY, TrainedRegistry
from svc_synthetic import make_contents

from forecasting.scenarios.describe import describe_drivers
from forecasting.scenarios.project import ScenarioEngine
from forecasting.settings import PROJECT_ROOT, ApiSettings
from service.app import create_app
from service.lifecycle import StaticSource
from service.other_versions import OtherVersions
from service.routers.workbench import SeriesSearch, SeriesTitle, cluster_name, workbench_dir
from service.schemas import DriverList, ForecastComparison, ReferenceNames, VersionList

SID = "fdi_inward_position.TLG.all.A"
IMPORT = re.compile(r"""(?:import|from)\s*\(?\s*(?:[\w*{}\s,]+from\s*)?["'](\.{1,2}/[^"']+)["']""")


@pytest.fixture(scope="module")
def wclient() -> Iterator[TestClient]:
    settings = ApiSettings(admin_api_keys=[ADMIN_KEY], poll_seconds=0)
    with TestClient(create_app(settings, StaticSource(make_contents()))) as c:
        yield c


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/[^"]+)"', html)


def test_app_page_has_its_own_strict_policy(wclient: TestClient) -> None:
    page = wclient.get("/app")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"  # no inline script, no eval, no other origin
    assert directives["default-src"] == "'none'" and directives["connect-src"] == "'self'"
    assert "http" not in csp and "*" not in csp  # no external origin anywhere in the policy
    assert "<script>" not in page.text and "http://" not in page.text and "https://" not in page.text
    assert page.headers["x-frame-options"] == "DENY"
    # every other response keeps the API's policy
    assert (
        wclient.get("/v1/reference/names").headers["content-security-policy"].startswith("default-src 'none'")
    )


def test_every_asset_the_page_loads_is_served_from_the_package(wclient: TestClient) -> None:
    """Follows the page's links and every relative import of every module, as the browser would."""
    html = wclient.get("/app").text
    todo = [a.split("?")[0] for a in _assets(html)]
    seen: dict[str, bytes] = {}
    while todo:
        url = todo.pop()
        if url in seen or url.startswith(("/docs", "/v1/")):
            continue
        r = wclient.get(url)
        assert r.status_code == 200, url
        seen[url] = r.content
        if url.endswith(".js") and url.startswith("/app/static/"):
            base = url.rsplit("/", 1)[0]
            for rel in IMPORT.findall(r.text):
                todo.append(str(Path(base, rel).resolve()) if rel.startswith("..") else f"{base}/{rel[2:]}")
    names = {u.rsplit("/", 1)[-1] for u in seen}
    assert {
        "app.js",
        "app.css",
        "lib.js",
        "explorer.js",
        "scenarios.js",
        "scorecards.js",
        "compare.js",
    } <= names
    assert {"index.js", "parse.js", "stringify.js"} <= names  # the vendored TOML reader/writer
    plotly = next(u for u in seen if re.fullmatch(r"/app/vendor/plotly-basic-[\d.]+\.min\.js", u))
    assert len(seen[plotly]) > 1_000_000
    version = plotly.rsplit("-", 1)[1].removesuffix(".min.js")
    assert seen[plotly][:200].decode().count(f"plotly.js (basic - minified) v{version}") == 1
    r = wclient.get(plotly)
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-type"].startswith("text/javascript")
    assert wclient.get("/app/static/app.js").headers["cache-control"] == "no-cache"
    assert "MIT" in wclient.get("/app/vendor/plotly-LICENSE.txt").text
    assert wclient.get("/app/vendor/anything.js").status_code == 404


def test_page_text_has_labels_for_every_control() -> None:
    """Every input/select/textarea of the static page has a <label for=...> (or is a labelled checkbox)."""
    html = (workbench_dir() / "index.html").read_text()
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    wrapped = set(re.findall(r'<label class="check"><input id="([^"]+)"', html))
    assert ids and set(ids) <= labelled | wrapped, set(ids) - labelled - wrapped
    assert html.count('role="tab"') == 5 and html.count('role="tabpanel"') == 5
    assert 'aria-live="polite"' in html and 'role="alert"' in html


def test_reference_names_cover_the_catalogue(wclient: TestClient) -> None:
    body = wclient.get("/v1/reference/names")
    assert body.status_code == 200 and body.headers["etag"]
    names = ReferenceNames.model_validate_json(body.content)
    items = wclient.get("/v1/series", params={"limit": 1000}).json()["items"]
    assert {i["measure"] for i in items} == set(names.measures)
    assert {i["cluster"] for i in items} == set(names.clusters)
    assert {i["geography_level"] for i in items} <= set(names.levels)
    fdi = names.measures["fdi_inward_position"]
    assert fdi.name == "Inward FDI international investment position (stock) at end of year, subnational"
    assert fdi.price_basis == "current" and fdi.basis == "current prices"
    assert (
        wclient.get("/v1/reference/names", headers={"If-None-Match": body.headers["etag"]}).status_code == 304
    )


def test_cluster_names_read_as_words() -> None:
    known = {"automotive": "Automotive"}
    assert cluster_name("all", known) == "All industries"
    assert cluster_name("automotive", known) == "Automotive"
    assert cluster_name("sic-29", known) == "SIC 29"
    assert cluster_name("ind-financial-services", known) == "Industry group: Financial services"
    assert cluster_name("partner-north-america", known) == "Partner area: North America"


def test_without_a_registry_versions_list_the_served_model_and_compare_says_what_exists(
    wclient: TestClient,
) -> None:
    v = VersionList.model_validate_json(wclient.get("/v1/models/versions").content)
    assert [(x.version, x.aliases, x.served) for x in v.versions] == [("1", ["champion"], True)]
    r = wclient.get(f"/v1/forecasts/{SID}/compare")
    assert r.status_code == 404
    assert r.json()["detail"]["message"] == (
        "the registry has no version aliased 'challenger' to compare with; registered: v1 (champion)"
    )
    assert r.json()["detail"]["versions"] == [{"version": "1", "aliases": ["champion"]}]
    same = wclient.get(f"/v1/forecasts/{SID}/compare", params={"version": 1})
    assert same.status_code == 200
    body = ForecastComparison.model_validate_json(same.content)
    assert body.served == body.other and all(s.diff == 0 for s in body.steps)
    assert len(body.steps) == len(body.served.points)
    assert wclient.get("/v1/forecasts/nope.X.all.A/compare").status_code == 404
    both = wclient.get(f"/v1/forecasts/{SID}/compare", params={"version": 1, "with": "champion"})
    assert both.status_code == 422 and both.json()["detail"][0]["loc"] == ["query", "with"]
    assert wclient.get(f"/v1/forecasts/{SID}/compare", params={"with": "x y"}).status_code == 422


def test_the_hot_path_still_answers_its_precomputed_body(wclient: TestClient) -> None:
    """The comparison has one more path segment: the single-forecast route keeps its precomputed bytes."""
    entry = wclient.app.state.service.holder.model.series[SID]
    assert wclient.get(f"/v1/forecasts/{SID}").content == entry.forecast_json
    spec = wclient.get("/openapi.json").json()["paths"]
    assert "/v1/forecasts/{series_id}" in spec and "/v1/forecasts/{series_id}/compare" in spec
    assert "/app" not in spec and "/v1/scenarios/drivers" in spec and "/v1/models/versions" in spec


def test_drivers_route_is_the_cli_list(real_client: TestClient) -> None:
    """The same list `invest scenario drivers` prints (both call describe_drivers on the bundle's index)."""
    r = real_client.get("/v1/scenarios/drivers")
    assert r.status_code == 200
    body = DriverList.model_validate_json(r.content)
    m = real_client.app.state.service.holder.model
    expected = describe_drivers(ScenarioEngine(m.contents).index)
    assert r.json()["drivers"] == expected and body.count == len(expected) >= 3
    assert {"world_fdi", "uk_fdi"} <= {d.alias for d in body.drivers}
    assert body.model.model_version == m.version


def test_compare_serves_the_challenger_beside_the_champion(trained: TrainedRegistry) -> None:
    """A second real training registers a challenger; its bundle is loaded lazily and kept (LRU)."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=trained.uri, registry_uri=trained.uri)
    name = trained.settings.model_name
    try:
        challenger = str(client.get_model_version_by_alias(name, "challenger").version)
    except Exception:
        challenger = trained.train()
    champion = trained.champion()
    assert challenger != champion
    with TestClient(create_app(trained.api_settings(cache="cache-compare", poll_seconds=0))) as c:
        listed = VersionList.model_validate_json(c.get("/v1/models/versions").content)
        by_version = {v.version: v for v in listed.versions}
        assert "challenger" in by_version[challenger].aliases and by_version[champion].served
        r = c.get(f"/v1/forecasts/{SID}/compare")
        assert r.status_code == 200, r.text
        body = ForecastComparison.model_validate_json(r.content)
        assert body.served.provenance.model_version == champion
        assert body.other.provenance.model_version == challenger
        assert body.served.model_dump() == c.get(f"/v1/forecasts/{SID}").json()  # the hot path's body
        for s, p, o in zip(body.steps, body.served.points, body.other.points, strict=False):
            assert s.served_mean == p.mean and s.other_mean == o.mean
            assert s.diff == pytest.approx(o.mean - p.mean)
        ov: OtherVersions = c.app.state.service.holder.model.state.peek("other_versions")
        assert ov.cached() == [challenger]
        assert c.get(f"/v1/forecasts/{SID}/compare", params={"version": challenger}).json() == r.json()
        assert ov.cached() == [challenger]  # loaded once
        missing = c.get(f"/v1/forecasts/{SID}/compare", params={"version": 999})
        assert missing.status_code == 404 and f"v{champion}" in missing.json()["detail"]["message"]


def test_other_versions_are_bounded(trained: TrainedRegistry) -> None:
    from service.lifecycle import LoaderSource

    ov = OtherVersions(LoaderSource(trained.api_settings(cache="cache-lru")), max_models=1)
    champion = trained.champion()
    first = ov.model(champion, ["champion"])
    assert ov.model(champion, ["champion"]) is first and ov.cached() == [champion]
    others = [v["version"] for v in ov.versions(first) if v["version"] != champion] or [trained.train()]
    ov.model(others[0], [])
    assert ov.cached() == [others[0]]  # the first was evicted: at most max_models bundles in memory


@pytest.mark.slow
def test_a_non_editable_install_ships_the_workbench(tmp_path: Path) -> None:
    """The wheel (what `pip install .` installs) holds every page file and the vendored licence."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            ".",
        ],
        cwd=PROJECT_ROOT,
        check=True,
    )
    wheel = next(tmp_path.glob("midlands_invest-*.whl"))
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("service/workbench/")}
    source = {str(p.relative_to(PROJECT_ROOT)) for p in workbench_dir().rglob("*") if p.is_file()}
    source = {s for s in source if "__pycache__" not in s}
    assert source and source <= shipped, source - shipped
    meta = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("METADATA"))
    assert "Requires-Dist: plotly" in zipfile.ZipFile(wheel).read(meta).decode()


# ---- names with their price basis; search by words, places and typos; compressed assets (issue 25) --------
def test_measure_names_keep_every_word_and_say_their_price_basis() -> None:
    """Against the real measure files: no name is cut before what it measures, the source notes go, and
    two measures never share a name-and-basis (current prices vs chained volume read apart)."""
    from forecasting.reference.measures import load_measures
    from service.routers.workbench import _basis_words, _short_name

    measures = load_measures()
    shown: dict[str, str] = {}
    for mid, m in measures.items():
        name = _short_name(m.description)
        assert name and "CDID" not in name and "(ONS" not in name, (mid, name)
        full = ", ".join([name, *_basis_words(name, m.price_basis, m.seasonal_adjustment)]) + m.frequency
        assert full not in shown, (mid, shown.get(full))
        shown[full] = mid
        if m.price_basis in ("current", "chained_volume"):
            low = full.lower()
            assert (
                ("current" in low or "nominal" in low) if m.price_basis == "current" else "chained" in low
            ), mid
    exc = _short_name(measures["business_investment_exc_transfer_cp_sa"].description)
    assert exc.startswith("UK business investment excluding the exceptional (BNFL) asset transfer")


def _search(client: TestClient, q: str, **params: str) -> SeriesSearch:
    r = client.get("/v1/reference/search", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return SeriesSearch.model_validate_json(r.content)


def test_search_reads_plain_words_abbreviations_places_and_typos(wclient: TestClient) -> None:
    long = _search(wclient, "foreign direct investment west midlands")
    assert long.items and long.items[0].series_id == SID
    assert {i.geography for i in long.items} <= {"TLG", "TLG3"}
    short = _search(wclient, "FDI west midlands")
    assert [i.series_id for i in short.items] == [i.series_id for i in long.items]  # FDI <-> its words
    # a place below the catalogue's areas: the areas above it, nearest first, and its codes said
    brum = _search(wclient, "Birmingham fdi")
    assert [i.geography for i in brum.items] == ["TLG3", "TLG"]
    assert any("E08000025" in p.codes for p in brum.places)
    assert _search(wclient, "birmingam fdi").items == brum.items  # a slip in a place name
    # a typo: read as the catalogue's word, and said so
    typo = _search(wclient, "postion")
    assert typo.corrections == {"postion": "position"} and "position" in (typo.hint or "")
    assert {i.measure for i in typo.items} == {"fdi_inward_position"}
    # nothing at all: a hint, never silence
    none = _search(wclient, "xyzzy")
    assert none.total == 0 and none.items == [] and none.hint
    # not every word matches: the best partial matches, with the word that found nothing
    part = _search(wclient, "fdi zebra")
    assert part.items and "zebra" in (part.hint or "")
    # filters and distinct titles
    q = _search(wclient, "", measure="business_investment")
    assert q.total == 3 and {i.measure for i in q.items} == {"business_investment"}
    titles = [i.title for i in _search(wclient, "").items]
    assert len(titles) == len(set(titles))
    assert wclient.get("/v1/reference/search", params={"q": "x" * 201}).status_code == 422


def test_one_series_title_for_the_first_chart(wclient: TestClient) -> None:
    r = wclient.get(f"/v1/reference/series/{SID}")
    assert r.status_code == 200
    t = SeriesTitle.model_validate_json(r.content)
    assert t.title.startswith("Inward FDI") and "West Midlands" in t.title and "current prices" in t.title
    assert t.unit == "GBP million" and t.measure_description
    missing = wclient.get("/v1/reference/series/nope.X.all.A")
    assert missing.status_code == 404 and "nope.X.all.A" in missing.json()["detail"]


def test_plotly_and_the_page_files_go_compressed(wclient: TestClient) -> None:
    import gzip

    from service.routers.workbench import plotly_js

    name, path, _ = plotly_js()
    url = f"/app/vendor/{name}"
    zipped = wclient.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["vary"]
    assert int(zipped.headers["content-length"]) < path.stat().st_size / 2
    assert zipped.content == path.read_bytes()  # the client undid the gzip: the vendored file itself
    plain = wclient.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == path.read_bytes()
    js = wclient.get("/app/static/explorer.js", headers={"Accept-Encoding": "gzip"})
    assert js.headers["content-encoding"] == "gzip" and js.headers["cache-control"] == "no-cache"
    assert gzip.decompress(gzip.compress(js.content)) == (workbench_dir() / "explorer.js").read_bytes()


def test_every_chart_is_drawn_with_the_offline_config() -> None:
    """One place draws charts (charts.js `draw`), with the send-nothing configuration; no view calls plotly."""
    src = {p.name: p.read_text() for p in workbench_dir().glob("*.js")}
    calls = {n: re.findall(r"\b(?:Plotly|P)\.(?:react|newPlot|plot)\(", s) for n, s in src.items()}
    assert {n for n, c in calls.items() if c} == {"charts.js"} and len(calls["charts.js"]) == 1
    charts = src["charts.js"]
    for setting in ("showSendToCloud: false", "displaylogo: false", 'plotlyServerURL: ""'):
        assert setting in charts
    for button in ("sendChartToCloud", "sendDataToCloud", "editInChartStudio", "downloadJson"):
        assert f'"{button}"' in charts
    assert "onclick=" not in (workbench_dir() / "index.html").read_text()  # no inline handlers (CSP)


def test_a_series_title_says_whether_it_has_a_track_record() -> None:
    """The page asks /v1/track-record only for series that have one (no 404 in the browser's console)."""
    from dataclasses import replace

    from svc_synthetic import make_contents
    from test_track_record_api import SID, _tables

    from forecasting.settings import ApiSettings
    from service.app import create_app
    from service.lifecycle import StaticSource

    summary, points = _tables()
    source = StaticSource(replace(make_contents(), track_record=summary, track_record_points=points))
    with TestClient(create_app(ApiSettings(), source)) as c:
        assert c.get(f"/v1/reference/series/{SID}").json()["has_track_record"] is True
        other = next(s for s in c.get("/v1/series").json()["items"] if s["series_id"] != SID)["series_id"]
        assert c.get(f"/v1/reference/series/{other}").json()["has_track_record"] is False
    with TestClient(create_app(ApiSettings(), StaticSource(make_contents()))) as c:
        assert c.get(f"/v1/reference/series/{SID}").json()["has_track_record"] is False
