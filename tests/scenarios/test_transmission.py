"""Transmission estimates on synthetic data with known truths: intervals cover the truth, a link with no
signal is flagged, pooling shrinks toward the prior as far as the data allow, units are converted or the
link refused, and the table keeps its contract."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scen_data import DEU, EXPOSURE, FRA, NOISE, PASS_THROUGH, POS, UKF, WLD, P, _panel, rates, transmission
from scipy import stats

from forecasting.training.transmission import (
    TRANSMISSION_COLUMNS,
    estimate_transmission,
    level_units,
    log_units,
    ols_slope,
    pool_toward_prior,
    transmission_metrics,
)


def _used(tab: pd.DataFrame) -> pd.DataFrame:
    return tab[tab["used"] & (tab["form"] != "exposure")].set_index("target_id")


def _edge(tab: pd.DataFrame, child: str, parent: str) -> pd.Series:
    row = tab[(tab["target_id"] == child) & (tab["driver_id"] == parent)]
    assert len(row) == 1, (child, parent)
    return row.iloc[0]


def test_table_contract(bundle) -> None:
    tab = bundle.transmission
    assert list(tab.columns) == list(TRANSMISSION_COLUMNS)
    est = tab[tab["model"] != "refused"]
    assert np.isfinite(est["coefficient"]).all() and (est["se"] >= 0).all()
    assert (est["ci_lo"] <= est["coefficient"] + 1e-12).all() and (
        est["coefficient"] <= est["ci_hi"] + 1e-12
    ).all()
    # identified <=> the 95% interval excludes zero (identities by construction)
    excl = (est["ci_lo"] > 0) | (est["ci_hi"] < 0)
    assert (est["identified"] == (excl | (est["se"] == 0))).all()
    cross = _used(tab)
    assert cross.index.is_unique  # one applied link per target outside the trees


def test_pass_through_intervals_cover_the_truth(bundle) -> None:
    used = _used(bundle.transmission)
    for sid, b in PASS_THROUGH.items():
        row = used.loc[sid]
        assert row["form"] == "level" and row["driver_id"] == WLD and row["identified"]
        assert row["ci_lo"] <= b <= row["ci_hi"], (sid, row["ci_lo"], row["ci_hi"])
        assert "pooled across 3 economies" in row["pooled"] and "GBP" in row["note"]


def test_stock_flow_is_an_identity_with_a_check_and_a_conversion(bundle) -> None:
    row = _used(bundle.transmission).loc[POS.format("UK")]
    assert row["form"] == "stock_flow" and row["driver_id"] == UKF
    assert row["coefficient"] == 1.0 and row["identified"]
    assert "US$ -> GBP" in row["conversion"] and "check: change in position on the flow" in row["note"]


def test_exposures_cover_the_true_shares_and_add_up(bundle) -> None:
    tab = bundle.transmission
    kids = [POS.format(g) for g in ("TLF", "TLG", "UK-UNALLOC")]
    rows = [_edge(tab, k, POS.format("UK")) for k in kids]
    assert all(r["form"] == "exposure" for r in rows)
    assert sum(r["coefficient"] for r in rows) == pytest.approx(1.0)
    for g, s in EXPOSURE.items():
        r = _edge(tab, POS.format(g), POS.format("UK"))
        assert r["ci_lo"] <= s <= r["ci_hi"], (g, r["ci_lo"], r["ci_hi"])
    # East and West Midlands are exposed differently, and MID is shared between them by its own exposures
    assert (
        _edge(tab, POS.format("TLF"), POS.format("UK"))["coefficient"]
        < _edge(tab, POS.format("TLG"), POS.format("UK"))["coefficient"]
    )
    mid = [_edge(tab, POS.format(g), POS.format("MID"))["coefficient"] for g in ("TLF", "TLG")]
    assert sum(mid) == pytest.approx(1.0)


def test_link_with_no_signal_is_flagged(bundle) -> None:
    row = _used(bundle.transmission).loc[NOISE]
    assert row["form"] == "log" and not row["identified"]
    assert row["ci_lo"] < 0 < row["ci_hi"]
    assert "held at baseline" in row["note"]


def test_known_elasticity_recovered(bundle) -> None:
    row = _used(bundle.transmission).loc[P.format("MID")]
    assert row["driver_id"] == WLD and row["model"] == "logdiff_ols" and row["identified"]
    assert row["ci_lo"] <= 0.8 <= row["ci_hi"]


def test_interval_coverage_in_repeated_samples() -> None:
    """95% intervals of the log-difference estimator cover a known elasticity in ~95% of samples."""
    hits = 0
    n_rep = 80
    for seed in range(n_rep):
        rng = np.random.default_rng(seed)
        years = np.arange(2000, 2020)
        lw = np.cumsum(rng.normal(0.03, 0.15, len(years)))
        ly = 0.6 * lw + rng.normal(0, 0.08, len(years)).cumsum() * 0.3
        panel = pd.DataFrame(
            {
                "series_id": [WLD] * len(years) + [P.format("MID")] * len(years),
                "frequency": "A",
                "period": list(pd.to_datetime([f"{y}-01-01" for y in years])) * 2,
                "value": np.r_[np.exp(lw) * 1e12, 50 * np.exp(ly)],
            }
        )
        row = estimate_transmission(
            panel,
            None,
            [WLD],
            [P.format("MID")],
            seed=1,
            hierarchy=pd.DataFrame(columns=["parent_id", "child_id"]),
        )
        row = row[row["used"]].iloc[0]
        hits += row["ci_lo"] <= 0.6 <= row["ci_hi"]
    assert 0.85 <= hits / n_rep <= 1.0


def test_pooling_shrinks_as_far_as_the_data_allow() -> None:
    prior = np.array([0.1, 0.2, 0.3, 0.4])
    noisy = pool_toward_prior(np.array([0.5, 0.0, 0.9, 0.1]), np.full(4, 10.0), prior)
    assert np.allclose(noisy.estimate, prior, rtol=1e-3)  # no information: the prior
    sharp = pool_toward_prior(np.array([0.15, 0.1, 0.45, 0.2]), np.full(4, 1e-5), prior)
    assert np.allclose(sharp.estimate, [0.15, 0.1, 0.45, 0.2], rtol=1e-3)  # precise: the data
    assert np.all(sharp.se <= 1e-5 + 1e-12) and sharp.tau > 0.1
    # an uncertain prior loosens the shrinkage (two estimates: tau is assumed, not estimated)
    b2, p2 = np.array([0.5, 0.0]), np.array([0.1, 0.2])
    loose = pool_toward_prior(b2, np.full(2, 0.1), p2, prior_se=np.full(2, 0.5))
    tight = pool_toward_prior(b2, np.full(2, 0.1), p2)
    assert np.all(np.abs(loose.estimate - p2) > np.abs(tight.estimate - p2))
    assert np.all(loose.se > tight.se)


def test_hac_se_is_larger_for_autocorrelated_errors() -> None:
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.normal(size=60))
    e = np.zeros(60)
    for t in range(1, 60):
        e[t] = 0.8 * e[t - 1] + rng.normal()
    y = 2 + 0.5 * x + e
    plain, hac = ols_slope(y, x), ols_slope(y, x, hac_lags=4)
    assert plain is not None and hac is not None and plain[0] == pytest.approx(hac[0])
    assert hac[1] > plain[1]


def test_units_are_converted_or_refused() -> None:
    flow, pos = UKF, POS.format("UK")
    u = level_units(pos, flow, rates())
    assert u.ok and u.to_gbp and u.scale == pytest.approx(1e-6) and "US$ -> GBP" in u.text
    refused = level_units(pos, flow, None)
    assert not refused.ok and "no US$/GBP rates" in refused.text
    count = level_units(P.format("MID"), pos, rates())
    assert not count.ok and count.text.startswith("refused")
    assert log_units(P.format("MID"), WLD, None).ok  # an elasticity of counts is unit-free
    real_vs_nominal = log_units("business_investment_cvm_sa.UK.all.Q", "gdp_cp.UK.all.A", rates())
    assert not real_vs_nominal.ok and "inflation" in real_vs_nominal.text


def test_outward_stock_is_not_driven_by_inward_flows() -> None:
    panel = _panel()
    out = panel[panel["series_id"] == POS.format("UK")].assign(
        series_id="fdi_outward_position.UK.all.A", measure="fdi_outward_position"
    )
    tab = estimate_transmission(
        pd.concat([panel, out]), None, [WLD, UKF], ["fdi_outward_position.UK.all.A"], seed=1, rates=rates()
    )
    assert (tab["model"] == "refused").all() and not tab["used"].any()
    assert tab["note"].str.contains("outward FDI").all()


def test_without_rates_the_stock_flow_link_is_refused() -> None:
    tab = transmission(_panel(), with_rates=False)
    row = tab[tab["target_id"] == POS.format("UK")].iloc[0]
    assert row["model"] == "refused" and not row["used"] and "rates" in row["note"]


def test_drivers_only_explained_by_earlier_drivers() -> None:
    panel = _panel()
    tab = estimate_transmission(panel, None, [UKF, WLD], [UKF, WLD, P.format("MID")], seed=1)
    pairs = set(zip(tab["target_id"], tab["driver_id"], strict=True))
    assert UKF not in set(tab["target_id"])  # first driver: nothing upstream (World is later)
    assert not any((d, t) in pairs for t, d in pairs)


def test_metrics_are_flat_floats(bundle) -> None:
    m = transmission_metrics(bundle.transmission)
    assert m["transmission.n_used"] == float(bundle.transmission["used"].sum())
    assert m["transmission.n_not_identified"] >= 1
    assert all(isinstance(v, float) and math.isfinite(v) for v in m.values())
    assert any(k.endswith("/coefficient") for k in m) and any(k.endswith("/se") for k in m)
    assert (
        transmission_metrics(pd.DataFrame(columns=list(TRANSMISSION_COLUMNS)))["transmission.n_links"] == 0.0
    )


def test_other_economies_pooled_toward_their_shares(bundle) -> None:
    used = _used(bundle.transmission)
    for sid in (FRA, DEU):
        assert used.loc[sid, "model"] == "pooled_levels_hac"
    # the t interval is not needed here: pooled estimates use the normal posterior
    z = stats.norm.ppf(0.975)
    row = used.loc[UKF]
    assert row["ci_hi"] - row["coefficient"] == pytest.approx(z * row["se"], rel=1e-6)
