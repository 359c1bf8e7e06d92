"""Bundles round-trip through Parquet + JSON, are checksummed, and contain nothing pickled."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from forecasting.registry.contents import TABLES
from forecasting.registry.store import BundleFormatError, load_contents, save_contents


def test_roundtrip_is_exact(contents, tmp_path) -> None:
    path = save_contents(contents, tmp_path / "b")
    back = load_contents(path)
    for name in TABLES:
        a, b = getattr(contents, name), getattr(back, name)
        pd.testing.assert_frame_equal(
            a.reset_index(drop=True), b, check_dtype=False, check_index_type=False, check_column_type=False
        )
    assert back.states == json.loads(json.dumps(contents.states))
    assert back.metadata == contents.metadata and back.metadata.max_horizon == 3
    suffixes = {p.suffix for p in path.rglob("*") if p.is_file()}
    assert suffixes == {".parquet", ".json"}


def test_refuses_to_overwrite_and_detects_tampering(contents, tmp_path) -> None:
    path = save_contents(contents, tmp_path / "b")
    with pytest.raises(FileExistsError):
        save_contents(contents, path)
    (path / "states.json").write_text("{}")
    with pytest.raises(BundleFormatError, match="checksum"):
        load_contents(path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = 99
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleFormatError, match="newer"):
        load_contents(path)
    with pytest.raises(BundleFormatError, match="not a forecast bundle"):
        load_contents(tmp_path)


def _rewrite(path, table: str, df: pd.DataFrame) -> None:
    """Hand-edit a table and re-sign the manifest, as a careless fix-up would."""
    import hashlib

    f = path / "tables" / f"{table}.parquet"
    df.to_parquet(f, index=False)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["sha256"][f"tables/{table}.parquet"] = hashlib.sha256(f.read_bytes()).hexdigest()
    (path / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("table", "edit", "message"),
    [
        (
            "forecasts",
            lambda df: df.assign(**{"q0.9": df["q0.1"] - 1.0}),
            r"'forecasts', rows: fails rule quantile columns finite and non-decreasing",
        ),
        ("forecasts", lambda df: df.drop(columns=["mean"]), r"'forecasts': missing column 'mean'"),
        (
            "history",
            lambda df: df.assign(value=float("inf")),
            r"'history', column 'value': fails rule finite",
        ),
        (
            "catalogue",
            lambda df: df.assign(frequency="Y"),
            r"'catalogue', column 'frequency': fails rule isin",
        ),
        (
            "metrics",
            lambda df: df.assign(coverage80=1.5),
            r"'metrics', column 'coverage80': fails rule less_than_or_equal_to",
        ),
    ],
)
def test_edited_table_is_refused_naming_table_column_and_rule(
    contents, tmp_path, table, edit, message
) -> None:
    path = save_contents(contents, tmp_path / "b")
    _rewrite(path, table, edit(pd.read_parquet(path / "tables" / f"{table}.parquet")))
    with pytest.raises(BundleFormatError, match=message):
        load_contents(path)


def test_dangling_series_id_is_refused(contents, tmp_path) -> None:
    path = save_contents(contents, tmp_path / "b")
    df = pd.read_parquet(path / "tables" / "history.parquet")
    df.loc[df["series_id"] == df["series_id"].iloc[0], "series_id"] = "m.TLH.all.A"
    _rewrite(path, "history", df)
    with pytest.raises(BundleFormatError, match=r"'history', column 'series_id': fails rule 'series in the"):
        load_contents(path)


def test_invalid_contents_are_not_written(contents, tmp_path) -> None:
    contents.forecasts = contents.forecasts.assign(mean=float("inf"))
    with pytest.raises(BundleFormatError, match=r"'forecasts', column 'mean': fails rule finite"):
        save_contents(contents, tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_bundle_from_before_the_typed_contract_is_refused_with_the_fix(contents, tmp_path) -> None:
    path = save_contents(contents, tmp_path / "b")
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = 1
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleFormatError, match=r"format 1 .* retrain with `invest train"):
        load_contents(path)


def test_metadata_is_typed(contents, tmp_path) -> None:
    path = save_contents(contents, tmp_path / "b")
    meta = json.loads((path / "metadata.json").read_text())
    meta["max_horizon"] = 0
    (path / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(BundleFormatError, match=r"metadata field 'max_horizon'"):
        load_contents(path, verify=False)
