"""Long-layout ONS regional parquets of SOURCES.md section 10: GVA by industry (ITL, LAD) and regional GFCF."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from forecasting.reference.geography import load_geography
from forecasting.sources.adapters import ons_regional_long as rl
from forecasting.sources.errors import IngestError
from forecasting.warehouse.ingest import normalise_geography

ITL = "ons_regional_gva_2025/ons_rgva_by_industry_itl_long_release2025-04-17.parquet"
LAD = "ons_regional_gva_2025/ons_rgva_by_industry_lad_long_release2025-04-17.parquet"
GFCF = "ons_regional_gfcf/ons_regional_gfcf_dwellings_buildings_long_release2023-12-08.parquet"


@pytest.fixture(scope="module")
def itl(shared_data: Path) -> pd.DataFrame:
    return normalise_geography(rl.parse_rgva_itl(shared_data / ITL), shared_data / ITL)


@pytest.fixture(scope="module")
def lad(shared_data: Path) -> pd.DataFrame:
    return normalise_geography(rl.parse_rgva_lad(shared_data / LAD), shared_data / LAD)


@pytest.fixture(scope="module")
def gfcf(shared_data: Path) -> pd.DataFrame:
    return normalise_geography(rl.parse_regional_gfcf(shared_data / GFCF), shared_data / GFCF)


def _value(df: pd.DataFrame, measure: str, code: str, year: int, cluster: str = "all") -> float:
    index = df.attrs.get("index")
    if index is None:  # one keyed Series per frame: these frames hold 450,000 rows
        keys = [df["measure"], df["geography"], df["cluster"], df["period"].dt.year]
        index = df.attrs["index"] = df.set_index(keys)["value"]
    return float(index.loc[(measure, code, cluster, year)])


def test_itl_gva_to_2023_on_itl2025_codes(itl: pd.DataFrame) -> None:
    geo = load_geography()
    assert set(itl["measure"]) == {"gva_cp"} and itl["period"].dt.year.max() == 2023
    totals = itl[itl["cluster"] == "all"]
    levels = totals.groupby(totals["geography"].map(geo.level))["geography"].nunique()
    assert levels["itl3"] == 182 and levels["itl2"] == 46 and levels["itl1"] == 12 and levels["uk"] == 1
    assert not {"TLZ", "UKX"} & set(itl["geography"])  # Extra-Regio is not a place
    # SOURCES.md section 10: TLG 2023 174,608; TLF 139,722; Birmingham (TLG31, unchanged code) 35,427
    assert _value(itl, "gva_cp", "TLG", 2023) == 174608
    assert _value(itl, "gva_cp", "TLF", 2023) == 139722
    assert _value(itl, "gva_cp", "TLG31", 2023) == 35427
    # a redrawn area keeps its own code (never joined onto the ITL 2021 area of the same name)
    assert "TLC31-2025" in set(totals["geography"]) and "TLC31" not in set(totals["geography"])
    # industry slices as in the 2024 CSV tables; manufacturing <= production <= total
    assert (
        _value(itl, "gva_cp", "TLG", 2023, "sic-C") < _value(itl, "gva_cp", "TLG", 2023, "sic-A-E") < 174608
    )


def test_midlands_itl3_sum_to_their_region(itl: pd.DataFrame) -> None:
    geo = load_geography()
    parts = geo.partitions()
    for region in ("TLF", "TLG"):
        itl3 = [c for itl2 in parts[region] for c in parts[itl2]]
        total = sum(_value(itl, "gva_cp", c, 2023) for c in itl3)
        assert abs(total - _value(itl, "gva_cp", region, 2023)) <= len(itl3), region


def test_lad_gva_by_industry(lad: pd.DataFrame) -> None:
    assert lad["geography"].nunique() == 361 and lad["cluster"].nunique() == 49
    assert lad["period"].dt.year.min() == 1998 and lad["period"].dt.year.max() == 2023
    assert _value(lad, "gva_cp", "E08000025", 2023) == 35427  # = the LA workbook
    assert set(lad["geo_system"]) == {"gss"}
    sections = [c for c in lad["cluster"].unique() if len(c) == 5 and c[-1].isalpha() and c != "sic-A-B"]
    bham = lad[(lad["geography"] == "E08000025") & (lad["period"].dt.year == 2023)].set_index("cluster")[
        "value"
    ]
    # sections (A-B combined, C, D-E, F ... T) add up to the total, to the published rounding
    parts = [c for c in bham.index if c in {"sic-A-B", "sic-C", "sic-D-E"} or c in sections]
    assert abs(bham[parts].sum() - bham["all"]) <= len(parts), sorted(parts)


def test_midlands_las_sum_to_their_itl3(lad: pd.DataFrame, itl: pd.DataFrame) -> None:
    """LA -> ITL3 nests in the Midlands (the lookup is data): every ITL3 is the sum of its LAs."""
    geo = load_geography()
    parts = geo.partitions()
    for itl3 in geo.descendants("MID", "itl3"):
        kids = parts[itl3]
        total = sum(_value(lad, "gva_cp", c, 2023) for c in kids)
        assert abs(total - _value(itl, "gva_cp", itl3, 2023)) <= len(kids), itl3


def test_gfcf_published_values(gfcf: pd.DataFrame) -> None:
    geo = load_geography()
    assert set(gfcf["measure"]) == {"gfcf_dwellings_cp", "gfcf_other_buildings_cp"}
    assert set(gfcf["cluster"]) == {"all"} and gfcf["period"].dt.year.max() == 2022
    # SOURCES.md section 10: TLG 2022 dwellings 8,727, other buildings and structures 11,033
    assert _value(gfcf, "gfcf_dwellings_cp", "TLG", 2022) == 8727
    assert _value(gfcf, "gfcf_other_buildings_cp", "TLG", 2022) == 11033
    assert [_value(gfcf, "gfcf_dwellings_cp", "E08000025", y) for y in (2020, 2021, 2022)] == [
        978,
        1599,
        2219,
    ]
    las = gfcf.loc[gfcf["geography"].map(geo.level) == "lad", "geography"].nunique()
    assert las >= 360
    # Northern Ireland's TLN10..TLN16 are ITL 2021's TLN0A..TLN0G
    assert "TLN0B" in set(gfcf["geography"]) and not any(c.startswith("TLN1") for c in gfcf["geography"])


def test_gfcf_midlands_las_sum_to_their_itl3(gfcf: pd.DataFrame) -> None:
    geo = load_geography()
    parts = geo.partitions()
    wide = gfcf[gfcf["measure"] == "gfcf_dwellings_cp"].pivot_table(
        index="geography", columns="period", values="value"
    )
    for itl3 in geo.descendants("MID", "itl3"):
        gap = (wide.loc[parts[itl3]].sum() - wide.loc[itl3]).abs()
        assert (gap <= len(parts[itl3])).all(), itl3  # rounding of each published figure to GBP 1m


# --- bad input ----------------------------------------------------------------------------------------


def _sample(shared_data: Path, name: str, tmp_path: Path, edit=None, rows: int = 3000) -> Path:
    """About ``rows`` rows spread over a real file, optionally edited, written as a new parquet."""
    table = pq.read_table(shared_data / name)
    df = table.take(list(range(0, table.num_rows, table.num_rows // rows))).to_pandas()  # every variable
    if edit is not None:
        df = edit(df)
    out = tmp_path / Path(name).name
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), out)
    return out


def test_sample_parses(shared_data: Path, tmp_path: Path) -> None:
    out = rl.parse_rgva_lad(_sample(shared_data, LAD, tmp_path))
    assert len(out) > 500 and set(out["measure"]) == {"gva_cp"}


def test_truncated_parquet(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / GFCF).read_bytes()
    cut = tmp_path / "gfcf.parquet"
    cut.write_bytes(data[: len(data) - 1000])
    with pytest.raises(IngestError, match="truncated or not parquet") as exc:
        rl.parse_regional_gfcf(cut)
    assert str(cut) in str(exc.value)


def test_unknown_layout_missing_column(shared_data: Path, tmp_path: Path) -> None:
    path = _sample(shared_data, ITL, tmp_path, lambda d: d.rename(columns={"variable.code": "variable"}))
    with pytest.raises(IngestError, match=r"unknown layout: missing column 'variable.code'") as exc:
        rl.parse_rgva_itl(path)
    assert str(path) in str(exc.value)


def test_unknown_variable_names_its_row(shared_data: Path, tmp_path: Path) -> None:
    def edit(d: pd.DataFrame) -> pd.DataFrame:
        d.loc[41, "variable.name"] = "GVA Current Prices £bn"
        return d

    path = _sample(shared_data, LAD, tmp_path, edit)
    with pytest.raises(IngestError, match="unknown variable") as exc:
        rl.parse_rgva_lad(path)
    assert "line 43" in str(exc.value) and "'variable.name'" in str(exc.value)


def test_other_dataset_and_quarterly_rows_are_refused(shared_data: Path, tmp_path: Path) -> None:
    path = _sample(shared_data, ITL, tmp_path, lambda d: d.assign(dataset="CXNV"))
    with pytest.raises(IngestError, match="not the RGVA dataset"):
        rl.parse_rgva_itl(path)

    def quarterly(d: pd.DataFrame) -> pd.DataFrame:
        d.loc[7, "dates.freq"] = "q"
        return d

    with pytest.raises(IngestError, match="not an annual observation") as exc:
        rl.parse_regional_gfcf(_sample(shared_data, GFCF, tmp_path, quarterly))
    assert "line 9" in str(exc.value)


def test_unknown_geography_code(shared_data: Path, tmp_path: Path) -> None:
    first: list[int] = []

    def edit(d: pd.DataFrame) -> pd.DataFrame:
        first.append(int((d["variable.code"] == "current").to_numpy().argmax()))
        d.loc[first[0], "geography.code"] = "UKG31"  # a NUTS code in an ITL file
        return d

    with pytest.raises(IngestError, match="unknown geography code") as exc:
        rl.parse_rgva_itl(_sample(shared_data, ITL, tmp_path, edit))
    assert f"line {first[0] + 2}" in str(exc.value) and "UKG31" in str(exc.value)


def test_values_written_as_text_are_an_unknown_layout(shared_data: Path, tmp_path: Path) -> None:
    path = _sample(shared_data, GFCF, tmp_path, lambda d: d.assign(value=d["value"].astype(str)))
    with pytest.raises(IngestError, match="column 'value' holds string") as exc:
        rl.parse_regional_gfcf(path)
    assert str(path) in str(exc.value)
