"""Real evidence ranks, synthetic never does; evidence areas must separate clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scorecard_world import make_bundle

from forecasting.scorecards.build import build_scorecards, flat_areas
from forecasting.scorecards.document import scorecard_document
from forecasting.scorecards.inputs import Inputs

PARTNER = ("partner_companies", "equity_raised", "fdi_projects_3y", "domestic_investment_trend")


def test_synthetic_metrics_are_previewed_never_scored(built) -> None:
    sset, _ = built
    doc = scorecard_document(sset)
    assert sset.partner_data == "synthetic"
    assert set(PARTNER) <= set(sset.preview)
    assert not set(PARTNER) & set(sset.scored)
    for c in doc["clusters"]:
        for m in c["metrics"]:
            assert not (m["is_synthetic"] and m["scored"]), (c["id"], m["id"])
            if m["is_synthetic"]:
                assert m["preview"] and m["data_kind"] == "synthetic demo data"
                assert m["rank_among"] is None
    assert any("licensed data preview" in n for n in doc["notes"])


def test_synthetic_values_cannot_move_a_score_rank_star_or_band(inputs: Inputs) -> None:
    """Scramble every synthetic partner value: nothing scored, ranked, starred or banded changes."""
    a = build_scorecards("unused", make_bundle(), None, 5, draws=100, replicates=3, inputs=inputs)
    rng = np.random.default_rng(0)
    obs = dict(inputs.obs)
    for m, df in obs.items():
        if df["is_synthetic"].any():
            obs[m] = df.assign(value=rng.permutation(df["value"].to_numpy()) * 7.0)
    scrambled = Inputs(**{**inputs.__dict__, "obs": obs, "memo": {}})
    b = build_scorecards("unused", make_bundle(), None, 5, draws=100, replicates=3, inputs=scrambled)
    assert a.metrics["fdi_projects_3y"].values.sum() != b.metrics["fdi_projects_3y"].values.sum()
    pd.testing.assert_series_equal(a.score, b.score)
    pd.testing.assert_series_equal(a.rank, b.rank)
    np.testing.assert_array_equal(a.mc.ranks, b.mc.ranks)
    assert {c: s.as_dict() for c, s in a.stars.items()} == {c: s.as_dict() for c, s in b.stars.items()}


def test_licensed_partner_exports_score_and_say_partner_data(built_licensed) -> None:
    sset = built_licensed
    doc = scorecard_document(sset)
    assert sset.partner_data == "licensed" and not sset.preview
    assert set(PARTNER) <= set(sset.scored)
    row = next(m for m in doc["clusters"][0]["metrics"] if m["id"] == "fdi_projects_3y")
    assert row["scored"] and not row["is_synthetic"] and row["data_kind"] == "partner data"
    assert row["provenance"].startswith("Partner data (licensed export: partner_fdi_projects)")
    assert any("licensed partner exports" in n for n in doc["notes"])


def test_no_evidence_area_scores_every_cluster_alike(built) -> None:
    sset, _ = built
    spread = sset.area_scores.max() - sset.area_scores.min()
    assert (spread > 0.02).all(), spread
    assert "innovation" in sset.area_scores.columns
    # the innovation area is scored from industry-level evidence, regional R&D is context only
    assert "rd_intensive_share" in sset.scored
    assert sset.excluded["berd_intensity"].code == "context"


def test_a_flat_area_is_named_and_dropped() -> None:
    a = np.array([[0.5, 0.1], [0.5, 0.9], [0.505, 0.4]])
    assert flat_areas(a, ["innovation", "trends"]) == {"innovation": 0.0050000000000000044}
    assert flat_areas(a, ["innovation", "trends"], min_spread=0.001) == {}


def test_rd_intensive_share_by_hand(built) -> None:
    """Automotive's basket is 29, 22110, 30910, 30400: all but tyres (22.11) are Eurostat R&D-intensive."""
    sset, _ = built
    cc = sset.context.base.cluster_code_emp
    auto = cc[(cc["cid"] == "automotive") & cc["geography"].isin(sset.context.base.midlands)]
    rd = auto[auto["code"] != "22110"]["value"].sum()
    expected = rd / auto["value"].sum() * 100
    assert sset.metrics["rd_intensive_share"].values["automotive"] == np.float64(expected)
    assert sset.metrics["rd_intensive_share"].values["health-care"] == 0.0  # 86-88: not R&D-intensive
