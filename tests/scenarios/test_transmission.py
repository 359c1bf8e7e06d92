"""Transmission estimates on synthetic data with known truths: intervals cover the truth, a link with no
signal is a precise zero, a spurious relation on a handful of points is shrunk toward zero, pooling shrinks toward the prior as far as the data allow, units are converted or the
link refused, and the table keeps its contract."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scen_data import DEU, EXPOSURE, FRA, NOISE, PASS_THROUGH, POS, UKF, WLD, P, _panel, rates, transmission
from scipy import stats

from forecasting.statistics import ols_slope, pool_toward_prior
from forecasting.training.transmission import (
    TRANSMISSION_COLUMNS,
    estimate_transmission,
    level_units,
    log_units,
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
    # no significance flag: every estimate carries its weight on its own data instead
    assert "identified" not in tab.columns
    assert ((est["weight"] >= 0) & (est["weight"] <= 1)).all() and est["own_se"].notna().all()
    cross = _used(tab)
    assert cross.index.is_unique  # one applied link per target outside the trees


def test_pass_through_intervals_cover_the_truth(bundle) -> None:
    used = _used(bundle.transmission)
    for sid, b in PASS_THROUGH.items():
        row = used.loc[sid]
        assert row["form"] == "level" and row["driver_id"] == WLD and 0 < row["weight"] <= 1
        assert row["ci_lo"] <= b <= row["ci_hi"], (sid, row["ci_lo"], row["ci_hi"])
        assert "pooled across 3 economies" in row["pooled"] and "GBP" in row["note"]


def test_stock_flow_is_an_identity_with_a_check_and_a_conversion(bundle) -> None:
    row = _used(bundle.transmission).loc[POS.format("UK")]
    assert row["form"] == "stock_flow" and row["driver_id"] == UKF
    assert row["coefficient"] == 1.0 and row["se"] > 0  # the identity, with the se of its data check
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


def test_link_with_no_signal_is_a_precise_zero(bundle) -> None:
    row = _used(bundle.transmission).loc[NOISE]
    assert row["form"] == "log" and abs(row["coefficient"]) < 0.05
    assert row["ci_lo"] < 0 < row["ci_hi"]
    assert "own estimate" in row["note"] and "weight on its own estimate" in row["pooled"]


def test_known_elasticity_recovered(bundle) -> None:
    row = _used(bundle.transmission).loc[P.format("MID")]
    assert row["driver_id"] == WLD and row["model"].startswith("logdiff_ols") and row["weight"] > 0.8
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
        pd.concat([panel, out]), None, [WLD, UKF], ["fdi_outward_position.UK.all.A"], rates=rates()
    )
    assert (tab["model"] == "refused").all() and not tab["used"].any()
    assert tab["note"].str.contains("outward FDI").all()


def test_without_rates_the_stock_flow_link_is_refused() -> None:
    tab = transmission(_panel(), with_rates=False)
    row = tab[tab["target_id"] == POS.format("UK")].iloc[0]
    assert row["model"] == "refused" and not row["used"] and "rates" in row["note"]


def test_drivers_only_explained_by_earlier_drivers() -> None:
    panel = _panel()
    tab = estimate_transmission(panel, None, [UKF, WLD], [UKF, WLD, P.format("MID")])
    pairs = set(zip(tab["target_id"], tab["driver_id"], strict=True))
    assert UKF not in set(tab["target_id"])  # first driver: nothing upstream (World is later)
    assert not any((d, t) in pairs for t, d in pairs)


def test_metrics_are_flat_floats(bundle) -> None:
    m = transmission_metrics(bundle.transmission)
    assert m["transmission.n_used"] == float(bundle.transmission["used"].sum())
    assert 0 <= m["transmission.median_weight"] <= 1 and "transmission.n_identified" not in m
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


def _employment_panel(n_years: int, planted: float, n_areas: int = 12, seed: int = 3) -> pd.DataFrame:
    """Employment in areas of one cluster, unrelated to GDP, except one area planted with ``planted``."""
    rng = np.random.default_rng(seed)
    years = np.arange(2024 - n_years, 2025)
    gdp = np.exp(np.cumsum(rng.normal(0.03, 0.03, len(years))))
    rows = [("gdp_cp.UK.all.A", y, v) for y, v in zip(years, 2e6 * gdp, strict=True)]
    for i in range(n_areas):
        noise = rng.normal(0, 0.05, len(years)).cumsum()
        e = 1000 * np.exp(noise + (planted * np.log(gdp) if i == 0 else 0))
        rows += [
            (f"bres_employment.E0600000{i:02d}.automotive.A", y, v) for y, v in zip(years, e, strict=True)
        ]
    df = pd.DataFrame(rows, columns=["series_id", "year", "value"])
    df["frequency"] = "A"
    df["period"] = pd.to_datetime(df["year"].astype(str) + "-01-01")
    return df.drop(columns="year")


def test_a_spurious_relation_on_six_points_is_shrunk_toward_zero() -> None:
    panel = _employment_panel(6, planted=0.0)
    targets = sorted(set(panel["series_id"]) - {"gdp_cp.UK.all.A"})
    # plant a spurious relation: on 6 noisy points area 0 seems to move 8 times GDP (n = 6 levels)
    g = panel[panel["series_id"] == "gdp_cp.UK.all.A"]["value"].to_numpy()
    m = panel["series_id"] == targets[0]
    noise = np.random.default_rng(1).normal(0, 0.15, m.sum()).cumsum()
    panel.loc[m, "value"] = 1000 * (g / g[0]) ** 8 * np.exp(noise)
    tab = estimate_transmission(
        panel,
        None,
        ["gdp_cp.UK.all.A"],
        targets,
        hierarchy=pd.DataFrame(columns=["parent_id", "child_id"]),
    )
    row = tab[(tab["target_id"] == targets[0]) & tab["used"]].iloc[0]
    assert abs(row["own_coefficient"]) > 4  # its own estimate is large ...
    assert abs(row["coefficient"]) < 0.5 * abs(row["own_coefficient"])  # ... and shrunk toward zero
    used = tab[tab["used"] & (tab["form"] == "log")]
    assert (used["elasticity"].abs() <= 3).all()
    assert row["weight"] < 0.2 and "too little evidence" in row["note"]


def test_a_relation_its_own_data_support_keeps_its_size() -> None:
    panel = _employment_panel(25, planted=0.0, n_areas=12)
    g = panel[panel["series_id"] == "gdp_cp.UK.all.A"]["value"].to_numpy()
    rng = np.random.default_rng(2)
    for i in range(12):
        m = panel["series_id"] == f"bres_employment.E0600000{i:02d}.automotive.A"
        panel.loc[m, "value"] = 1000 * (g / g[0]) ** 1.5 * np.exp(rng.normal(0, 0.005, m.sum()))
    targets = sorted(set(panel["series_id"]) - {"gdp_cp.UK.all.A"})
    tab = estimate_transmission(
        panel,
        None,
        ["gdp_cp.UK.all.A"],
        targets,
        hierarchy=pd.DataFrame(columns=["parent_id", "child_id"]),
    )
    used = tab[tab["used"] & (tab["form"] == "log")]
    assert np.allclose(used["coefficient"], 1.5, atol=0.15)  # above 3 would need its data too: 1.5 stays


def test_no_link_rests_on_synthetic_data() -> None:
    panel = _employment_panel(25, planted=1.0)
    targets = sorted(set(panel["series_id"]) - {"gdp_cp.UK.all.A"})
    catalogue = pd.DataFrame(
        {"series_id": targets, "is_synthetic": [t.endswith("00.automotive.A") for t in targets]}
    )
    tab = estimate_transmission(
        panel,
        catalogue,
        ["gdp_cp.UK.all.A"],
        targets,
        hierarchy=pd.DataFrame(columns=["parent_id", "child_id"]),
    )
    rows = tab[tab["target_id"] == targets[0]]
    assert len(rows) == 1 and rows.iloc[0]["model"] == "refused" and "synthetic" in rows.iloc[0]["note"]
    assert tab[tab["target_id"] == targets[1]]["used"].any()


UNCTAD_UK = "unctad_fdi_inward_flow_usd.UK.all.A"


def _with_unctad(unctad_noise: float, wdi_noise: float) -> pd.DataFrame:
    """The generated panel plus an UNCTAD-style UK inflow (US$ million): the flow that built the position,
    with ``unctad_noise``; the WDI-style flow gets ``wdi_noise`` (both as a multiple of the flows' sd)."""
    panel = _panel()
    rng = np.random.default_rng(3)
    uk = panel[panel["series_id"] == UKF].sort_values("period")
    sd = float(uk["value"].std())
    unctad = uk.assign(
        series_id=UNCTAD_UK,
        measure="unctad_fdi_inward_flow_usd",
        value=(uk["value"] + rng.normal(0, unctad_noise * sd, len(uk))) / 1e6,
    )
    noisy = panel["series_id"] == UKF
    panel.loc[noisy, "value"] = panel.loc[noisy, "value"] + rng.normal(0, wdi_noise * sd, noisy.sum())
    return pd.concat([panel, unctad], ignore_index=True)


def _position_links(panel: pd.DataFrame) -> pd.DataFrame:
    tab = estimate_transmission(
        panel, None, [WLD, UKF], [POS.format("UK"), UNCTAD_UK], rates=rates(), min_obs=5
    )
    return tab


def test_the_flow_basis_that_fits_the_position_better_drives_it() -> None:
    tab = _position_links(_with_unctad(unctad_noise=0.0, wdi_noise=2.0))
    pos = tab[tab["target_id"] == POS.format("UK")]
    used = pos[pos["used"]].iloc[0]
    assert used["form"] == "stock_flow" and used["driver_id"] == UNCTAD_UK
    assert "UNCTAD inward flows (directional basis), chosen" in used["note"]
    loser = pos[~pos["used"]].iloc[0]
    assert loser["driver_id"] == UKF and loser["note"].startswith("not used: WDI")
    # World reaches the chosen flow by a pass-through in its own unit (US$ million per US$ of World)
    pt = tab[(tab["target_id"] == UNCTAD_UK) & tab["used"]].iloc[0]
    assert pt["form"] == "level" and pt["driver_id"] == WLD
    assert pt["ci_lo"] <= PASS_THROUGH[UKF] <= pt["ci_hi"] and "USD million" in pt["conversion"]


def test_wdi_stays_when_it_fits_better() -> None:
    tab = _position_links(_with_unctad(unctad_noise=2.0, wdi_noise=0.0))
    used = tab[(tab["target_id"] == POS.format("UK")) & tab["used"]].iloc[0]
    assert used["driver_id"] == UKF and "WDI net inflows" in used["note"] and "chosen" in used["note"]
    pt = (tab["target_id"] == UNCTAD_UK) & (tab["driver_id"] == WLD) & (tab["form"] == "level")
    assert not pt.any()  # no pass-through into a flow no position uses
