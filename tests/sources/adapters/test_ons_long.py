"""CXNV real-time vintages (verbatim CSV and edd long Parquet), QNA 2026 and monthly GDP: published
values, the reference year read off each release, and bad input (truncated, unknown layout, splices)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from forecasting.sources.adapters import ons_dataset, ons_long
from forecasting.sources.canonical import OUTPUT_COLUMNS
from forecasting.sources.errors import IngestError
from forecasting.sources.manifest import load_manifest

VINTAGES = "ons_business_investment_vintages"
CXNV_SOURCES = sorted((s for s in load_manifest() if s.id.startswith("ons_cxnv_20")), key=lambda s: s.release)
LATEST = f"{VINTAGES}/ons_cxnv_long_release2026-06-30.parquet"
OLDEST_LONG = f"{VINTAGES}/ons_cxnv_long_release2024-05-10.parquet"


def q(year: int, quarter: int) -> pd.Timestamp:
    return pd.Timestamp(year, 3 * quarter - 2, 1)


def npel(df: pd.DataFrame) -> pd.Series:
    s = df[df.measure == "business_investment_cvm_sa"]
    return pd.Series(s["value"].to_numpy(), index=s["period"])


def test_every_cxnv_release_is_public_with_its_parser() -> None:
    assert len(CXNV_SOURCES) == 28
    for s in CXNV_SOURCES:
        assert s.ingestible, s.id
        layout = "ons_long:parse_cxnv_long" if s.path.endswith(".parquet") else "ons_dataset:parse_cxnv"
        assert s.parser.endswith(layout), s.id
        assert s.path.endswith(f"release{s.release}" + Path(s.path).suffix), s.id


@pytest.fixture(scope="module")
def releases(shared_data: Path) -> dict[str, pd.DataFrame]:
    return {s.release: s.load_parser()(shared_data / s.path) for s in CXNV_SOURCES}


def test_cxnv_releases_published_values_and_real_time_edge(releases: dict[str, pd.DataFrame]) -> None:
    """SOURCES.md checks, and the last NPEL quarter moving one quarter every other release."""
    assert npel(releases["2024-03-28"])[q(2023, 4)] == 59979
    s = npel(releases["2024-03-28"])
    assert round(100 * (s[q(2023, 4)] / s[q(2023, 3)] - 1), 1) == 1.4  # +1.4% q/q as published
    assert npel(releases["2026-06-30"])[q(2026, 1)] == 77134
    assert npel(releases["2026-06-30"]).index.min() == q(1997, 1) and len(npel(releases["2026-06-30"])) == 117
    ends = [npel(df).index.max() for _, df in sorted(releases.items())]
    assert ends[0] == q(2022, 4) and ends[-1] == q(2026, 1)
    assert all(b >= a for a, b in zip(ends, ends[1:], strict=False))
    for df in releases.values():
        assert list(df.columns) == [*OUTPUT_COLUMNS, "reference_year"]
        assert df["measure"].nunique() == 10  # every mapped CXNV series, every release


def test_reference_year_is_read_off_each_release(releases: dict[str, pd.DataFrame]) -> None:
    """2019 prices to Aug 2024, 2022 from Blue Book 2024 (Sep 2024), 2023 from Sep 2025: the year in which
    NPEL equals NPEK. (SOURCES.md says 2019 -> 2022 in Sep 2025; the published numbers say otherwise.)"""
    refs = {
        r: df.loc[df.measure == "business_investment_cvm_sa", "reference_year"].unique().tolist()
        for r, df in releases.items()
    }
    for release, years in refs.items():
        expected = 2019 if release < "2024-09-30" else 2022 if release < "2025-09-30" else 2023
        assert years == [expected], release
    assert npel(releases["2024-08-15"])[q(2019, 4)] == 57293
    assert npel(releases["2026-06-30"])[q(2019, 4)] == 69468
    cp = releases["2026-06-30"]
    assert cp.loc[cp.measure == "business_investment_cp_sa", "reference_year"].isna().all()


def test_csv_release_date_row_matches_the_manifest(shared_data: Path) -> None:
    for s in CXNV_SOURCES:
        if s.path.endswith(".csv"):
            head = (shared_data / s.path).read_text(encoding="utf-8-sig").splitlines()[4]
            day, month, year = head.split(",")[1].strip('"').split("-")
            assert f"{year}-{month}-{day}" == s.release, s.id


def test_qna_2026_long_published_values(shared_data: Path) -> None:
    df = ons_long.parse_qna_long(shared_data / "ons_qna/ons_qna_long_release2026-03-31.parquet")
    v = df.set_index(["measure", "period"])["value"]
    assert v["uk_gdp_cvm_sa", q(2025, 4)] == 706067
    assert v["business_investment_cvm_sa", q(2025, 4)] == 76573
    assert v["business_investment_cp_sa", q(2025, 4)] == 79832
    assert v["gdp_deflator_annual", pd.Timestamp(2023, 1, 1)] == 100.0
    assert set(df.loc[df.measure.isin(["uk_gdp_cvm_sa", "gdp_deflator"]), "reference_year"]) == {2023}


def test_qna_2024_verbatim_published_values(shared_data: Path) -> None:
    df = ons_dataset.parse_qna(shared_data / "ons_qna/ons_qna_dataset_release2024-03-28.csv")
    v = df.set_index(["measure", "period"])["value"]
    assert v["uk_gdp_cvm_sa", q(2023, 4)] == 566626 and v["business_investment_cvm_sa", q(2023, 4)] == 59979


def test_monthly_gdp_ecy2(shared_data: Path) -> None:
    df = ons_long.parse_mgdp_long(shared_data / "ons_monthly_gdp/ons_mgdp_long_release2026-07-16.parquet")
    assert set(df.measure) == {"uk_gva_index_m"} and set(df.frequency) == {"M"}
    assert df.period.min() == pd.Timestamp(1997, 1, 1) and df.period.max() == pd.Timestamp(2026, 5, 1)
    assert df.set_index("period")["value"][pd.Timestamp(2026, 5, 1)] == 103.2
    assert set(df.reference_year) == {2023}  # 2023 averages 100


# ---- bad input --------------------------------------------------------------------------------------


def test_truncated_parquet_names_the_file(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / LATEST).read_bytes()
    bad = tmp_path / "cxnv.parquet"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match="cannot read the Parquet file") as exc:
        ons_long.parse_cxnv_long(bad)
    assert exc.value.file == str(bad)


def test_truncated_csv_vintage_names_file_and_line(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / CXNV_SOURCES[9].path
    assert src.suffix == ".csv"
    text = src.read_text(encoding="utf-8-sig")
    bad = tmp_path / src.name
    bad.write_text(text[: int(len(text) * 0.6)], encoding="utf-8")  # cut mid-row
    with pytest.raises(IngestError) as exc:
        ons_dataset.parse_cxnv(bad)
    assert exc.value.file == str(bad) and exc.value.line is not None
    assert "truncated" in str(exc.value)


def test_parquet_with_an_unknown_layout_is_refused(shared_data: Path, tmp_path: Path) -> None:
    df = pd.read_parquet(shared_data / LATEST).rename(columns={"variable.code": "cdid"})
    bad = tmp_path / "cxnv.parquet"
    df.to_parquet(bad)
    with pytest.raises(IngestError, match="missing column 'variable.code'") as exc:
        ons_long.parse_cxnv_long(bad)
    assert exc.value.file == str(bad) and exc.value.column == "variable.code"


def test_parquet_of_another_dataset_is_refused(shared_data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "qna.parquet"
    shutil.copy(shared_data / "ons_qna/ons_qna_long_release2026-03-31.parquet", bad)
    with pytest.raises(IngestError, match="another dataset") as exc:
        ons_long.parse_cxnv_long(bad)
    assert (exc.value.line, exc.value.column) == (2, "dataset")


def test_required_cdid_missing_is_refused(shared_data: Path, tmp_path: Path) -> None:
    df = pd.read_parquet(shared_data / LATEST)
    bad = tmp_path / "cxnv.parquet"
    df[df["variable.code"] != "NPEK"].to_parquet(bad)
    with pytest.raises(IngestError, match="required series NPEK is missing"):
        ons_long.parse_cxnv_long(bad)


def spliced(shared_data: Path, tmp_path: Path) -> Path:
    """The Jun-2026 release (2023 prices) with every series before 2021 taken from May 2024 (2019 prices):
    its recent quarters spliced onto an old release's history."""
    new = pd.read_parquet(shared_data / LATEST)
    old = pd.read_parquet(shared_data / OLDEST_LONG)
    early = pd.to_datetime(new["dates.date"]) < pd.Timestamp(2021, 1, 1)
    lookup = old.set_index(["variable.code", "dates.freq", "dates.date"])["value"]
    keys = list(
        zip(
            new.loc[early, "variable.code"],
            new.loc[early, "dates.freq"],
            new.loc[early, "dates.date"],
            strict=True,
        )
    )
    new.loc[early, "value"] = lookup.reindex(keys).to_numpy()
    new = new.dropna(subset=["value"])
    out = tmp_path / "ons_cxnv_long_spliced.parquet"
    new.to_parquet(out)
    return out


def test_rebased_series_spliced_onto_an_old_one_is_refused(shared_data: Path, tmp_path: Path) -> None:
    bad = spliced(shared_data, tmp_path)
    with pytest.raises(IngestError, match=r"spliced together") as exc:
        ons_long.parse_cxnv_long(bad)
    assert exc.value.file == str(bad) and exc.value.column == "NPEL"
    assert "2019" in str(exc.value) and "2023" in str(exc.value)
