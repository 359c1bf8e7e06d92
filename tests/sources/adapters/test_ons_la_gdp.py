"""The ONS local-authority GDP workbook (verbatim xlsx, corrected Oct 2025) against the real file."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from forecasting.reference.geography import load_geography
from forecasting.sources.adapters.ons_la_gdp import TABLES, parse_la_gdp
from forecasting.sources.errors import IngestError

FILE = "ons_regional_gva_2025/ons_regional_gdp_local_authorities_1998to2023_release2025-04-17_corrected2025-10-10.xlsx"


@pytest.fixture(scope="module")
def la(shared_data: Path) -> pd.DataFrame:
    return parse_la_gdp(shared_data / FILE)


def _value(df: pd.DataFrame, measure: str, code: str, year: int) -> float:
    row = df[(df["measure"] == measure) & (df["geography"] == code) & (df["period"].dt.year == year)]
    assert len(row) == 1, (measure, code, year, len(row))
    return float(row["value"].iloc[0])


def test_every_table_every_authority(la: pd.DataFrame) -> None:
    assert list(la.columns) == [
        "measure",
        "geography",
        "geo_system",
        "cluster",
        "frequency",
        "period",
        "value",
        "line",
    ]
    assert set(la["measure"]) == {m for m, _ in TABLES.values()}
    per = la.groupby("measure")["geography"].nunique()
    assert (per == 361).all(), per
    assert la["period"].dt.year.min() == 1998 and la["period"].dt.year.max() == 2023
    assert (
        set(la["geo_system"]) == {"gss"} and set(la["cluster"]) == {"all"} and set(la["frequency"]) == {"A"}
    )


def test_published_values(la: pd.DataFrame) -> None:
    # SOURCES.md section 10: Birmingham 35,427; Nottingham 12,900; Coventry 11,804 (GVA 2023, GBP m)
    assert _value(la, "gva_cp", "E08000025", 2023) == 35427
    assert _value(la, "gva_cp", "E06000018", 2023) == 12900
    assert _value(la, "gva_cp", "E08000026", 2023) == 11804
    assert _value(la, "gdp_cp", "E08000025", 2023) == 38902
    assert _value(la, "population", "E08000025", 2023) == 1166049
    assert _value(la, "gdp_per_head_cp", "E08000025", 2023) == 33362
    assert _value(la, "gdp_deflator_2022", "E08000025", 2022) == 100.0  # the reference year
    # per head = GDP / population, to the rounding of the published figures
    gdp, pop = _value(la, "gdp_cp", "E06000015", 2019), _value(la, "population", "E06000015", 2019)
    assert abs(gdp * 1e6 / pop - _value(la, "gdp_per_head_cp", "E06000015", 2019)) < 0.002 * gdp * 1e6 / pop


def test_lines_are_excel_rows(la: pd.DataFrame) -> None:
    # Hartlepool is the first authority of every table: row 3 under the title and the header
    assert set(la.loc[la["geography"] == "E06000001", "line"]) == {3}


def test_every_authority_is_in_the_lookup_under_its_region(la: pd.DataFrame, shared_data: Path) -> None:
    """The workbook's 'ITL1 Region' agrees with the geography tree for every authority."""
    geo = load_geography()
    wb = openpyxl.load_workbook(shared_data / FILE, read_only=True, data_only=True)
    rows = list(wb["Table 1"].iter_rows(min_row=3, max_col=3, values_only=True))
    wb.close()
    for region, code, _name in rows:
        if code is None:
            continue
        itl1 = next(a for a in [code, *geo.ancestors(code)] if geo.level(a) == "itl1")
        assert geo.find_name(region.strip(), level="itl1") == itl1, (code, region, itl1)


@pytest.fixture(scope="module")
def sheets(shared_data: Path) -> dict[str, list[list]]:
    """The cells of the tables the adapter reads, so bad-input copies are written without re-reading."""
    wb = openpyxl.load_workbook(shared_data / FILE, read_only=True, data_only=True)
    out = {name: [list(r) for r in wb[name].iter_rows(values_only=True)] for name in TABLES}
    wb.close()
    return out


def _edited(sheets: dict[str, list[list]], tmp_path: Path, edit) -> Path:
    """A workbook of the real tables' cells after ``edit(cells)`` (cells[sheet][row - 1][col - 1])."""
    cells = {name: [list(r) for r in rows] for name, rows in sheets.items()}
    edit(cells)
    wb = openpyxl.Workbook(write_only=True)
    for name, rows in cells.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    out = tmp_path / "la.xlsx"
    wb.save(out)
    return out


def test_copy_of_the_real_tables_parses(
    sheets: dict[str, list[list]], tmp_path: Path, la: pd.DataFrame
) -> None:
    """The bad-input tests below start from a workbook that parses exactly like the published one."""
    pd.testing.assert_frame_equal(parse_la_gdp(_edited(sheets, tmp_path, lambda c: None)), la)


def test_truncated_workbook_names_the_file(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / FILE).read_bytes()
    cut = tmp_path / "truncated.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match="truncated or not an xlsx") as exc:
        parse_la_gdp(cut)
    assert str(cut) in str(exc.value)


def test_unknown_header_layout(sheets: dict[str, list[list]], tmp_path: Path) -> None:
    def rename(cells) -> None:
        cells["Table 6"][1][1] = "Local authority code"

    path = _edited(sheets, tmp_path, rename)
    with pytest.raises(IngestError, match=r"sheet 'Table 6': unknown layout") as exc:
        parse_la_gdp(path)
    assert "line 2" in str(exc.value) and str(path) in str(exc.value)


def test_a_table_under_the_wrong_title_is_refused(sheets: dict[str, list[list]], tmp_path: Path) -> None:
    """Sheets swapped in a new edition: population must never be read as GDP."""

    def swap(cells) -> None:
        cells["Table 5"][0][0] = cells["Table 6"][0][0]

    with pytest.raises(IngestError, match=r"sheet 'Table 5': title .* does not describe gdp_cp"):
        parse_la_gdp(_edited(sheets, tmp_path, swap))


def test_missing_sheet_and_bad_cell(sheets: dict[str, list[list]], tmp_path: Path) -> None:
    def drop(cells) -> None:
        del cells["Table 10"]

    with pytest.raises(IngestError, match=r"sheets \['Table 10'\] missing"):
        parse_la_gdp(_edited(sheets, tmp_path, drop))

    def text(cells) -> None:
        cells["Table 1"][122][28] = "35,427 (p)"  # Birmingham (row 123), 2023 (column AC)

    with pytest.raises(IngestError, match="non-numeric value") as exc:
        parse_la_gdp(_edited(sheets, tmp_path, text))
    assert "line 123" in str(exc.value) and "'2023'" in str(exc.value)


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "la.xlsx"
    shutil.copy(Path(__file__), path)
    with pytest.raises(IngestError, match="not an xlsx"):
        parse_la_gdp(path)
