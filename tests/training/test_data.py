"""Derived aggregates: whole trees in order, and complete listings where absence means zero."""

from __future__ import annotations

import pandas as pd

from forecasting.reference.geography import load_geography
from forecasting.training.data import derive_aggregates, expand_tree_codes


def _panel(
    measure: str, geos: list[str], values: dict[str, float], cluster: str = "automotive"
) -> pd.DataFrame:
    rows = []
    for g in geos:
        for year in (2020, 2021, 2022):
            rows.append(
                {
                    "series_id": f"{measure}.{g}.{cluster}.A",
                    "measure": measure,
                    "geography": g,
                    "cluster": cluster,
                    "frequency": "A",
                    "period": pd.Timestamp(year, 1, 1),
                    "value": values[g],
                    "source": "test",
                    "vintage": "v1",
                    "is_synthetic": True,
                }
            )
    return pd.DataFrame(rows)


def test_tree_codes_are_finest_first() -> None:
    geo = load_geography()
    codes = expand_tree_codes(["MID/*"], geo)
    assert codes[-1] == "MID" and codes[-3:-1] == ["TLF", "TLG"]
    assert all(len(c) == 5 for c in codes[: codes.index("TLF1")])  # every ITL3 before any ITL2


def test_complete_listing_fills_absent_areas_with_zero() -> None:
    geo = load_geography()
    itl3 = next(p for p, kids in geo.partitions().items() if p.startswith("TLG") and len(kids) >= 3)
    kids = geo.partitions()[itl3]
    present = kids[:2]
    out = derive_aggregates(_panel("fdi_projects", present, {present[0]: 2.0, present[1]: 3.0}), [itl3])
    agg = out[out["series_id"] == f"fdi_projects.{itl3}.automotive.A"]
    assert list(agg["value"]) == [5.0, 5.0, 5.0]
    zeros = out[out["source"] == "absent from listing (zero)"]
    assert set(zeros["geography"]) == set(kids) - set(present) and (zeros["value"] == 0).all()


def test_published_statistics_are_not_zero_filled() -> None:
    geo = load_geography()
    itl3 = next(p for p, kids in geo.partitions().items() if p.startswith("TLG") and len(kids) >= 3)
    present = geo.partitions()[itl3][:2]
    panel = _panel("gva_cp", present, dict.fromkeys(present, 1.0), cluster="all")
    out = derive_aggregates(panel, [itl3])
    assert len(out) == len(panel)  # a missing area of a published table is a gap, not a zero


def _series(sid_geo: str, years: list[int], values: list[float], measure: str = "fdi_inward_position"):
    return pd.DataFrame(
        {
            "series_id": f"{measure}.{sid_geo}.all.A",
            "measure": measure,
            "geography": sid_geo,
            "cluster": "all",
            "frequency": "A",
            "period": [pd.Timestamp(y, 1, 1) for y in years],
            "value": values,
            "source": "test",
            "vintage": "v1",
            "is_synthetic": False,
        }
    )


def test_a_gapped_series_is_not_joined_across_the_gap() -> None:
    from forecasting.training.data import last_contiguous_run

    years = [1995, 1996, 1997, 2001, 2002, 2003, 2004]
    panel = _series("GBR", years, [1.0, 2, 3, 4, 5, 6, 7], "fdi_net_inflows_usd")
    cut, notes = last_contiguous_run(panel)
    assert list(pd.DatetimeIndex(cut["period"]).year) == [2001, 2002, 2003, 2004]
    assert "between 1997 and 2001" in notes["fdi_net_inflows_usd.GBR.all.A"]


def test_a_published_parent_keeps_its_unallocated_remainder() -> None:
    from forecasting.reference.geography import UK_ITL1
    from forecasting.training.data import add_unallocated

    years = [2020, 2021, 2022]
    parts = [_series(g, years, [100.0, 110.0, 120.0]) for g in UK_ITL1]
    uk = _series("UK", years, [1260.0, 1400.0, 1500.0])  # 12 regions sum to 1200, 1320, 1440
    out = add_unallocated(pd.concat([*parts, uk], ignore_index=True))
    rem = out[out["geography"] == "UK-UNALLOC"].sort_values("period")
    assert rem["value"].tolist() == [60.0, 80.0, 60.0]
    by_year = out[out["geography"] != "UK"].groupby("period")["value"].sum()
    assert by_year.tolist() == uk["value"].tolist()  # regions + remainder = the published UK
    # a parent equal to its parts (to rounding) gets no remainder series
    exact = _series("UK", years, [1200.0, 1320.0, 1440.0])
    assert "UK-UNALLOC" not in set(add_unallocated(pd.concat([*parts, exact]))["geography"])


def _released(geo: str, years: list[int], values: list[float], release: str, measure: str = "gdp_cp"):
    return _series(geo, years, values, measure).assign(release=release, source=f"src-{release}")


