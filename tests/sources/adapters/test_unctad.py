"""UNCTAD FDI flows and stocks: published values, how economies and groups are mapped, bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.reference.geography import canonical_code
from forecasting.sources.adapters import unctad
from forecasting.sources.errors import IngestError
from forecasting.sources.manifest import get_source

FILE = "unctad/unctad_US_FdiFlowsStock_1990-2024_WIR2025.csv"
Y2024 = pd.Timestamp(2024, 1, 1)


@pytest.fixture(scope="module")
def fdi(shared_data: Path) -> pd.DataFrame:
    return unctad.parse_unctad_fdi(shared_data / FILE)


def value(df: pd.DataFrame, measure: str, geo: str, period: pd.Timestamp) -> float:
    return float(df.set_index(["measure", "geography", "period"]).loc[(measure, geo, period), "value"])


def test_published_values(fdi: pd.DataFrame) -> None:
    """SOURCES.md checks: World inward flow 2024, UK inward flow 2022-24 and UK inward stock 2024."""
    assert round(value(fdi, "unctad_fdi_inward_flow_usd", "WLD", Y2024)) == 1_508_803
    assert [
        round(value(fdi, "unctad_fdi_inward_flow_usd", "GBR", pd.Timestamp(y, 1, 1)))
        for y in (2022, 2023, 2024)
    ] == [
        14_912,
        52_188,
        -40_003,
    ]
    assert round(value(fdi, "unctad_fdi_inward_stock_usd", "GBR", Y2024)) == 3_254_442
    assert canonical_code("GBR", "iso3") == "UK" and canonical_code("WLD", "iso3") == "WLD"


def test_every_economy_four_measures_groups_left_out(fdi: pd.DataFrame) -> None:
    lookup = unctad.m49_lookup()
    economies = set(lookup.loc[lookup["kind"] == "economy", "iso3"])
    assert set(fdi["geography"]) - {"WLD"} <= economies and len(set(fdi["geography"])) == 209
    assert set(fdi["measure"]) == {m for m, _, _ in unctad.MEASURES.values()}
    assert set(fdi["period"].dt.year) == set(range(1990, 2025))
    # groups (Africa, LDCs, G20 …) and former economies (Czechoslovakia, Sudan (...2011)) are not ingested
    assert (lookup["kind"] == "group").sum() == 68 and (lookup["kind"] == "former").sum() == 7
    for code in lookup.index[lookup["kind"].isin(["group", "former"])]:
        assert lookup.loc[code, "iso3"] == ""
    assert lookup.loc["826", "iso3"] == "GBR" and lookup.loc["412", "iso3"] == "XKX"
    for iso3 in economies:  # every mapped economy resolves in the geography lookup
        canonical_code(iso3, "iso3")


def test_the_source_is_public() -> None:
    s = get_source("unctad_fdi_2025")
    assert s.ingestible and s.parser.endswith("unctad:parse_unctad_fdi")


def _edit(shared: Path, tmp: Path, old: str, new: str) -> Path:
    text = (shared / FILE).read_text(encoding="utf-8-sig")
    assert old in text
    out = tmp / "unctad.csv"
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


def test_unknown_economy_code_names_the_line(shared_data: Path, tmp_path: Path) -> None:
    bad = _edit(shared_data, tmp_path, '1990,0000,"World",08', '1990,9999,"World",08')
    with pytest.raises(IngestError, match="not in the UNCTAD code lookup") as exc:
        unctad.parse_unctad_fdi(bad)
    assert (exc.value.file, exc.value.line, exc.value.column) == (str(bad), 2, "Economy")


def test_reused_code_with_another_label_is_refused(shared_data: Path, tmp_path: Path) -> None:
    bad = _edit(shared_data, tmp_path, '1990,0000,"World",08', '1990,0000,"Mars",08')
    with pytest.raises(IngestError, match="label differs"):
        unctad.parse_unctad_fdi(bad)


def test_truncated_file_is_refused(shared_data: Path, tmp_path: Path) -> None:
    text = (shared_data / FILE).read_text(encoding="utf-8-sig")
    bad = tmp_path / "unctad.csv"
    bad.write_text(text[: len(text) // 2].rsplit(",", 3)[0], encoding="utf-8")
    with pytest.raises(IngestError, match="truncated") as exc:
        unctad.parse_unctad_fdi(bad)
    assert exc.value.file == str(bad)
