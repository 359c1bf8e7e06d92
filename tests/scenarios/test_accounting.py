"""Accounting and placement: annual macro responses become smooth quarterly paths that keep each year's
mean; a project lands in its place and that place's parents only, each part on the measure it belongs
to (an FDI position is not a count of projects); the output names the statistical bases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scen_data import POS, P

from forecasting.scenarios.conditioning import smooth_quarters
from forecasting.scenarios.definitions import ScenarioError, parse_scenario
from forecasting.scenarios.project import project

TODAY = dt.date(2026, 12, 7)


def _quarters(first: int, last: int) -> np.ndarray:
    return np.array(
        [np.datetime64(f"{y}-{m:02d}-01") for y in range(first, last + 1) for m in (1, 4, 7, 10)],
        dtype="datetime64[ns]",
    )


def test_annual_responses_become_smooth_quarters_with_the_same_yearly_means() -> None:
    years = np.arange(2025, 2031)
    annual = np.array([0.0, 0.0, -1.0, -2.3, -0.9, 0.0])
    q = _quarters(2025, 2030)
    m = smooth_quarters(years, annual[None, :], q)
    path = m @ annual
    means = path.reshape(-1, 4).mean(axis=1)
    assert np.allclose(means, annual, atol=1e-9)
    assert np.all(path[:8] == 0)  # nothing moves before the first year that moves
    steps = np.abs(np.diff(path[8:16]))
    assert np.all(steps > 1e-6)  # it builds within the year: no identical quarters repeated
    assert steps.max() < abs(annual[3] - annual[2])  # ... and never jumps by a whole annual step


def test_quarters_beyond_the_annual_responses_hold_the_last_quarter() -> None:
    years = np.arange(2027, 2029)
    m = smooth_quarters(years, np.array([[1.0, 2.0]]), _quarters(2027, 2029))
    path = m @ np.array([1.0, 2.0])
    assert np.allclose(path[8:], path[7])


def _project(**extra: object) -> object:
    return parse_scenario(
        {
            "name": "plant",
            "changes": [
                {"type": "project", "place": "E08000026", "start": "2027", "fdi": 100.0, "projects": 2.0}
                | extra
            ],
        }
    )


def test_a_project_lands_in_its_place_and_its_parents_only(bundle) -> None:
    result = project(bundle, _project(), today=TODAY)
    k = result.get(POS.format("TLG")).periods.index("2027")
    # FDI: Coventry has no position of its own; the nearest modelled area containing it is TLG
    for g in ("TLG", "MID", "UK"):
        d = result.get(POS.format(g)).diff
        assert d[k] == pytest.approx(100.0) and d[k - 1] == 0, g
    for g in ("TLF", "UK-UNALLOC"):
        assert not result.get(POS.format(g)).affected, g
    # projects: counted where they happen, in the start year, and in the areas containing it
    for g in ("E08000026", "TLG3", "TLG", "MID"):
        d = result.get(P.format(g)).diff
        assert d[k] == pytest.approx(2.0) and np.count_nonzero(d) == 1, g
    for g in ("E08000025", "TLG1", "TLF"):  # siblings stay at baseline
        assert not result.get(P.format(g)).affected, g
    # a project's FDI is not a project count, and a count is not a position: each on its own measure
    assert all("project at E08000026" in s.channels[0] for s in result.series if s.affected)


def test_a_project_with_nothing_given_is_refused() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario({"name": "x", "changes": [{"type": "project", "place": "E08000026"}]})
    assert "at least one of capex, fdi, jobs, projects" in str(info.value)


def test_a_project_in_the_past_needs_a_counterfactual(bundle) -> None:
    with pytest.raises(ScenarioError) as info:
        project(bundle, _project(start="2025"), today=TODAY)
    assert "counterfactual" in str(info.value)


def test_the_output_names_its_bases(bundle) -> None:
    d = project(bundle, _project(), [POS.format("UK")], today=TODAY).to_dict()
    basis = d["accounting"]["flows_and_positions"]
    assert "WDI" in basis and "directional" in basis and "asset/liability" in basis
    assert d["accounting"]["stock_flow_identity"]["se"] > 0  # the identity carries its data check's se
    assert "did not compare the WDI and UNCTAD bases" in basis  # this bundle models no UNCTAD flow


def test_the_output_names_the_flow_basis_training_chose(bundle) -> None:
    import dataclasses

    tab = bundle.transmission.copy()
    row = (tab["target_id"] == POS.format("UK")) & (tab["form"] == "stock_flow")
    chosen = "flow basis: WDI net inflows (balance of payments, asset/liability basis), chosen as it fits"
    tab.loc[row, "note"] = "accounting identity: position = ...; " + chosen + " better; check: ..."
    md = bundle.metadata.model_copy(update={"model_name": "basis"})
    b = dataclasses.replace(bundle, transmission=tab, metadata=md)
    basis = project(b, _project(), [POS.format("UK")], today=TODAY).to_dict()["accounting"][
        "flows_and_positions"
    ]
    assert f"[{chosen} better]" in basis and "asset/liability" in basis


def test_synthetic_series_never_lead_the_movers_or_the_headline() -> None:
    from scen_data import make_bundle

    # a bundle whose configured headline names a synthetic series (demo project counts) first
    b = make_bundle(config={"outputs": {"headline": [P.format("MID"), POS.format("UK")]}})
    result = project(b, _project(fdi=1.0, projects=50.0), today=TODAY)
    assert result.get(P.format("MID")).synthetic and result.get(P.format("MID")).affected
    assert not any(s.synthetic for s in result.movers(10))  # left out unless asked for
    asked = result.movers(10, include_synthetic=True)
    assert not asked[0].synthetic and any(s.synthetic for s in asked)
    first_synthetic = next(i for i, s in enumerate(asked) if s.synthetic)
    assert all(s.synthetic for s in asked[first_synthetic:])  # every real mover ranks above them
    head = result.summary_series(0, include_synthetic=True)
    assert [s.series_id for s in head] == [POS.format("UK")]
