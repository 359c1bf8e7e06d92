"""Validation rules on a hand-built panel (every number checkable by hand) and on the real BRES files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.clusters.panel import panel_from_observations
from forecasting.clusters.validate import (
    basket_variants,
    load_criteria,
    rounding_redraws,
    shift_share,
    validate,
)
from forecasting.reference.clusters import Cluster

AREAS = ["TLF1", "TLG3", "TLI3", "TLJ1"]  # two Midlands ITL2 areas, two others
# year -> code -> employment per area (AREAS order)
EMP = {
    2015: {"29100": [4000, 3000, 500, 500], "30300": [2000, 0, 1000, 1000], "64191": [500, 500, 8000, 4000],
           "10110": [1000, 1000, 1000, 1000]},
    2021: {"29100": [5000, 3500, 500, 500], "30300": [2000, 0, 1000, 1000], "64191": [500, 500, 9000, 4000],
           "10110": [1000, 1000, 1000, 1000]},
}  # fmt: skip
TOTAL = {2015: [20000, 20000, 40000, 20000], 2021: [21000, 20000, 42000, 20000]}


def _obs() -> pd.DataFrame:
    rows = []
    for y, codes in EMP.items():
        for code, vals in codes.items():
            for a, v in zip(AREAS, vals, strict=True):
                rows.append(("bres_employment", a, f"sic-{code}", f"{y}-01-01", float(v)))
        for a, v in zip(AREAS, TOTAL[y], strict=True):
            rows.append(("bres_employment", a, "sic-01", f"{y}-01-01", float(v)))
    for code, v in {"29100": 400, "30300": 100, "64191": 2000, "10110": 300}.items():
        rows.append(("business_count_enterprises", "GB", f"sic-{code}", "2021-01-01", float(v)))
    df = pd.DataFrame(rows, columns=["measure", "geography", "cluster", "period", "value"])
    return df.assign(source="test", frequency="A")


@pytest.fixture(scope="module")
def tiny():
    return panel_from_observations(_obs(), "v1")


def _cluster(cid: str, sic: list[str], shares: dict[str, float] | None = None) -> Cluster:
    return Cluster(id=cid, name=cid, description="d", sic=sic, shares=shares or {}, rationale="r", source="s")


def test_panel_reads_midlands_areas_years_and_totals(tiny):
    assert tiny.midlands == ["TLF1", "TLG3"]
    assert tiny.years == [2015, 2021] and tiny.business_year == 2021
    assert tiny.total[2021]["TLF1"] == 21000


def test_location_quotient_and_verdict_by_hand(tiny):
    cars = _cluster("cars", ["29100"])
    crit = load_criteria()
    doc = validate(tiny, [cars], crit)
    row = doc["clusters"][0]
    # Midlands 8,500 of 41,000 jobs vs GB 9,500 of 103,000
    lq = (8500 / 41000) / (9500 / 103000)
    assert row["specialisation"]["midlands_lq"] == pytest.approx(lq, abs=1e-3)
    assert row["critical_mass"]["jobs"] == 8500  # below 10,000
    assert row["specialisation"]["passed"] is True
    assert row["verdict"] == "emerging"  # specialised, below critical mass
    # businesses: 400 GB enterprises x Midlands share of GB 29100 employment
    assert row["critical_mass"]["businesses"] == round(400 * 8500 / 9500)


def test_finance_is_not_evidenced(tiny):
    row = validate(tiny, [_cluster("banks", ["64191"])])["clusters"][0]
    assert row["verdict"] == "not evidenced"
    assert row["specialisation"]["midlands_lq"] < 0.5


def test_shares_scale_jobs_and_keep_the_lq_of_a_single_code(tiny):
    full = validate(tiny, [_cluster("air", ["30300"])])["clusters"][0]
    part = validate(tiny, [_cluster("air", ["30300"], {"30300": 0.5})])["clusters"][0]
    assert part["critical_mass"]["jobs"] == full["critical_mass"]["jobs"] / 2
    assert part["specialisation"]["midlands_lq"] == pytest.approx(full["specialisation"]["midlands_lq"])


def test_shift_share_competitive_effect_by_hand(tiny):
    w = tiny.basket_weights(_cluster("cars", ["29100"]))
    ss = shift_share(tiny, w)
    # Midlands 7,000 -> 8,500; GB 29100 8,000 -> 9,500, so expected Midlands 7,000 x 9,500/8,000 = 8,312.5
    actual = ((8500 / 7000) ** (1 / 6) - 1) * 100
    expected = ((8312.5 / 7000) ** (1 / 6) - 1) * 100
    assert ss["competitive_effect"] == pytest.approx(actual - expected, abs=1e-9)
    assert ss["midlands_growth"] == pytest.approx(actual)
    national = ((103000 / 100000) ** (1 / 6) - 1) * 100
    assert ss["national_effect"] == pytest.approx(national)
    assert ss["industry_mix_effect"] + ss["national_effect"] + ss["competitive_effect"] == pytest.approx(
        actual
    )


def test_basket_variants_leave_groups_out_and_move_shares(tiny):
    c = _cluster("mix", ["29100", "30300", "10110"], {"30300": 0.4})
    labels = [lab for lab, _ in basket_variants(c, tiny, 0.5)]
    assert labels[0] == "as defined"
    assert {"without 291", "without 303", "without 101"} <= set(labels)
    assert "30300 share 0.2" in labels and "30300 share 0.6" in labels
    one = _cluster("one", ["29100"])
    assert [lab for lab, _ in basket_variants(one, tiny, 0.5)] == ["as defined"]


def test_rounding_redraws_stay_within_half_a_step():
    rng = np.random.default_rng(0)
    v = np.array([[0.0, 45.0, 300.0, 12000.0]])
    r = rounding_redraws(v, 500, rng)
    assert (r[:, 0, 1] >= 42.5).all() and (r[:, 0, 1] <= 47.5).all()
    assert (r[:, 0, 2] >= 275).all() and (r[:, 0, 2] <= 325).all()
    assert (r[:, 0, 3] >= 11500).all() and (r[:, 0, 3] <= 12500).all()
    assert (r[:, 0, 0] >= 0).all() and (r[:, 0, 0] <= 2.5).all()


def test_criteria_are_data_and_complete():
    crit = load_criteria()
    assert crit["specialisation"]["midlands_lq"] > 0 and crit["critical_mass"]["jobs"] > 0
    assert 0.5 < crit["uncertainty"]["confidence"] < 1


def test_a_warehouse_without_bres_is_a_clear_error(tmp_path):
    from forecasting.clusters.evidence import write_evidence
    from forecasting.clusters.panel import ClusterEvidenceError
    from forecasting.errors import InvestError
    from forecasting.warehouse.store import Warehouse

    path = tmp_path / "empty.duckdb"
    with Warehouse(path):
        pass
    with pytest.raises(InvestError, match="holds no data yet"):
        write_evidence(path, tmp_path / "out")
    with pytest.raises(ClusterEvidenceError, match="no bres_employment by ITL2 x SIC"):
        panel_from_observations(_obs().query("measure != 'bres_employment'"), "v1")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ClusterEvidenceError, match="not found"):
        write_evidence(tmp_path / "missing.duckdb", tmp_path / "out")
