"""The synthetic generator: deterministic, marked synthetic, realistic magnitudes, recognised by detect."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecasting.reference.geography import load_geography
from forecasting.sources.partner.detect import detect_partner_file
from forecasting.sources.partner.synthetic import write_synthetic_partner_files


def test_same_seed_same_bytes_different_seed_differs(tmp_path: Path, partner_files: dict[str, Path]) -> None:
    again = write_synthetic_partner_files(tmp_path / "a", seed=0)
    other = write_synthetic_partner_files(tmp_path / "b", seed=1)
    assert set(again) == {"fdi_projects", "equity_deals", "company_list"}
    for key, path in partner_files.items():
        assert again[key].read_bytes() == path.read_bytes()
        assert other[key].read_bytes() != path.read_bytes()
        assert path.name.startswith("synthetic_")


def test_files_are_marked_and_midlands_only(partner_files: dict[str, Path]) -> None:
    geo = load_geography()
    for path in partner_files.values():
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert df.columns[0] == "record_source" and (df["record_source"] == "synthetic").all()
        assert all(geo.is_midlands(c) for c in df["Local authority code"].unique())


def test_fdi_magnitudes(partner_files: dict[str, Path]) -> None:
    df = pd.read_csv(partner_files["fdi_projects"], dtype=str)
    year = df["Project date"].str[:4].astype(int)
    assert year.min() == 2010 and year.max() == 2024
    per_region = df.groupby([year, "Destination state/province"]).size().unstack()
    assert per_region["West Midlands"].between(80, 230).all()
    assert per_region["East Midlands"].between(50, 130).all()
    assert 20 <= df["Jobs created"].astype(float).mean() <= 40
    deals = pd.read_csv(partner_files["equity_deals"], dtype=str)
    per_year = deals.groupby(deals["Deal date"].str[-4:]).size()
    assert per_year.between(100, 500).all()


def test_detect(partner_files: dict[str, Path], tmp_path: Path) -> None:
    for key, path in partner_files.items():
        source, parser, synthetic = detect_partner_file(path)
        assert source == f"partner_{key}" and synthetic and callable(parser)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    assert detect_partner_file(other) is None
