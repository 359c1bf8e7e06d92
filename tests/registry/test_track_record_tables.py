"""The optional track-record tables: validated, round-tripped, absent from older bundles without harm."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from bundle_tiny import tiny_contents

from forecasting.registry.schema import BundleFormatError
from forecasting.registry.store import load_contents, save_contents

SID = "m.TLF.all.A"


def summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series_id": [SID, SID],
            "kind": ["level", "growth"],
            "horizon": np.array([1, 0], dtype="int64"),
            "n": np.array([3, 2], dtype="int64"),
            "model": [2.5, 1.2],
            "naive": [3.0, 1.5],
            "drift": [2.8, 1.4],
            "ratio_naive": [2.5 / 3.0, 0.8],
            "coverage80": [0.67, np.nan],
            "coverage95": [1.0, np.nan],
            "vintages": np.array([3, 3], dtype="int64"),
            "outturn_release": "2025-10-07",
            "experiment": "default",
            "computed_at": "2026-12-07T02:00:00+00:00",
        }
    )


def points() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series_id": [SID, SID],
            "release": ["2023-10-26", "2023-10-26"],
            "last_observed": ["2022", "2022"],
            "kind": ["level", "growth"],
            "horizon": np.array([1, 0], dtype="int64"),
            "period": ["2023", "2023"],
            "mean": [110.0, 3.1],
            "naive": [108.0, 0.0],
            "drift": [109.0, 1.0],
            "outturn": [112.0, 4.0],
            "lo80": [100.0, np.nan],
            "hi80": [120.0, np.nan],
            "lo95": [95.0, np.nan],
            "hi95": [125.0, np.nan],
            "comparable": [True, True],
        }
    )


def test_round_trip_with_the_track_record(tmp_path) -> None:
    c = replace(tiny_contents(), track_record=summary(), track_record_points=points())
    back = load_contents(save_contents(c, tmp_path / "b"))
    pd.testing.assert_frame_equal(back.track_record, summary(), check_dtype=False)
    pd.testing.assert_frame_equal(back.track_record_points, points(), check_dtype=False)


def test_a_bundle_without_it_is_written_and_read_as_before(tmp_path) -> None:
    path = save_contents(tiny_contents(), tmp_path / "b")
    manifest = json.loads((path / "manifest.json").read_text())
    assert not any("track_record" in f for f in manifest["sha256"])
    back = load_contents(path)
    assert back.track_record.empty and back.track_record_points.empty


@pytest.mark.parametrize(
    ("table", "bad", "message"),
    [
        ("track_record", lambda: summary().assign(model=[-1.0, 1.2]), "column 'model'"),
        (
            "track_record",
            lambda: pd.concat([summary(), summary().iloc[:1]]),
            "one row per series, kind and horizon",
        ),
        ("track_record", lambda: summary().assign(kind=["level", "pace"]), "column 'kind'"),
        (
            "track_record_points",
            lambda: points().assign(release=["2023-10-26", "Oct 2023"]),
            "column 'release'",
        ),
        ("track_record", lambda: summary().assign(series_id="m.TLX.all.A"), "series in the catalogue"),
    ],
)
def test_a_broken_track_record_is_refused_naming_table_and_rule(tmp_path, table, bad, message) -> None:
    c = replace(tiny_contents(), track_record=summary(), track_record_points=points())
    c = replace(c, **{table: bad().reset_index(drop=True)})
    with pytest.raises(BundleFormatError, match=message) as err:
        save_contents(c, tmp_path / "b")
    assert table in str(err.value)
    assert not (tmp_path / "b").exists()
