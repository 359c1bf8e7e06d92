"""Cluster series derived from SIC slices: hand-checked sums, resolution rule and real Midlands coverage."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.reference.clusters import Cluster, load_clusters
from forecasting.reference.measures import Measure, load_measures
from forecasting.sources.adapters.bres import parse_bres, parse_business_counts
from forecasting.warehouse.derive_clusters import derive_cluster_rows

MIDLANDS_ITL2 = ["UKF1", "UKF2", "UKF3", "UKG1", "UKG2", "UKG3"]
COLUMNS = ["measure", "geography", "geo_system", "cluster", "frequency", "period", "value", "line"]


def _measure(name: str, derive: bool = True) -> Measure:
    return Measure(
        name=name, description="d", unit="u", frequency="A", aggregation="sum", derive_clusters=derive,
        currency=None, price_basis="none", base_year=None, seasonal_adjustment="none", quantity="count",
        scale=1,
    )  # fmt: skip


MEASURES = {"emp": _measure("emp"), "emp2": _measure("emp2"), "rate": _measure("rate", derive=False)}
CLUSTERS = [
    Cluster(id="cars", name="Cars", description="d", sic=["29", "22110"], evidence="e"),
    Cluster(id="planes", name="Planes", description="d", sic=["30300"], evidence="e"),
]


def _obs(rows: list[tuple[str, str, str, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"measure": m, "geography": g, "geo_system": "canonical", "cluster": c, "frequency": "A",
             "period": pd.Timestamp(y, 1, 1), "value": v, "line": i + 2}
            for i, (m, g, c, y, v) in enumerate(rows)
        ]
    )  # fmt: skip


@pytest.fixture()
def small() -> pd.DataFrame:
    return _obs(
        [
            # 5-digit measure: slices 29100 + 29201 + 22110 belong to cars, 30300 to planes, 10110 to nothing
            ("emp", "TLG3", "sic-29100", 2021, 10.0),
            ("emp", "TLG3", "sic-29201", 2021, 5.0),
            ("emp", "TLG3", "sic-22110", 2021, 2.0),
            ("emp", "TLG3", "sic-30300", 2021, 7.0),
            ("emp", "TLG3", "sic-10110", 2021, 100.0),
            ("emp", "TLG3", "sic-C", 2021, 999.0),  # a section: ignored
            ("emp", "TLG3", "all", 2021, 5000.0),  # the total: ignored
            ("emp", "TLF1", "sic-29100", 2021, 1.0),
            ("emp", "TLG3", "sic-29100", 2020, 8.0),
            # 2-digit measure: cars = 29 (22110 cannot be served), planes cannot be served
            ("emp2", "TLG3", "sic-29", 2021, 15.0),
            ("emp2", "TLG3", "sic-30", 2021, 9.0),
            ("rate", "TLG3", "sic-29100", 2021, 0.5),  # derive_clusters = false
        ]
    )


def test_sums_equal_hand_summed_baskets(small):
    out = derive_cluster_rows(small, MEASURES, CLUSTERS)
    assert list(out.columns) == COLUMNS
    got = {(r.measure, r.geography, r.cluster, r.period.year): r.value for r in out.itertuples()}
    assert got == {
        ("emp", "TLG3", "cars", 2021): 10.0 + 5.0 + 2.0,
        ("emp", "TLG3", "planes", 2021): 7.0,
        ("emp", "TLF1", "cars", 2021): 1.0,
        ("emp", "TLG3", "cars", 2020): 8.0,
    }
    assert (out["line"] == -1).all() and set(out["frequency"]) == {"A"}


def test_five_digit_entries_are_skipped_and_recorded_with_two_digit_data(small):
    out = derive_cluster_rows(small, MEASURES, CLUSTERS)
    skipped = out.attrs["skipped"]
    emp2 = skipped[skipped["measure"] == "emp2"].sort_values("entry")
    assert emp2[["cluster", "entry"]].values.tolist() == [["cars", "22110"], ["planes", "30300"]]
    assert set(emp2["reason"]) == {"5-digit entry, only 2-digit data"}
    assert out[out["measure"] == "emp2"].empty  # incomplete baskets are not emitted by default

    partial = derive_cluster_rows(small, MEASURES, CLUSTERS, allow_partial=True)
    rows = partial[partial["measure"] == "emp2"]
    assert rows[["cluster", "value"]].values.tolist() == [["cars", 15.0]]


def test_no_double_counting_when_both_resolutions_are_present(small):
    """With 5-digit slices present, the measure's 2-digit slices are not added on top."""
    both = pd.concat([small, _obs([("emp", "TLG3", "sic-29", 2021, 15.0)])], ignore_index=True)
    out = derive_cluster_rows(both, MEASURES, CLUSTERS)
    cars = out[(out["measure"] == "emp") & (out["cluster"] == "cars") & (out["geography"] == "TLG3")]
    assert cars.set_index(cars["period"].dt.year)["value"].to_dict() == {2020: 8.0, 2021: 17.0}


