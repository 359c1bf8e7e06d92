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
