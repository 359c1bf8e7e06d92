"""ONS Explore Local Statistics adapters on the real published files, and on broken copies of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from forecasting.reference.measures import load_measures
from forecasting.sources.adapters import ons_els
from forecasting.sources.errors import IngestError

ELS = "ons_els"
COLUMNS = ["measure", "geography", "geo_system", "cluster", "frequency", "period", "value", "line"]


def value(df: pd.DataFrame, measure: str, geography: str, year: int) -> float:
    hit = df[(df.measure == measure) & (df.geography == geography) & (df.period == pd.Timestamp(year, 1, 1))]
    assert len(hit) == 1, (measure, geography, year, hit)
    return float(hit["value"].iloc[0])


def broken_copy(
    src: Path, tmp_path: Path, edit: Callable[[list[str]], list[str]], keep: int | None = None
) -> Path:
    """Copy (the first ``keep`` lines of) a real file to tmp_path with ``edit`` applied to its lines."""
    lines = src.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    out = tmp_path / src.name
    out.write_text("".join(edit(lines[:keep] if keep else lines)), encoding="utf-8")
    return out


def assert_ingest_error(exc: pytest.ExceptionInfo[IngestError], path: Path, line: int, column: str) -> None:
    err = exc.value
    assert (err.file, err.line, err.column) == (str(path), line, column)
    message = str(err)
    assert str(path) in message and f"line {line}" in message and repr(column) in message


@pytest.fixture(scope="module")
def fdi(shared_data: Path) -> pd.DataFrame:
    return ons_els.parse_fdi(shared_data / ELS / "foreign-direct-investment.csv")


def test_fdi_published_values(fdi: pd.DataFrame) -> None:
    assert list(fdi.columns) == COLUMNS
    assert value(fdi, "fdi_inward_position", "TLF", 2015) == 37114
    assert value(fdi, "fdi_inward_position", "TLF", 2024) == 61511
    assert value(fdi, "fdi_inward_position", "E47000007", 2015) == 37815
    assert value(fdi, "fdi_inward_position", "E47000007", 2024) == 89072
    assert value(fdi, "fdi_inward_position", "TLF1", 2015) == 20943
    systems = fdi.drop_duplicates("geography").set_index("geography")["geo_system"]
    assert systems["TLF"] == "itl2021"
    assert systems["TLF1"] == "itl2025"
    assert systems["E47000007"] == systems["K02000001"] == systems["N34000001"] == "gss"
    assert (fdi.frequency == "A").all() and (fdi.cluster == "all").all()
    # Scottish city regions have no code ("na") and are skipped; suppressed cells are dropped
    assert "na" not in set(fdi.geography)
    assert fdi.value.notna().all()
    assert (
        fdi[(fdi.geography == "TLF2") & (fdi.measure == "fdi_outward_position")]
        .period.dt.year.tolist()
        .count(2022)
        == 0
    )
    assert len(fdi) == 1580 - 60 - 6
    assert fdi.line.min() == 2 and fdi.line.max() <= 1581


def test_business_demography(shared_data: Path) -> None:
    df = ons_els.parse_business_demography(shared_data / ELS / "business-demography.csv")
    assert len(df) == 16532
    assert value(df, "active_businesses", "E12000004", 2024) == 188020
    assert value(df, "business_birth_rate", "K02000001", 2021) == 12.38215108813049
    assert set(df.measure) == {
        "active_businesses",
        "business_birth_rate",
        "business_death_rate",
        "high_growth_rate",
        *(f"survival_rate_{n}y" for n in range(1, 6)),
    }
    assert set(df.geo_system) == {"gss"}
    assert df.loc[df.geography == "K02000001"].line.min() == 2


def test_gva_per_job(shared_data: Path) -> None:
    df = ons_els.parse_gva_per_job(shared_data / ELS / "gross-value-added.csv")
    assert value(df, "gva_per_filled_job", "E08000025", 2019) == 49310
    assert len(df) == 16402 - 12  # 12 "x" (not available) cells dropped
    assert df.loc[df.geography == "TLF", "geo_system"].unique().tolist() == ["itl2021"]


def test_exports_code_systems(shared_data: Path) -> None:
    df = ons_els.parse_exports(shared_data / ELS / "total-value-of-uk-exports.csv")
    assert value(df, "exports_value", "K02000001", 2019) == 689023
    assert value(df, "exports_value", "TLF1", 2023) == 26473
    assert value(df, "exports_value", "TLC1", 2019) == 9499
    systems = df.drop_duplicates("geography").set_index("geography")["geo_system"]
    assert systems["TLF1"] == "itl2025"
    assert systems["TLC1"] == "itl2021"  # "Obsolete code since 2025"
    assert systems["TLF"] == "itl2021"
    assert len(df) == 1241 - 120  # suppressed ("c") cells dropped


def test_rd(shared_data: Path) -> None:
    berd = ons_els.parse_berd(shared_data / ELS / "research-and-development-business.csv")
    assert value(berd, "berd", "K02000001", 2022) == 50841
    assert value(berd, "berd", "E12000005", 2024) == 4862
    public = ons_els.parse_public_rd(shared_data / ELS / "research-and-development-public-funded.csv")
    # financial year 2020/21 (period 2020-04-01/P1Y) is labelled 2020
    assert value(public, "public_rd", "K02000001", 2020) == 13447
    assert value(public, "public_rd", "E12000004", 2021) == 648
    assert sorted(public.period.dt.year.unique()) == [2020, 2021]
    assert (public.period.dt.month == 1).all()


def test_measures_registered(shared_data: Path, fdi: pd.DataFrame) -> None:
    registry = load_measures()
    frames = [
        fdi,
        ons_els.parse_business_demography(shared_data / ELS / "business-demography.csv"),
        ons_els.parse_gva_per_job(shared_data / ELS / "gross-value-added.csv"),
        ons_els.parse_exports(shared_data / ELS / "total-value-of-uk-exports.csv"),
        ons_els.parse_berd(shared_data / ELS / "research-and-development-business.csv"),
        ons_els.parse_public_rd(shared_data / ELS / "research-and-development-public-funded.csv"),
    ]
    for df in frames:
        for m in df.measure.unique():
            assert m in registry, m
            assert registry[m].frequency == "A"


# --- bad inputs -------------------------------------------------------------------------------


def test_truncated_file(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / ELS / "foreign-direct-investment.csv"
    bad = broken_copy(src, tmp_path, lambda ls: [*ls[:-1], ls[-1][:40]])
    n = len(src.read_text(encoding="utf-8-sig").splitlines())
    with pytest.raises(IngestError) as exc:
        ons_els.parse_fdi(bad)
    assert_ingest_error(exc, bad, n, "period")  # the first field the cut-off row lacks


def test_renamed_column(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(
        shared_data / ELS / "research-and-development-business.csv",
        tmp_path,
        lambda ls: [ls[0].replace("observation", "obs_value"), *ls[1:]],
    )
    with pytest.raises(IngestError) as exc:
        ons_els.parse_berd(bad)
    assert_ingest_error(exc, bad, 1, "observation")


def test_non_numeric_value(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(
        shared_data / ELS / "research-and-development-business.csv",
        tmp_path,
        lambda ls: [*ls[:4], ls[4].replace("46564.0", "46564 est"), *ls[5:]],
    )
    with pytest.raises(IngestError) as exc:
        ons_els.parse_berd(bad)
    assert_ingest_error(exc, bad, 5, "observation")
    assert "46564 est" in str(exc.value)


def test_duplicate_key(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(
        shared_data / ELS / "research-and-development-business.csv",
        tmp_path,
        lambda ls: [*ls[:10], ls[3], *ls[10:]],
    )
    with pytest.raises(IngestError) as exc:
        ons_els.parse_berd(bad)
    assert_ingest_error(exc, bad, 11, "areacd")
    assert "also on line 4" in str(exc.value)


def test_negative_count(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / ELS / "business-demography.csv"
    lines = src.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    active = next(i for i, s in enumerate(lines) if ",Active businesses," in s)
    keep = [lines[0], *lines[active : active + 5]]
    keep[3] = keep[3].replace(keep[3].split(",")[5], "-5", 1)
    bad = tmp_path / src.name
    bad.write_text("".join(keep), encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        ons_els.parse_business_demography(bad)
    assert_ingest_error(exc, bad, 4, "observation")
    assert "active_businesses" in str(exc.value)


def test_wrong_indicator(shared_data: Path, tmp_path: Path) -> None:
    """The BERD file given to the FDI parser (a manifest mix-up) must fail, not load as FDI."""
    src = shared_data / ELS / "research-and-development-business.csv"
    with pytest.raises(IngestError) as exc:
        ons_els.parse_fdi(src)
    assert_ingest_error(exc, src, 2, "indicator")


def test_bad_period(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(
        shared_data / ELS / "research-and-development-business.csv",
        tmp_path,
        lambda ls: [*ls[:2], ls[2].replace("2023-01-01/P1Y", "2023-01-01/P3M"), *ls[3:]],
    )
    with pytest.raises(IngestError) as exc:
        ons_els.parse_berd(bad)
    assert_ingest_error(exc, bad, 3, "period")


def test_unknown_area_code(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(
        shared_data / ELS / "research-and-development-business.csv",
        tmp_path,
        lambda ls: [*ls[:6], ls[6].replace("E92000001", "England", 1), *ls[7:]],
    )
    with pytest.raises(IngestError) as exc:
        ons_els.parse_berd(bad)
    assert_ingest_error(exc, bad, 7, "areacd")
