"""ONS FDI directional adapter on the real observations file, and on broken copies of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from forecasting.reference.measures import load_measures
from forecasting.sources.adapters import ons_fdi
from forecasting.sources.canonical import OUTPUT_COLUMNS
from forecasting.sources.errors import IngestError

FILE = "ons_fdi/ons_fdi_involving_uk_companies_directional_observations.csv"


def value(df: pd.DataFrame, measure: str, cluster: str, year: int) -> pd.Series:
    return df[(df.measure == measure) & (df.cluster == cluster) & (df.period == pd.Timestamp(year, 1, 1))][
        "value"
    ]


def broken_copy(src: Path, tmp_path: Path, edit: Callable[[list[str]], list[str]], keep: int = 700) -> Path:
    """The first ``keep`` lines of the real file, edited."""
    lines = src.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    out = tmp_path / src.name
    out.write_text("".join(edit(lines[:keep])), encoding="utf-8")
    return out


def assert_ingest_error(
    exc: pytest.ExceptionInfo[IngestError], path: Path, line: int | None, column: str
) -> None:
    err = exc.value
    assert (err.file, err.line, err.column) == (str(path), line, column)
    assert str(path) in str(err) and repr(column) in str(err)
    if line is not None:
        assert f"line {line}" in str(err)


@pytest.fixture(scope="module")
def fdi(shared_data: Path) -> pd.DataFrame:
    return ons_fdi.parse_directional(shared_data / FILE)


def test_headline_values(fdi: pd.DataFrame) -> None:
    assert list(fdi.columns) == list(OUTPUT_COLUMNS)
    assert value(fdi, "fdi_uk_inward_flow", "all", 2016).tolist() == [191952.0]
    assert value(fdi, "fdi_uk_inward_flow", "all", 2010).tolist() == [37666.0]  # BPM5 year kept
    assert value(fdi, "fdi_uk_outward_position", "all", 2019).tolist() == [
        1498233.0
    ]  # repeated row collapsed
    assert value(fdi, "fdi_uk_inward_position", "partner-usa", 2019).tolist() == [381640.0]
    assert value(fdi, "fdi_uk_inward_flow", "ind-transport-equipment", 2019).tolist() == [-588.0]
    assert (
        set(fdi.geography) == {"UK"} and set(fdi.geo_system) == {"canonical"} and set(fdi.frequency) == {"A"}
    )
    assert len(fdi[fdi.cluster == "all"]) == 60  # 6 measures x 10 years
    assert sorted(fdi.period.dt.year.unique()) == list(range(2010, 2020))


def test_markers(fdi: pd.DataFrame) -> None:
    # itis-nil -> 0 (line 45: Bulgaria inward flow 2013); disclosive -> dropped (line 6170)
    assert value(fdi, "fdi_uk_inward_flow", "partner-bulgaria", 2013).tolist() == [0.0]
    assert value(fdi, "fdi_uk_inward_flow", "partner-south-africa", 2019).empty
    assert value(fdi, "fdi_uk_inward_flow", "ind-agriculture-forest-fishing", 2016).empty
    assert fdi.value.notna().all()


def test_slices(fdi: pd.DataFrame) -> None:
    prefixes = set(fdi.cluster.str.split("-").str[0])
    assert prefixes == {"all", "ind", "partner"}
    assert fdi.cluster.str.fullmatch(r"[A-Za-z0-9-]+").all()
    assert fdi[fdi.cluster.str.startswith("ind-")].cluster.nunique() == 18
    assert "partner-world-total" not in set(fdi.cluster)
    assert len(fdi) == 3869


def test_measures_registered(fdi: pd.DataFrame) -> None:
    assert set(fdi.measure) == set(ons_fdi.COMPONENTS.values())
    assert set(fdi.measure) <= set(load_measures())


# --- bad inputs (on the first lines of the file plus the World Total headline rows) -----------


def _with_headlines(src: Path) -> Callable[[list[str]], list[str]]:
    """Subset of the real file that still has every headline component (so only the injected fault fails)."""
    lines = src.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    picked = [lines[0]]
    seen: set[tuple[str, str]] = set()
    for line in lines[1:]:
        parts = line.split(",")
        key = (parts[0], parts[4])
        if key in {(d, c) for d, c in ons_fdi.COMPONENTS} and key not in seen:
            seen.add(key)
            picked.append(line)
    return lambda head: [head[0], *picked[1:], *head[1:]]


def test_truncated_file(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / FILE
    add = _with_headlines(src)
    bad = broken_copy(src, tmp_path, lambda ls: [*add(ls)[:-1], "inward,2015,BPM6,Fra"])
    with pytest.raises(IngestError) as exc:
        ons_fdi.parse_directional(bad)
    n = len(bad.read_text().splitlines())
    assert_ingest_error(exc, bad, n, "FDI Component")


def test_renamed_column(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(shared_data / FILE, tmp_path, lambda ls: [ls[0].replace("Marker", "Flag"), *ls[1:]])
    with pytest.raises(IngestError) as exc:
        ons_fdi.parse_directional(bad)
    assert_ingest_error(exc, bad, 1, "Marker")


def test_non_numeric_value(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / FILE
    add = _with_headlines(src)
    bad = broken_copy(
        src, tmp_path, lambda ls: add([*ls[:2], ls[2].replace(",-28258.0,", ",minus 28258,"), *ls[3:]])
    )
    line = next(i for i, s in enumerate(bad.read_text().splitlines(), 1) if "minus " in s)
    with pytest.raises(IngestError) as exc:
        ons_fdi.parse_directional(bad)
    assert_ingest_error(exc, bad, line, "Value")


def test_conflicting_duplicate(shared_data: Path, tmp_path: Path) -> None:
    """An exact repeat is collapsed, but the same key with a different value is an error."""
    src = shared_data / FILE
    add = _with_headlines(src)
    ok = broken_copy(src, tmp_path, lambda ls: add([*ls, ls[2]]))
    assert len(ons_fdi.parse_directional(ok)) > 0
    bad = broken_copy(src, tmp_path, lambda ls: add([*ls, ls[2].replace("-28258.0", "-28259.0")]))
    n = len(bad.read_text().splitlines())
    with pytest.raises(IngestError) as exc:
        ons_fdi.parse_directional(bad)
    assert_ingest_error(exc, bad, n, "FDI Area")


def test_unknown_marker(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / FILE
    add = _with_headlines(src)
    bad = broken_copy(
        src, tmp_path, lambda ls: add([*ls[:9], ls[9].rstrip("\r\n") + "provisional\n", *ls[10:]])
    )
    line = next(i for i, s in enumerate(bad.read_text().splitlines(), 1) if s.endswith("provisional"))
    with pytest.raises(IngestError) as exc:
        ons_fdi.parse_directional(bad)
    assert_ingest_error(exc, bad, line, "Marker")


def test_missing_headline_component(shared_data: Path, tmp_path: Path) -> None:
    bad = broken_copy(shared_data / FILE, tmp_path, lambda ls: ls, keep=50)
    with pytest.raises(IngestError) as exc:
        ons_fdi.parse_directional(bad)
    assert_ingest_error(exc, bad, None, "FDI Component")
