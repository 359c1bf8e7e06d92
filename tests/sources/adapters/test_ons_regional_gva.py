"""ONS regional GVA/GDP/population/productivity adapters against the real published files."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from bad_input import assert_names as _assert_names
from bad_input import copy_source
from bad_input import edit_line as _edit

from forecasting.reference.measures import load_measures
from forecasting.sources.adapters import ons_regional_gva as gva
from forecasting.sources.errors import IngestError

DIR = "ons_regional_gva"
T1 = "Table_1_GVA_balanced_at_current_basic_prices_millions_Apr2024.csv"
T1B = "Table_1b_ITL1_UK_chained_volume_measures_in_2019_money_value_pounds_million.csv"
T1C = "Table_1c_ITL1_UK_current_price_estimates_pounds_million.csv"
T2B = "Table_2b_ITL2_UK_chained_volume_measures_in_2019_money_value_pounds_million.csv"
T2C = "Table_2c_ITL2_current_price_estimates_pounds_million_2024.csv"
T3B = "Table_3b_ITL3_UK_chained_volume_measures_in_2019_money_value_pounds_million.csv"
T3C = "Table_3c_ITL3_current_price_estimates_pounds_million_2024.csv"
T5 = "Table_5_GDP_at_current_market_prices_pounds_million.csv"
T10 = "Table_10_Gross_Domestic_Product_chained_volume_measures_in_2019_money_value_pounds_million.csv"
T6 = "Table_6_Total_resident_population_numbers_persons_Apr2024.csv"
A4 = "Table_A4_Current_Price_unsmoothed_GVA_B_per_hour_worked_GBP_ITL2_and_ITL3_subregions_2004_to_2021.csv"
B4 = "Table_B4_Current_Price_unsmoothed_GVA_B_per_filled_job_GBP_ITL2_and_ITL3_subregions_2002_to_2021.csv"
A5 = "Table_A5_itlproductivity_cvperhourworked_indices.csv"
HOURS = "Productivity_Hours_Worked_per_Week_ITL2_and_ITL3_subregions_constrained_to_ITL1_2004_2021.csv"
FTJOBS = "itl2_totalFTjobcounts.csv"
COLUMNS = ["measure", "geography", "geo_system", "cluster", "frequency", "period", "value", "line"]

# (file, parser, measure, rows) for every file this module reads.
CASES = [
    (T1, gva.parse_gva_total, "gva_cp", 5850),
    (T1B, gva.parse_gva_industry, "gva_cvm", 35952),
    (T1C, gva.parse_gva_industry, "gva_cp", 35952),
    (T2B, gva.parse_gva_industry, "gva_cvm", 94464),
    (T2C, gva.parse_gva_industry, "gva_cp", 98400),
    (T3B, gva.parse_gva_industry, "gva_cvm", 274944),
    (T3C, gva.parse_gva_industry, "gva_cp", 286400),
    (T5, gva.parse_gdp, "gdp_cp", 5616),
    (T10, gva.parse_gdp, "gdp_cvm", 5616),
    (T6, gva.parse_population, "population", 5842),
    (A4, gva.parse_productivity, "itl_gva_per_hour_worked", 4212),
    (B4, gva.parse_productivity, "itl_gva_per_filled_job", 4680),
    (A5, gva.parse_productivity, "itl_productivity_index", 4212),
    (HOURS, gva.parse_productivity, "hours_worked_per_week", 4212),
    (FTJOBS, gva.parse_itl2_ft_jobs, "ft_jobs", 280),
]


def _value(df: pd.DataFrame, geography: str, year: int, cluster: str = "all") -> pd.Series:
    row = df[(df["geography"] == geography) & (df["cluster"] == cluster) & (df["period"].dt.year == year)]
    assert len(row) == 1, (geography, year, cluster, len(row))
    return row.iloc[0]


@pytest.mark.parametrize(("name", "parser", "measure", "rows"), CASES, ids=[c[0][:24] for c in CASES])
def test_every_file_parses_to_registered_canonical_rows(shared_data, name, parser, measure, rows):
    df = parser(shared_data / DIR / name)
    assert list(df.columns) == COLUMNS
    assert set(df["measure"]) == {measure}
    assert set(df["measure"]) <= set(load_measures())
    assert len(df) == rows
    assert set(df["frequency"]) == {"A"}
    assert set(df["geo_system"]) <= {"canonical", "itl2021", "nuts2016"}
    assert df["cluster"].str.fullmatch(r"all|sic-[A-Za-z0-9-]+").all()
    assert df["value"].notna().all() and df["line"].min() >= 2
    assert not df.duplicated(["measure", "geography", "cluster", "period"]).any()
    assert not df["geography"].isin(["UKX", "TLZ"]).any()


def test_table1_gva_total_exact_values(shared_data):
    df = gva.parse_gva_total(shared_data / DIR / T1)
    uk = _value(df, "UK", 2022)
    assert (uk["value"], uk["geo_system"], uk["line"], uk["cluster"]) == (2246047.0, "canonical", 2, "all")
    assert _value(df, "UK", 1998)["value"] == 899791
    wm = _value(df, "TLG3", 1998)
    assert (wm["value"], wm["geo_system"], wm["line"]) == (35343.0, "itl2021", 81)
    assert _value(df, "TLB", 2022)["value"] == 1940267  # England
    assert df["period"].min() == pd.Timestamp("1998-01-01") and df["period"].max() == pd.Timestamp(
        "2022-01-01"
    )


def test_industry_tables_measure_and_slices(shared_data):
    cvm = gva.parse_gva_industry(shared_data / DIR / T1B)
    assert _value(cvm, "UK", 1998)["value"] == 1345618
    assert _value(cvm, "UK", 1998, "sic-A-E")["value"] == 244491
    cp = gva.parse_gva_industry(shared_data / DIR / T1C)
    assert _value(cp, "UK", 2021)["value"] == 2040499
    assert _value(cp, "UK", 1998, "sic-A")["value"] == 9358
    itl2 = gva.parse_gva_industry(shared_data / DIR / T2C)
    assert _value(itl2, "TLG3", 2022)["value"] == 76335
    c = _value(itl2, "TLG3", 1998, "sic-C")
    assert (c["value"], c["line"]) == (8302.0, 1544)
    # Excel had turned the range "2-3" into the date "02-Mar" in this export (line 6).
    ff = _value(itl2, "TLC1", 1998, "sic-02-03")
    assert (ff["value"], ff["line"]) == (6.0, 6)
    assert "sic-11-12" in set(itl2["cluster"])


def test_current_price_hierarchy_adds_up(shared_data):
    """Current-price children sum to their parents (within rounding): the documented hierarchy holds."""
    cp = gva.parse_gva_industry(shared_data / DIR / T1C)
    uk = cp[(cp["geography"] == "UK") & (cp["period"].dt.year == 2019)].set_index("cluster")["value"]
    assert abs(uk["sic-A-E"] + uk["sic-F"] + uk["sic-G-T"] - uk["all"]) <= 5
    children = [
        c for c in uk.index if c != "sic-C" and (r := gva.sic_slice_divisions(c)) and 10 <= r[0] <= r[1] <= 33
    ]
    subsections = [
        c for c in children if c.startswith("sic-C") or c in ("sic-21", "sic-26", "sic-27", "sic-28")
    ]
    assert sorted(subsections) == sorted(
        ["sic-C10-12", "sic-C13-15", "sic-C16-18", "sic-C19-20", "sic-21", "sic-C22-23", "sic-C24-25",
         "sic-26", "sic-27", "sic-28", "sic-C29-30", "sic-C31-33"]
    )  # fmt: skip
    assert abs(uk[subsections].sum() - uk["sic-C"]) <= 12


@pytest.mark.parametrize(
    ("code", "cluster"),
    [
        ("Total", "all"), ("A-E", "sic-A-E"), ("G-T", "sic-G-T"), ("A (1-3)", "sic-A"), ("C (10-33)", "sic-C"),
        ("L (68)", "sic-L"), ("CA (10-12)", "sic-C10-12"), ("CD-CE (19-20)", "sic-C19-20"), ("CF (21)", "sic-21"),
        ("AB (1-9)", "sic-A-B"), ("DE (35-39)", "sic-D-E"), ("CK-CL (28-30)", "sic-C28-30"), ("1", "sic-01"),
        ("5-8", "sic-05-08"), ("29", "sic-29"), ("68IMP", "sic-68IMP"), ("02-Mar", "sic-02-03"),
        ("11-Dec", "sic-11-12"), ("X (1-3)", None), ("Manufacturing", None),
    ],
)  # fmt: skip
def test_sic07_code_normalisation(code, cluster):
    assert gva.sic07_cluster(code) == cluster


def test_slice_divisions():
    assert gva.sic_slice_divisions("sic-C10-12") == (10, 12)
    assert gva.sic_slice_divisions("sic-A-E") == (1, 39)
    assert gva.sic_slice_divisions("sic-29") == (29, 29)
    assert gva.sic_slice_divisions("sic-68IMP") == (68, 68)
    assert gva.sic_slice_divisions("all") is None


def test_gdp_population_exact_values(shared_data):
    assert _value(gva.parse_gdp(shared_data / DIR / T5), "UK", 1998)["value"] == 999326
    assert _value(gva.parse_gdp(shared_data / DIR / T10), "UK", 2021)["value"] == 2141293
    pop = gva.parse_population(shared_data / DIR / T6)
    assert _value(pop, "UK", 2022)["value"] == 67596279
    # '[u]' (unavailable) for the changed Scottish areas in 2022 is dropped, 2021 kept.
    assert pop[(pop["geography"] == "TLM6") & (pop["period"].dt.year == 2022)].empty
    assert _value(pop, "TLM6", 2021)["value"] == 472899


def test_productivity_tables(shared_data):
    a4 = gva.parse_productivity(shared_data / DIR / A4)
    uk = _value(a4, "UK", 2004)  # UKX 'UK less Extra-Regio' is the UK benchmark here
    assert (uk["value"], uk["geo_system"], uk["line"]) == (24.8, "canonical", 2)
    assert _value(a4, "TLG3", 2004)["value"] == 22
    b4 = gva.parse_productivity(shared_data / DIR / B4)
    assert _value(b4, "UK", 2002)["value"] == 36253
    a5 = gva.parse_productivity(shared_data / DIR / A5)
    assert _value(a5, "UK", 2004)["value"] == 88.1
    assert _value(a5, "UK", 2021)["value"] == 99.9
    assert (a5[a5["period"].dt.year == 2020]["value"] == 100).all()  # each area's reference year
    hours = gva.parse_productivity(shared_data / DIR / HOURS)
    assert _value(hours, "UK", 2004)["value"] == 907931111
    assert _value(hours, "TLG3", 2004)["value"] == 38475867


def test_ft_jobs_names_become_itl2_codes(shared_data):
    df = gva.parse_itl2_ft_jobs(shared_data / DIR / FTJOBS)
    wm = _value(df, "UKG3", 2021)
    assert (wm["value"], wm["geo_system"], wm["line"]) == (870385.0, "nuts2016", 279)
    assert df["geography"].nunique() == 40


def test_productivity_non_negative_list_matches_registry():
    measures = load_measures()
    for m in gva.NON_NEGATIVE:
        assert measures[m].non_negative, m


# ---------------------------------------------------------------- bad input, on tmp copies


def _copy(shared_data: Path, tmp_path: Path, name: str) -> Path:
    return copy_source(shared_data / DIR, tmp_path, name)


def _set_field(path: Path, line: int, column: str, value: str) -> None:
    """Set one CSV field (by header name) on 1-based ``line``, keeping the rest of the file as it was."""
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    header = next(csv.reader([lines[0]]))
    rec = next(csv.reader([lines[line - 1]]))
    rec[header.index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(rec)
    lines[line - 1] = buf.getvalue()
    path.write_text("\n".join(lines), encoding="utf-8")


def test_truncated_file(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, T1)
    text = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join(text[:40]) + "\n" + ",".join(text[40].split(",")[:10]), encoding="utf-8")
    with pytest.raises(IngestError) as ei:
        gva.parse_gva_total(path)
    _assert_names(ei.value, path, 41, "2005")


def test_renamed_column(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, T2B)
    _edit(path, 1, lambda s: s.replace("SIC07 code", "SIC 2007 code"))
    with pytest.raises(IngestError) as ei:
        gva.parse_gva_industry(path)
    _assert_names(ei.value, path, 1, "SIC07 code")


def test_non_numeric_value(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, T1)
    _set_field(path, 10, "2000", "12O5")
    with pytest.raises(IngestError) as ei:
        gva.parse_gva_total(path)
    _assert_names(ei.value, path, 10, "2000")
    assert "12O5" in str(ei.value)


def test_duplicate_row(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, T5)
    _edit(path, 81, lambda s: s + "\n" + s)  # TLG3 twice: lines 81 and 82
    with pytest.raises(IngestError, match="duplicate key") as ei:
        gva.parse_gdp(path)
    assert str(path) in str(ei.value) and "line 82" in str(ei.value) and "line 81" in str(ei.value)


def test_duplicate_industry_row(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, T3C)
    _edit(path, 3, lambda s: s + "\n" + s)
    with pytest.raises(IngestError, match="duplicate key.*line 3") as ei:
        gva.parse_gva_industry(path)
    assert "line 4" in str(ei.value)


def test_year_columns_out_of_order(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, T6)
    _edit(path, 1, lambda s: s.replace("2000,2001", "2001,2000"))
    with pytest.raises(IngestError, match="out of order") as ei:
        gva.parse_population(path)
    _assert_names(ei.value, path, 1, "2000")


def test_negative_population(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, T6)
    _set_field(path, 81, "1998", "-5,000")
    with pytest.raises(IngestError, match="negative") as ei:
        gva.parse_population(path)
    _assert_names(ei.value, path, 81, "1998")


def test_unknown_sic_code_and_geography(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, T1C)
    _edit(path, 5, lambda s: s.replace(",1,", ",One,", 1))
    with pytest.raises(IngestError, match="unrecognised SIC07 code") as ei:
        gva.parse_gva_industry(path)
    _assert_names(ei.value, path, 5, "SIC07 code")
    path = _copy(shared_data, tmp_path, T1)
    _edit(path, 3, lambda s: s.replace("TLB", "E92000001"))
    with pytest.raises(IngestError, match="unknown geography") as ei:
        gva.parse_gva_total(path)
    _assert_names(ei.value, path, 3, "ITL code")


def test_unrecognised_productivity_table(shared_data, tmp_path):
    path = tmp_path / "some_other_table.csv"
    shutil.copy(shared_data / DIR / A4, path)
    with pytest.raises(IngestError, match="unrecognised productivity table") as ei:
        gva.parse_productivity(path)
    assert "line 1" in str(ei.value)


def test_unknown_itl2_name(shared_data, tmp_path):
    path = _copy(shared_data, tmp_path, FTJOBS)
    _edit(path, 5, lambda s: "2015,Atlantis,1000")
    with pytest.raises(IngestError, match="unknown ITL2 area name") as ei:
        gva.parse_itl2_ft_jobs(path)
    _assert_names(ei.value, path, 5, "GEOGRAPHY_NAME")
