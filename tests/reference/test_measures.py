"""Measure registry: every measure states its units as data, and contradictory unit fields are refused."""

from __future__ import annotations

import tomllib

import pytest
from pydantic import ValidationError

from forecasting.reference.measures import MEASURE_DIR, Measure, load_measures

UNIT_FIELDS = ("currency", "price_basis", "base_year", "seasonal_adjustment", "quantity", "scale")
GBP_MILLION_FLOW = {
    "name": "x",
    "description": "d",
    "unit": "GBP million",
    "frequency": "Q",
    "aggregation": "sum",
    "currency": "GBP",
    "price_basis": "current",
    "base_year": "none",
    "seasonal_adjustment": "sa",
    "quantity": "flow",
    "scale": 1e6,
}


def test_every_toml_entry_states_every_unit_field() -> None:
    """Written out in the files, not filled by a default."""
    for path in sorted(MEASURE_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            for name, spec in tomllib.load(fh).items():
                missing = [f for f in UNIT_FIELDS if f not in spec]
                assert not missing, (path.name, name, missing)


def test_known_units() -> None:
    m = load_measures()
    usd = {n for n, x in m.items() if x.currency == "USD"}
    assert usd == {
        "fdi_net_inflows_usd",
        "fdi_project_capex_usd_m",
        "unctad_fdi_inward_flow_usd",
        "unctad_fdi_outward_flow_usd",
        "unctad_fdi_inward_stock_usd",
        "unctad_fdi_outward_stock_usd",
    }
    bi = m["business_investment_cvm_sa"]
    assert (bi.currency, bi.price_basis, bi.base_year, bi.seasonal_adjustment, bi.quantity, bi.scale) == (
        "GBP",
        "chained_volume",
        2019,
        "sa",
        "flow",
        1e6,
    )
    assert m["business_investment_exc_transfer_cvm_sa"].base_year == 2018  # CXNV Nov 2020 only
    assert m["gva_cvm"].base_year == 2019 and m["cpi_index_m"].base_year == 2015
    assert m["gdp_deflator"].price_basis == "index" and m["gdp_deflator"].base_year == 2019
    assert m["fdi_inward_position"].quantity == "stock" and m["fdi_uk_inward_flow"].quantity == "flow"
    assert m["fdi_net_inflows_usd"].scale == 1 and m["fdi_inward_position"].scale == 1e6
    assert m["usd_per_gbp"].quantity == "ratio" and m["usd_per_gbp"].currency is None
    assert m["business_birth_rate"].quantity == "rate" and m["dbt_fdi_projects"].quantity == "count"
    assert m["uk_gdp_cp_annual"].seasonal_adjustment == "none"
    assert "lower trust" in m["gdp_deflator_growth"].description


def test_none_word_is_null() -> None:
    m = Measure(**GBP_MILLION_FLOW)
    assert m.base_year is None and m.currency == "GBP"
    m = Measure(**{**GBP_MILLION_FLOW, "unit": "projects", "currency": "none", "price_basis": "none",
                   "quantity": "count", "scale": 1, "aggregation": "sum"})  # fmt: skip
    assert m.currency is None


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"currency": "USD"}, "does not start with the currency"),
        ({"price_basis": "chained_volume"}, "base_year is required"),
        ({"base_year": 2019}, "base_year is required"),
        ({"scale": 1}, "does not match unit"),
        ({"scale": 0}, "scale must be > 0"),
        ({"frequency": "A"}, "exactly for annual"),
        ({"seasonal_adjustment": "none"}, "exactly for annual"),
        ({"quantity": "rate", "aggregation": "sum"}, "do not add up"),
        ({"price_basis": "chained_volume", "base_year": 2019}, "do not add up"),
        ({"price_basis": "index", "base_year": 2019}, "quantity 'index'"),
        ({"currency": "none"}, "money amounts"),
        ({"quantity": "volume"}, "quantity"),
    ],
)
def test_contradictory_units_are_refused(change: dict, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        Measure(**{**GBP_MILLION_FLOW, **change})


def test_missing_unit_field_is_an_error() -> None:
    spec = dict(GBP_MILLION_FLOW)
    del spec["price_basis"]
    with pytest.raises(ValidationError, match="price_basis"):
        Measure(**spec)
