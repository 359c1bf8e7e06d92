"""The shared vocabulary: series ids, period arithmetic, nowcast counts and staleness."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.vocabulary import (
    SeriesId,
    interval_levels,
    is_stale,
    nowcast_steps,
    period_label,
    period_start,
    qcol_prob,
    quantile_columns,
    shift_periods,
)


def test_series_id_parses_once_and_round_trips() -> None:
    sid = SeriesId.parse("fdi_inward_position.TLF.all.A")
    assert (sid.measure, sid.geography, sid.cluster, sid.frequency) == (
        "fdi_inward_position",
        "TLF",
        "all",
        "A",
    )
    assert str(sid.at("TLG")) == "fdi_inward_position.TLG.all.A"
    with pytest.raises(ValueError, match="frequency 'Y'"):
        SeriesId.parse("gdp.UK.all.Y")
    with pytest.raises(ValueError, match="expected measure.geography.cluster.frequency"):
        SeriesId.parse("gdp.UK.A")


def test_period_labels_and_shifts() -> None:
    assert period_label(pd.Timestamp(2023, 7, 1), "Q") == "2023Q3"
    assert period_start("2023Q3", "Q") == pd.Timestamp(2023, 7, 1)
    assert [period_label(t, "M") for t in shift_periods(pd.Timestamp(2023, 11, 1), "M", [1, 2])] == [
        "2023-12",
        "2024-01",
    ]


def test_nowcasts_count_periods_begun_by_the_present() -> None:
    assert nowcast_steps(pd.Timestamp(2023, 7, 1), "Q", "2026-12-01") == 13  # 2023Q4 .. 2026Q4
    assert nowcast_steps(pd.Timestamp(2024, 1, 1), "A", "2026-12-01") == 2  # 2025, 2026
    assert nowcast_steps(pd.Timestamp(2026, 10, 1), "Q", "2026-12-01") == 0
    # more than a year behind the usual publication lag (10 months for annual data) is stale
    assert is_stale(pd.Timestamp(2024, 1, 1), "A", "2026-12-01")
    assert not is_stale(pd.Timestamp(2025, 1, 1), "A", "2026-12-01")


def test_quantile_columns() -> None:
    assert quantile_columns(["mean", "q0.9", "q0.1", "qx", "q1.5"]) == ["q0.1", "q0.9"]
    assert qcol_prob("q0.025") == 0.025 and qcol_prob("quarter") is None
    assert interval_levels([0.1, 0.9, 0.025, 0.975, 0.5]) == [80, 95]


def test_stale_reason_says_where_the_data_end_their_age_and_release() -> None:
    from forecasting.vocabulary import stale_reason

    present = pd.Timestamp("2026-12-07")
    assert stale_reason(pd.Timestamp("2026-01-01"), "Q", present, "2026-06-30") == ""  # fresh: no reason
    text = stale_reason(pd.Timestamp("2023-07-01"), "Q", present, "2024-02-15", "ons_npqt_2024_02")
    assert text.startswith("stale: data end 2023Q3, 38 months before 2026-12-07")
    assert "release of 2024-02-15 (ons_npqt_2024_02), 34 months old" in text
    assert stale_reason(pd.Timestamp("2021-01-01"), "A", present).startswith("stale: data end 2021,")
