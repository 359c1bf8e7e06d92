"""Units layer on the real published rates: FRED EXUSUK, WDI FCRF, ONS YBGB / IHYS, from a warehouse view."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.reference.measures import get_measure
from forecasting.units import (
    RateTable,
    UnitError,
    annual_rate,
    compatible,
    deflate,
    extend_deflator,
    gbp_to_usd,
    quarterly_rate,
    usd_to_gbp,
)
from forecasting.warehouse.snapshot import open_snapshot

FILES = (
    "exchange_rates/fred_EXUSUK_monthly_1971-2025.csv",
    "exchange_rates/wdi_PA.NUS.FCRF_official_exchange_rate_LCU_per_USD_2025-07-01.csv",
    "ons_qna/ons_qna_dataset_release2023-12-22.csv",
    "uk_prices/ons_IHYS_gdp_deflator_yoy_annual_release2025-09-30.csv",
    "wdi/API_BX.KLT.DINV.CD.WD_DS2_en_csv_v2_5995288.csv",
)
UK_FDI_2022_USD = 44126903482.3809  # WDI BX.KLT.DINV.CD.WD, GBR 2022 (2023-10-26 release)


def year(y: int) -> pd.Timestamp:
    return pd.Timestamp(y, 1, 1)


@pytest.fixture(scope="module")
def panel(ingested: Callable[..., Path]) -> pd.DataFrame:
    """The current warehouse view of the real files (GBR already mapped to UK)."""
    with open_snapshot(ingested(FILES)) as wh:
        return wh.panel(geographies=["UK"])


@pytest.fixture(scope="module")
def rates(panel: pd.DataFrame) -> RateTable:
    return RateTable.from_panel(panel)


def series(panel: pd.DataFrame, measure: str) -> pd.Series:
    rows = panel[panel["measure"] == measure]
    return pd.Series(rows["value"].to_numpy(), index=pd.DatetimeIndex(rows["period"]))


def test_annual_means_reproduce_the_published_figures(panel: pd.DataFrame) -> None:
    annual = annual_rate(series(panel, "usd_per_gbp"))
    assert round(annual[year(2023)], 4) == 1.2439 and round(annual[year(2024)], 4) == 1.2781
    assert annual.index.min() == year(1971) and annual.index.max() == year(2024)
    assert annual.attrs == {"frequency": "A", "partial": {"2025": 4}}  # Jan-Apr 2025 is not a year
    quarterly = quarterly_rate(series(panel, "usd_per_gbp"))
    assert quarterly.index.max() == pd.Timestamp(2025, 1, 1)  # 2025 Q2 has only April
    assert quarterly.attrs["partial"] == {"2025Q2": 1}
    monthly = series(panel, "usd_per_gbp")
    assert quarterly[pd.Timestamp(2022, 7, 1)] == pytest.approx(monthly["2022-07":"2022-09"].mean())


def test_known_pound_dollar_pair(rates: RateTable, panel: pd.DataFrame) -> None:
    """UK FDI net inflows 2022: US$44.1bn -> £ at the 2022 FRED mean, within 1% of 1/FCRF GBR 2022."""
    usd = series(panel, "fdi_net_inflows_usd")[year(2022)]
    assert usd == pytest.approx(UK_FDI_2022_USD, abs=1e-3)
    gbp = rates.to_gbp([usd], [year(2022)], "A")[0]
    assert gbp == pytest.approx(UK_FDI_2022_USD / 1.2373583333, rel=1e-9)
    assert round(gbp / 1e9, 2) == 35.66
    gbp_per_usd_wdi = series(panel, "exchange_rate_lcu_per_usd")[year(2022)]
    assert gbp == pytest.approx(usd * gbp_per_usd_wdi, rel=0.01)
    assert rates.annual_source[year(2022)] == "fred_monthly_mean"


def test_round_trip_and_fallback_years(rates: RateTable, panel: pd.DataFrame) -> None:
    fdi = series(panel, "fdi_net_inflows_usd")
    fdi = fdi[fdi.index.year.isin(rates.usd_per_gbp("A").index.year)]
    assert fdi.index.min() == year(1970) and fdi.index.max() == year(2022)
    gbp = rates.to_gbp(fdi, fdi.index, "A")
    assert isinstance(gbp, pd.Series) and gbp.index.equals(fdi.index)
    np.testing.assert_allclose(rates.to_usd(gbp, fdi.index, "A"), fdi, rtol=1e-12)
    # years before FRED (1971) come from 1 / WDI FCRF; 1970: £0.4167 per $ -> $2.40 per £
    assert rates.annual_source[year(1970)] == "wdi_fcrf_inverse"
    assert rates.usd_per_gbp("A")[year(1970)] == pytest.approx(2.4, rel=1e-3)
    assert rates.annual_source.index.min() == year(1960)


def test_missing_rate_names_the_period(rates: RateTable) -> None:
    with pytest.raises(UnitError, match=r"no US\$ per £ rate for period 2025 \(rates cover 1960-2024\)"):
        rates.to_gbp([1.0, 2.0], [year(2024), year(2025)], "A")
    with pytest.raises(UnitError, match="period 2025Q2"):
        rates.to_usd(pd.Series([1.0]), [pd.Timestamp(2025, 4, 1)], "Q")
    # a blank value needs no rate
    out = usd_to_gbp([1.0, np.nan], [year(2024), year(2025)], rates.usd_per_gbp("A"))
    assert out[0] == pytest.approx(1 / 1.278125, rel=1e-6) and np.isnan(out[1])


def test_quarterly_values_refuse_annual_rates(rates: RateTable) -> None:
    with pytest.raises(UnitError, match="not the start of a year"):
        usd_to_gbp([1.0], [pd.Timestamp(2022, 7, 1)], rates.usd_per_gbp("A"))


def test_quarterly_conversion_uses_the_quarter_mean(rates: RateTable) -> None:
    q3 = pd.Timestamp(2022, 7, 1)
    expected = 100 / rates.usd_per_gbp_monthly["2022-07":"2022-09"].mean()
    assert rates.to_gbp([100.0], [q3], "Q")[0] == pytest.approx(expected, rel=1e-12)
    assert gbp_to_usd([expected], [q3], rates.usd_per_gbp("Q"))[0] == pytest.approx(100, rel=1e-12)


def test_deflation_at_the_base_year_is_the_identity(rates: RateTable, panel: pd.DataFrame) -> None:
    assert rates.deflator_base_year == 2019 == get_measure("gdp_deflator").base_year
    gdp_cp = series(panel, "uk_gdp_cp_annual")
    real = rates.deflate(gdp_cp, gdp_cp.index, "A")
    assert real[year(2019)] == gdp_cp[year(2019)] == 2233921
    # YBGB = YBHA / ABMI x 100 (rounded to 0.1): deflated nominal GDP is real GDP within rounding
    abmi = series(panel, "uk_gdp_cvm_sa")
    abmi_2022 = abmi[abmi.index.year == 2022].sum()
    assert real[year(2022)] == pytest.approx(abmi_2022, rel=1e-3)
    q = series(panel, "uk_gdp_cp_sa")
    real_q = rates.deflate(q, q.index, "Q")
    recent = abmi.index.year >= 1990  # early deflator levels (3.8 …) carry large rounding errors
    np.testing.assert_allclose(real_q[abmi.index[recent]], abmi[recent], rtol=1.5e-3)
    # at other base years the same real series is only rescaled
    real_2022 = deflate(gdp_cp, gdp_cp.index, rates.deflator("A"), 2022)
    assert real_2022[year(2022)] == gdp_cp[year(2022)]
    with pytest.raises(UnitError, match="period 2025"):
        rates.deflate([1.0], [year(2025)], "A")
    with pytest.raises(UnitError, match="base year 1900"):
        deflate([1.0], [year(2019)], rates.deflator("A"), 1900)


def test_extend_deflator_with_ihys(rates: RateTable, panel: pd.DataFrame) -> None:
    ybgb = series(panel, "gdp_deflator_annual")
    assert ybgb.index.max() == year(2022) and ybgb[year(2022)] == 110.4
    ext = extend_deflator(ybgb, series(panel, "gdp_deflator_growth"))
    assert ext.attrs["extended"] == ["2023", "2024"]
    assert ext[year(2023)] == pytest.approx(110.4 * 1.063) and ext[year(2024)] == pytest.approx(
        110.4 * 1.063 * 1.036
    )
    pd.testing.assert_series_equal(
        ext[ext.index <= year(2022)], ybgb, check_names=False, check_freq=False, check_index_type=False
    )
    assert rates.deflator_extended == ("2023", "2024")
    assert rates.deflate([100.0], [year(2024)], "A")[0] == pytest.approx(100 * 100 / (110.4 * 1.063 * 1.036))
    # a gap in the growth rates stops the chain
    gap = extend_deflator(ybgb, pd.Series([3.6], index=[year(2024)]))
    assert gap.attrs["extended"] == [] and gap.index.max() == year(2022)


def test_compatible_refuses_currency_price_basis_base_year_and_scale() -> None:
    ok, why = compatible("fdi_net_inflows_usd", "fdi_uk_inward_flow")
    assert not ok and "currency USD vs GBP" in why
    ok, why = compatible("business_investment_cvm_sa", "business_investment_cp_sa")
    assert not ok and "price basis chained_volume vs current" in why and "base year 2019 vs none" in why
    ok, why = compatible("business_investment_exc_transfer_cvm_sa", "business_investment_cvm_sa")
    assert not ok and "base year 2018 vs 2019" in why
    ok, why = compatible("fdi_net_inflows_usd", "fdi_project_capex_usd_m")
    assert not ok and "scale 1 vs 1e+06" in why
    ok, why = compatible("business_birth_rate", "usd_per_gbp")
    assert not ok and "unit 'percent' vs 'USD per GBP'" in why
    assert compatible("gva_cvm", "business_investment_cvm_sa")[0]  # both £m, chained volume, 2019
    assert compatible(get_measure("gva_cp"), "fdi_inward_position") == (
        True,
        "gva_cp and fdi_inward_position: same currency, price basis, base year and scale",
    )


def test_rate_table_needs_rates_and_one_value_per_period(panel: pd.DataFrame) -> None:
    with pytest.raises(UnitError, match="no usd_per_gbp or exchange_rate_lcu_per_usd rows"):
        RateTable.from_panel(panel[~panel["measure"].isin(["usd_per_gbp", "exchange_rate_lcu_per_usd"])])
    with pytest.raises(UnitError, match="no gdp_deflator_annual / gdp_deflator rows"):
        RateTable.from_panel(panel[panel["measure"] != "gdp_deflator"])
    twice = pd.concat([panel, panel[panel["measure"] == "usd_per_gbp"].head(1)])
    with pytest.raises(UnitError, match="two values for 1971-01-01"):
        RateTable.from_panel(twice)
    rebased = panel.copy()
    rebased.loc[rebased["measure"] == "gdp_deflator_annual", "value"] *= 1.1
    with pytest.raises(UnitError, match="not 2019 = 100"):
        RateTable.from_panel(rebased)
