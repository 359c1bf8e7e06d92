"""Scenario routes over an in-memory bundle: list, named projections (with the difference's intervals),
inline projections, 422s for bad input naming the change and field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from scen_data import POS, WLD, P, make_bundle

from forecasting.settings import ApiSettings
from service.app import create_app
from service.lifecycle import StaticSource
from service.routers import scenarios


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(ApiSettings(), StaticSource(make_bundle()))
    if not any(getattr(r, "path", "").startswith("/v1/scenarios") for r in app.routes):
        app.include_router(scenarios.router)  # until service/app.py includes it
    with TestClient(app) as c:
        yield c


def test_named_scenarios_are_listed(client: TestClient) -> None:
    body = client.get("/v1/scenarios").json()
    names = {s["name"] for s in body["scenarios"]}
    assert {"baseline", "global-downturn", "uk-investment-boom", "midlands-major-project"} <= names


def test_named_projection_with_series(client: TestClient) -> None:
    ids = f"{POS.format('MID')},{POS.format('TLF')},{WLD}"
    r = client.get("/v1/scenarios/global-downturn/projections", params={"series": ids, "today": "2026-12-07"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"]["model_version"] == "1" and body["model"]["data_vintage"] == "v1"
    assert body["timing"]["today"] == "2026-12-07" and body["timing"]["first_period"] == "2027"
    assert not body["timing"]["counterfactual"]
    mid = body["series"][0]
    assert mid["series_id"] == POS.format("MID") and mid["affected"] and mid["unit"] == "GBP million"
    # 2025 and 2026 have begun (nowcasts) and the scenario starts next year: they do not move
    assert [p["kind"] for p in mid["points"][:3]] == ["nowcast", "nowcast", "forecast"]
    assert [p["diff"] for p in mid["points"][:2]] == [0, 0]
    p0 = mid["points"][2]
    assert p0["diff"] < 0 and p0["period"] == "2027"
    for k in ("diff_pct", "diff_lo80", "diff_hi80", "diff_lo95", "diff_hi95", "scenario_lo95"):
        assert p0[k] is not None, k
    assert p0["diff_lo80"] < p0["diff"] < p0["diff_hi80"]
    assert mid["summary"]["gap_kept"] > 0.5  # the stock keeps the lost flows
    assert any(d["driver_id"] == WLD and d["source"].startswith("scenario path") for d in body["drivers"])


def test_baseline_projection_equals_the_forecasts(client: TestClient) -> None:
    proj = client.get("/v1/scenarios/baseline/projections").json()
    assert proj["affected"] == 0 and proj["count"] == len(proj["unaffected"])
    for s in proj["series"]:
        assert all(p["scenario_mean"] == p["baseline_mean"] and p["diff"] == 0 for p in s["points"])


def test_inline_projection_and_bad_input(client: TestClient) -> None:
    shock = {
        "type": "shock",
        "measure": "fdi_projects",
        "geography": "E08000026",
        "kind": "one_off",
        "value": 2,
        "start": "2026",
    }
    ok = client.post(
        "/v1/scenarios:project",
        json={"scenario": {"name": "p", "changes": [shock]}, "series": [P.format("MID")]},
    )
    assert ok.status_code == 200, ok.text
    assert [p["diff"] for p in ok.json()["series"][0]["points"]] == [0, 2, 0, 0, 0, 0, 0, 0]
    bad = client.post(
        "/v1/scenarios:project",
        json={"scenario": {"name": "p", "changes": [shock, {**shock, "geography": "NOWHERE"}]}},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "scenario", "changes", 1, "geography"]
    wrong = client.post(
        "/v1/scenarios:project",
        json={
            "scenario": {
                "name": "p",
                "changes": [{"type": "driver", "driver": "world_fdi", "kind": "deviation", "values": [-150]}],
            }
        },
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == [
        "body",
        "scenario",
        "changes",
        0,
        "values",
    ]
    unknown = client.get("/v1/scenarios/baseline/projections", params={"series": "nope.X.all.A"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["query", "series", 0]
    assert client.get("/v1/scenarios/nope/projections").status_code == 404


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        (
            {"type": "shock", "measure": "fdi_projects", "geography": "TLG", "kind": "level", "value": 1e300},
            "value",
            "absurd magnitude",
        ),
        (
            {"type": "shock", "measure": "fdi_projects", "geography": "TLG", "kind": "level", "value": 5e7},
            "value",
            "absurd magnitude",
        ),
        (
            {"type": "shock", "measure": "fdi_projects", "geography": "TLG", "kind": "level", "value": -1e3},
            "value",
            "negative",
        ),
        (
            {"type": "driver", "driver": "world_fdi", "kind": "deviation", "values": [2e4]},
            "values",
            "absurd magnitude",
        ),
    ],
)
def test_bad_magnitudes_are_422s_naming_the_field(
    client: TestClient, change: dict, field: str, text: str
) -> None:
    r = client.post("/v1/scenarios:project", json={"scenario": {"name": "p", "changes": [change]}})
    assert r.status_code == 422, r.text
    d = r.json()["detail"][0]
    assert d["loc"] == ["body", "scenario", "changes", 0, field] and text in d["msg"]


def test_non_finite_json_is_refused(client: TestClient) -> None:
    body = '{"scenario": {"name": "p", "changes": [{"type": "shock", "measure": "fdi_projects", "geography": "TLG", "kind": "level", "value": Infinity}]}}'
    r = client.post("/v1/scenarios:project", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422)


def test_inline_projection_is_dated_by_the_body(client: TestClient) -> None:
    change = {"type": "driver", "driver": "world_fdi", "kind": "deviation", "values": [-20]}
    body = {"scenario": {"name": "w", "changes": [change]}, "series": [WLD], "today": "2026-12-07"}
    r = client.post("/v1/scenarios:project", json=body)
    assert r.status_code == 200, r.text
    pts = r.json()["series"][0]["points"]
    assert [p["diff"] != 0 for p in pts[:3]] == [False, False, True] and pts[2]["period"] == "2027"
    past = {**body, "scenario": {"name": "w", "changes": [{**change, "start": "2025"}]}}
    bad = client.post("/v1/scenarios:project", json=past)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "start"


def test_drivers_mark_each_period_past_nowcast_or_forecast(client: TestClient) -> None:
    """What the builder's first-period list shows: periods over (counterfactual only), nowcasts, and the
    period a change without a start begins in (the first after today)."""
    body = client.get("/v1/scenarios/drivers", params={"today": "2026-12-07"}).json()
    world = next(d for d in body["drivers"] if d["driver_id"] == WLD)
    assert world["today"] == "2026-12-07" and world["first_future"] == "2027"
    kinds = world["period_kinds"]
    assert kinds["2025"] == "past" and kinds["2026"] == "nowcast" and kinds["2027"] == "forecast"
    # a past start is refused unless the scenario asks for a counterfactual, and then it is labelled so
    change = {"type": "driver", "driver": "world_fdi", "kind": "deviation", "values": [-20], "start": "2025"}
    body_ = {"scenario": {"name": "cf", "changes": [change]}, "series": [WLD], "today": "2026-12-07"}
    r = client.post("/v1/scenarios:project", json=body_)
    assert r.status_code == 422 and "counterfactual" in r.text
    body_["scenario"]["counterfactual"] = True
    ok = client.post("/v1/scenarios:project", json=body_).json()
    assert ok["timing"]["counterfactual"] and ok["timing"]["label"] != "projection"


def test_the_engine_is_built_once_per_served_model_and_dropped_on_reload() -> None:
    """The scenario engine hangs off the served model (``ServedModel.state``): every request of one model
    shares it, and a reload serves a new model whose engine is built afresh (no module-level cache)."""
    source = StaticSource(make_bundle())
    app = create_app(ApiSettings(poll_seconds=0), source)
    with TestClient(app) as c:
        holder = app.state.service.holder
        first = holder.model
        assert first is not None and first.state.peek("scenario_engine") is None  # built on first use
        assert c.get("/v1/scenarios/drivers").status_code == 200
        engine = first.state.peek("scenario_engine")
        assert engine is not None
        assert c.get("/v1/scenarios/drivers").status_code == 200
        assert first.state.peek("scenario_engine") is engine  # built once
        source.version = "2"
        holder.load()
        second = holder.model
        assert second is not first and second.state.peek("scenario_engine") is None
        assert c.get("/v1/scenarios/drivers").json()["model"]["model_version"] == "2"
        assert second.state.peek("scenario_engine") not in (None, engine)


def test_drivers_refuse_a_today_that_is_not_a_calendar_date(client: TestClient) -> None:
    """`today` is a date written YYYY-MM-DD: a number (read as a Unix time by a lax parser) or a day that
    does not exist is a 422 naming the parameter, never a silent 1970."""
    for bad in ("0", "2026-02-30", "7 Dec 2026"):
        r = client.get("/v1/scenarios/drivers", params={"today": bad})
        assert r.status_code == 422, bad
        assert "today" in r.text
