"""One reference year per metric family; financial years converted to calendar years before ratios."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.reference.geography import MIDLANDS_ITL1
from forecasting.scorecards.catalogue import InputSpec
from forecasting.scorecards.context import calendar_years, to_calendar

FY = InputSpec(error="none", why="t", year_basis="financial_april")
COHORT = InputSpec(error="none", why="t", year_basis="cohort", observed_lag=3)


def _frame(values: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "geography": "TLF",
            "cluster": "all",
            "period": [pd.Timestamp(f"{y}-01-01") for y in values],
            "value": list(values.values()),
        }
    )


def test_financial_years_become_calendar_years_by_hand() -> None:
    fy = _frame({2020: 100.0, 2021: 200.0})  # FY 2020/21 and FY 2021/22
    assert calendar_years(fy, FY) == {2021}  # calendar 2020 would need FY 2019/20
    cal = to_calendar(fy, FY, 2021)
    assert cal["value"].tolist() == [0.25 * 100.0 + 0.75 * 200.0]
    assert to_calendar(fy, FY, 2020).empty


def test_cohorts_are_dated_by_the_year_observed() -> None:
    surv = _frame({2020: 50.0, 2021: 52.0})
    assert calendar_years(surv, COHORT) == {2023, 2024}
    assert to_calendar(surv, COHORT, 2024)["value"].tolist() == [52.0]


def test_every_metric_of_a_family_reads_the_family_year(built) -> None:
    sset, _ = built
    years = {f: ry.year for f, ry in sset.reference_years.items()}
    assert years["structure"] == 2021 and years["demography"] == 2024 and years["public_rd"] == 2021
    for m in sset.catalogue.metrics:
        r = sset.metrics[m.id]
        if not r.available or years.get(m.family) is None or m.family in ("partner",):
            continue
        assert r.details["year"] == years[m.family], m.id
        assert r.period.endswith(str(years[m.family])), (m.id, r.period)
    # business counts exist for 2020-2021: the structure family reads 2021 like BRES, not the latest held
    assert sset.metrics["business_count"].period == "2021"
    # 3-year survival in the demography year 2024 is the cohort born in 2021
    assert sset.metrics["survival_rate_3y"].details["cohort"] == 2021


def test_public_rd_intensity_divides_calendar_rd_by_same_year_gva(built, inputs) -> None:
    sset, _ = built
    rd = inputs.get("public_rd").set_index(["geography", inputs.get("public_rd")["period"].dt.year])["value"]
    gva = inputs.get("gva_cp")
    gva = gva[(gva["cluster"] == "all") & (gva["period"].dt.year == 2021)].set_index("geography")["value"]
    intensity = {r: (0.25 * rd[(r, 2020)] + 0.75 * rd[(r, 2021)]) / gva[r] * 100 for r in MIDLANDS_ITL1}
    w = sset.context.base.region_emp(inputs.itl1_of_itl2).reindex(list(MIDLANDS_ITL1))["automotive"]
    expected = sum(intensity[r] * w[r] for r in MIDLANDS_ITL1) / w.sum()
    assert sset.metrics["public_rd_intensity"].values["automotive"] == pytest.approx(expected, rel=1e-12)
    uk = (0.25 * rd[("UK", 2020)] + 0.75 * rd[("UK", 2021)]) / gva["UK"] * 100
    assert sset.metrics["public_rd_intensity"].benchmark["automotive"] == pytest.approx(uk, rel=1e-12)


def test_the_bres_note_is_about_this_collections_copy() -> None:
    """Open BRES itself goes beyond 2021; the copy held here ends there, and the report says so."""
    from forecasting.scorecards.catalogue import load_catalogue

    note = load_catalogue().families["structure"].note
    assert "copy of open BRES in this collection ends in 2021" in note
    assert not note.startswith("Open BRES ends")