def test_nothing_to_derive_returns_empty_frame(small):
    out = derive_cluster_rows(small[small["measure"] == "rate"], MEASURES, CLUSTERS)
    assert out.empty and list(out.columns) == COLUMNS


@pytest.fixture(scope="module")
def emp5(shared_data) -> pd.DataFrame:
    return parse_bres(shared_data / "bres_itl2" / "bres_itl2_employment_sic5digit_2015_2021.csv.gz")


@pytest.fixture(scope="module")
def derived5(emp5) -> pd.DataFrame:
    return derive_cluster_rows(emp5, load_measures(), load_clusters())


def test_every_cluster_has_midlands_employment(derived5):
    assert derived5.attrs["skipped"].empty
    mid = derived5[derived5["geography"].isin(MIDLANDS_ITL2) & (derived5["period"].dt.year == 2021)]
    totals = mid.groupby("cluster")["value"].sum()
    for c in load_clusters():
        assert totals.get(c.id, 0) > 0, c.id
    assert len(derived5) == 25 * 40 * 7


def test_real_automotive_west_midlands_equals_hand_sum(shared_data, derived5):
    raw = pd.read_csv(
        shared_data / "bres_itl2" / "bres_itl2_employment_sic5digit_2015_2021.csv.gz",
        dtype={"INDUSTRY_CODE": str},
    )
    sel = raw[(raw["GEOGRAPHY_CODE"] == "UKG3") & (raw["DATE"] == 2021)]
    code = sel["INDUSTRY_CODE"]
    hand = sel.loc[code.str.startswith("29") | code.isin(["22110", "30910", "30400"]), "COUNT"].sum()
    row = derived5[(derived5["geography"] == "UKG3") & (derived5["cluster"] == "automotive")
                   & (derived5["period"].dt.year == 2021)]  # fmt: skip
    assert row["value"].tolist() == [hand]
    assert hand > 28000  # at least SIC 29 itself (28,000 in the 2-digit file)


def test_two_digit_file_derives_only_complete_baskets(shared_data):
    emp2 = parse_bres(shared_data / "bres_itl2" / "bres_itl2_employment_sic2digit_2015_2021.csv")
    out = derive_cluster_rows(emp2, load_measures(), load_clusters())
    all_two_digit = {c.id for c in load_clusters() if all(len(e) == 2 for e in c.sic)}
    assert set(out["cluster"]) == all_two_digit
    food = out[
        (out["geography"] == "UKG3") & (out["cluster"] == "food-drink") & (out["period"].dt.year == 2021)
    ]
    sel = emp2[
        (emp2["geography"] == "UKG3")
        & emp2["cluster"].isin(["sic-10", "sic-11"])
        & (emp2["period"].dt.year == 2021)
    ]
    assert food["value"].tolist() == [sel["value"].sum()]


def test_business_counts_derive_for_gb(shared_data):
    counts = parse_business_counts(
        shared_data / "bres_itl2" / "gb_business_counts_enterprises_sic5digit_sizeband_2016_2022.csv"
    )
    out = derive_cluster_rows(counts, load_measures(), load_clusters())
    assert set(out["measure"]) == {"business_count_enterprises", "business_count_enterprises_250plus"}
    assert set(out["geography"]) == {"GB"} and out["cluster"].nunique() == 25
    wide = out.pivot_table(index=["cluster", "period"], columns="measure", values="value")
    assert (wide["business_count_enterprises"] >= wide["business_count_enterprises_250plus"]).all()
