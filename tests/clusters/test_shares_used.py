"""Apportioning shares reach every consumer: warehouse cluster derivation and the scorecards' employment base."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.reference.clusters import Cluster
from forecasting.reference.measures import Measure
from forecasting.warehouse.derive_clusters import derive_cluster_rows


def _measure(name: str) -> Measure:
    return Measure(
        name=name, description="d", unit="u", frequency="A", aggregation="sum", derive_clusters=True,
        currency=None, price_basis="none", base_year=None, seasonal_adjustment="none", quantity="count",
        scale=1,
    )  # fmt: skip


def _c(cid: str, sic: list[str], shares: dict[str, float]) -> Cluster:
    return Cluster(id=cid, name=cid, description="d", sic=sic, shares=shares, rationale="r", source="s")


def test_derived_cluster_rows_apportion_a_shared_code():
    obs = pd.DataFrame(
        [
            {"measure": "emp", "geography": "TLF1", "geo_system": "canonical", "cluster": c, "frequency": "A",
             "period": pd.Timestamp(2021, 1, 1), "value": v, "line": i + 2}
            for i, (c, v) in enumerate([("sic-30300", 1000.0), ("sic-33160", 200.0), ("sic-51220", 40.0)])
        ]
    )  # fmt: skip
    clusters = [
        _c("aero", ["30300", "33160"], {"30300": 0.9}),
        _c("space", ["30300", "51220"], {"30300": 0.1}),
    ]
    out = derive_cluster_rows(obs, {"emp": _measure("emp")}, clusters)
    got = out.set_index("cluster")["value"].to_dict()
    assert got == pytest.approx({"aero": 900.0 + 200.0, "space": 100.0 + 40.0})
    assert sum(got.values()) == pytest.approx(1240.0)  # every job counted once in total


def test_scorecard_employment_base_uses_the_shares(inputs):
    """The world's BRES slice 30300 enters aerospace at 0.9 and space at 0.1 of its value."""
    from forecasting.scorecards.employment import employment_base

    base = employment_base(inputs, "bres_employment", 2021)
    cc = base.cluster_code_emp
    s = cc[cc["code"] == "30300"].groupby("cid")["value"].sum()
    raw = base.code_emp[base.code_emp["code"] == "30300"]["value"].sum()
    assert s["aerospace"] == pytest.approx(0.9 * raw) and s["space"] == pytest.approx(0.1 * raw)


def test_basket_variant_changes_the_base(inputs):
    from forecasting.scorecards.employment import employment_base

    base = employment_base(inputs, "bres_employment", 2021)
    variant = employment_base(inputs.with_basket({"aerospace": {"303": 0.0}}), "bres_employment", 2021)
    assert variant.mid_emp["aerospace"] < base.mid_emp["aerospace"]
    assert variant.mid_emp["automotive"] == pytest.approx(base.mid_emp["automotive"])