def test_a_parent_superseded_by_a_later_release_of_its_parts_is_their_sum() -> None:
    """ITL3 GDP of the 2024 release (to 2021) under LA GDP of the 2025 release (to 2023): the sum of the LAs,
    one release throughout, not an older total that differs from its parts by the revisions."""
    geo = load_geography()
    itl3 = "TLG24"  # Staffordshire: eight districts
    kids = geo.partitions()[itl3]
    years = [2019, 2020, 2021, 2022, 2023]
    parts = [_released(k, years, [10.0, 11.0, 12.0, 13.0, 14.0], "2025-10-10") for k in kids]
    old = _released(itl3, years[:3], [70.0, 75.0, 80.0], "2024-04-24")
    out = derive_aggregates(pd.concat([*parts, old], ignore_index=True), [itl3])
    parent = out[out["geography"] == itl3].sort_values("period")
    n = len(kids)
    assert parent["value"].tolist() == [10.0 * n, 11.0 * n, 12.0 * n, 13.0 * n, 14.0 * n]
    assert parent["source"].str.startswith("derived(").all() and (parent["release"] == "2025-10-10").all()
    # the same release (or parts ending no later than the parent): the published parent stays
    same = _released(itl3, years, [70.0, 75.0, 80.0, 85.0, 90.0], "2025-10-10")
    kept = derive_aggregates(pd.concat([*parts, same], ignore_index=True), [itl3])
    assert kept[kept["geography"] == itl3]["value"].tolist() == [70.0, 75.0, 80.0, 85.0, 90.0]
    older_parts = [_released(k, years[:3], [10.0, 11.0, 12.0], "2025-10-10") for k in kids]
    kept = derive_aggregates(pd.concat([*older_parts, old], ignore_index=True), [itl3])
    assert kept[kept["geography"] == itl3]["value"].tolist() == [70.0, 75.0, 80.0]


def test_rounding_of_small_published_figures_is_no_remainder() -> None:
    """GFCF of an ITL3 area (GBP 96m) against its districts rounded to GBP 1m each: a gap of 1 is rounding."""
    from forecasting.training.data import add_unallocated

    geo = load_geography()
    kids = geo.partitions()["TLF12"]  # three districts
    years = [2020, 2021, 2022]
    parts = [_series(k, years, [32.0, 33.0, 34.0], "gfcf_dwellings_cp") for k in kids]
    parent = _series("TLF12", years, [97.0, 98.0, 102.0], "gfcf_dwellings_cp")  # +1, -1 rounding, then +0
    assert "TLF12-UNALLOC" not in set(add_unallocated(pd.concat([*parts, parent]))["geography"])
    real = _series("TLF12", years, [97.0, 110.0, 102.0], "gfcf_dwellings_cp")  # 11 is not rounding
    assert "TLF12-UNALLOC" in set(add_unallocated(pd.concat([*parts, real]))["geography"])


def test_parts_of_another_release_get_no_remainder() -> None:
    """A gap between releases is revision, not an unallocated part of the parent."""
    from forecasting.reference.geography import UK_ITL1
    from forecasting.training.data import add_unallocated

    years = [2020, 2021, 2022]
    parts = [_released(g, years, [100.0, 110.0, 120.0], "2024-04-24", "gva_cp") for g in UK_ITL1]
    uk = _released("UK", years, [1260.0, 1400.0, 1500.0], "2025-04-17", "gva_cp")
    assert "UK-UNALLOC" not in set(add_unallocated(pd.concat([*parts, uk]))["geography"])
    same = uk.assign(release="2024-04-24")
    assert "UK-UNALLOC" in set(add_unallocated(pd.concat([*parts, same]))["geography"])


def test_scope_keeps_a_measure_inside_its_area() -> None:
    from forecasting.training.data import scope_panel

    geo = load_geography()
    mid_lads = geo.partitions()["TLG24"]
    years = [2020, 2021, 2022]
    frames = [
        _series(g, years, [1.0, 2.0, 3.0], m)
        for m in ("gva_cp", "gdp_cp", "gfcf_dwellings_cp")
        for g in [*mid_lads, "E06000001", "TLG24", "TLC1"]  # Midlands LAs, Hartlepool, their ITL3s
    ]
    out = scope_panel(
        pd.concat(frames, ignore_index=True),
        within={"gfcf_dwellings_cp": "MID"},
        lad_within={"gdp_cp": "MID"},
    )
    kept = {m: set(g["geography"]) for m, g in out.groupby("measure")}
    assert kept["gva_cp"] == {*mid_lads, "E06000001", "TLG24", "TLC1"}  # not scoped: everything
    assert kept["gdp_cp"] == {*mid_lads, "TLG24", "TLC1"}  # LAs outside the Midlands left out
    assert kept["gfcf_dwellings_cp"] == {*mid_lads, "TLG24"}  # every level outside the Midlands left out
