"""The scenario macro block: a small VAR for World FDI, UK FDI flows, UK business investment and GDP.

Why a VAR and not more bivariate links: business investment and GDP respond to FDI through shared
dynamics, and a scenario that sets World FDI (or business investment) should move the others *as the
data say they move together*, with the uncertainty of that. Estimated once at training time (statsmodels
``VAR``), stored in the bundle metadata as plain lists (``MacroBlock``), and conditioned on a scenario's
driver paths at projection time (``forecasting.scenarios.macro``, Gaussian conditioning on the
innovations of the scenario's own years).

Variables (annual, all money in GBP: US$ flows converted with the published US$/GBP rates):

* ``world_fdi`` -- 100 x log change of World FDI net inflows (GBP)
* ``uk_fdi`` -- UK FDI net inflows as % of nominal GDP (flows can be negative, so not in logs)
* ``uk_bi`` -- 100 x log change of business investment (chained volume, quarters summed to years)
* ``uk_gdp`` -- 100 x log change of nominal GDP (QNA quarters summed, else the regional accounts' UK)

Why crisis-year dummies (2009, 2020 by default, ``[scenarios] shock_years``): in those years everything
fell together for reasons that were not FDI (the financial crisis, the pandemic); without dummies a
World FDI scenario would "move" GDP through those two observations alone. The channel rows give, for
business investment and GDP, the level response to a surprise in each conditioning variable (generalised
impulse response with posterior draws) with its se. Projections use every channel of business
investment's conditional forecast, each shrunk by its evidence (``forecasting.scenarios.macro``); GDP moves
through business investment's share of expenditure, not through the VAR's GDP equation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.registry.schema import MacroBlock, MacroLink, MacroVariable, RateInfo
from forecasting.training.drivers import WORLD_FLOWS, annual
from forecasting.units import RateTable, usd_to_gbp

UK_FLOWS = "fdi_net_inflows_usd.UK.all.A"
BUSINESS_INVESTMENT = "business_investment_cvm_sa.UK.all.Q"
# Nominal GDP: estimation prefers the longest complete source; every one present is moved.
GDP_SERIES = ("uk_gdp_cp_sa.UK.all.Q", "gdp_cp.UK.all.A", "uk_gdp_cp_annual.UK.all.A")
DEFAULT_SHOCK_YEARS = (2009, 2020)
MIN_YEARS = 15
# Domestic variables whose responses the block projects; the FDI flows come from their own links.
RESPONDERS = ("uk_bi", "uk_gdp")


# What the US$/GBP conversion needs (units.RateTable): FRED and WDI rates and the GDP deflator.
RATE_MEASURES = (
    "usd_per_gbp",
    "exchange_rate_lcu_per_usd",
    "gdp_deflator",
    "gdp_deflator_annual",
    "gdp_deflator_growth",
)


def rate_table(
    panel: pd.DataFrame, warehouse: str | Path | None, as_of: str | None
) -> tuple[RateTable | None, str]:
    """The published US$/GBP rates for a training run: from the panel when it carries them, else read
    from the run's warehouse at the same vintage; (None, why) when they cannot be had."""
    from forecasting.units import UnitError

    rows = panel[panel["measure"].isin(RATE_MEASURES)] if "measure" in panel.columns else panel.iloc[:0]
    if rows.empty and warehouse is not None and Path(warehouse).is_file():
        from forecasting.warehouse.snapshot import open_snapshot

        with open_snapshot(Path(warehouse), as_of) as wh:
            rows = wh.panel(measures=list(RATE_MEASURES))
    if rows.empty:
        return None, "no US$/GBP rates in the panel or the warehouse"
    try:
        return RateTable.from_panel(rows), ""
    except UnitError as exc:
        return None, f"US$/GBP rates unusable: {exc}"


@dataclass(frozen=True)
class MacroOutcome:
    block: MacroBlock | None
    rows: list[dict[str, object]]
    reason: str


def _annual(panel: pd.DataFrame, sid: str) -> pd.Series | None:
    rows = panel[panel["series_id"] == sid]
    if rows.empty:
        return None
    a = annual(rows).drop_duplicates("year", keep="last").set_index("year")["value"].astype(float)
    return a.sort_index()


def _gbp(values: pd.Series, rates: RateTable) -> pd.Series:
    have = set(pd.DatetimeIndex(rates.usd_per_gbp("A").index).year)
    v = values[[y in have for y in values.index]]
    periods = [pd.Timestamp(int(y), 1, 1) for y in v.index]
    return pd.Series(np.asarray(usd_to_gbp(v.to_numpy(), periods, rates.usd_per_gbp("A"))), index=v.index)


def rate_info(rates: RateTable, years: int = 30) -> RateInfo:
    """Annual mean US$ per GBP and the sd of its annual log changes over the last ``years`` years."""
    r = rates.usd_per_gbp("A").dropna().sort_index()
    src = rates.annual_source.reindex(r.index).fillna("")
    sd = float(np.diff(np.log(r.to_numpy()[-(years + 1) :])).std(ddof=1)) if len(r) > 3 else 0.0
    return RateInfo(
        years=[int(y) for y in pd.DatetimeIndex(r.index).year],
        usd_per_gbp=[float(v) for v in r.to_numpy()],
        source=[str(s) for s in src.to_numpy()],
        sd_log_change=sd,
    )


def macro_panel(
    panel: pd.DataFrame, rates: RateTable | None, modelled: set[str]
) -> tuple[pd.DataFrame, list[MacroVariable], list[str]]:
    """Transformed annual variables (years x variables), their specs and notes on what was left out."""
    notes: list[str] = []
    levels: dict[str, pd.Series] = {}
    world, uk = _annual(panel, WORLD_FLOWS), _annual(panel, UK_FLOWS)
    if rates is None:
        notes.append("no US$/GBP rates: FDI flows kept in US$ (GDP shares left out)")
    if world is not None:
        levels["world_fdi"] = _gbp(world, rates) if rates is not None else world
    gdp_sid = next((s for s in GDP_SERIES if _annual(panel, s) is not None), None)
    gdp = _annual(panel, gdp_sid) if gdp_sid else None
    bi = _annual(panel, BUSINESS_INVESTMENT)
    out = pd.DataFrame()
    specs: list[MacroVariable] = []
    if "world_fdi" in levels and (levels["world_fdi"] > 0).all():
        out["world_fdi"] = 100 * np.log(levels["world_fdi"]).diff()
        specs.append(
            MacroVariable(
                name="world_fdi",
                series_ids=[WORLD_FLOWS],
                transform="dlog",
                unit="% change (GBP)",
                description="World FDI net inflows (WDI), converted to GBP",
            )
        )
    if uk is not None and gdp is not None and rates is not None:
        share = 100 * _gbp(uk, rates) / (gdp * 1e6)  # US$ (scale 1) -> GBP vs GDP in GBP million
        out = out.join(share.rename("uk_fdi"), how="outer") if len(out) else share.rename("uk_fdi").to_frame()
        specs.append(
            MacroVariable(
                name="uk_fdi",
                series_ids=[UK_FLOWS],
                transform="share_of_gdp",
                unit="% of GDP",
                description="UK FDI net inflows (WDI, GBP) as a share of nominal GDP",
            )
        )
    if bi is not None and (bi > 0).all():
        out = out.join((100 * np.log(bi).diff()).rename("uk_bi"), how="outer")
        specs.append(
            MacroVariable(
                name="uk_bi",
                series_ids=[BUSINESS_INVESTMENT],
                transform="dlog",
                unit="% change",
                description="UK business investment, chained volume (quarters summed)",
            )
        )
    if gdp is not None and (gdp > 0).all():
        out = out.join((100 * np.log(gdp).diff()).rename("uk_gdp"), how="outer")
        specs.append(
            MacroVariable(
                name="uk_gdp",
                series_ids=[s for s in GDP_SERIES if s in modelled] or [str(gdp_sid)],
                transform="dlog",
                unit="% change",
                description=f"UK nominal GDP (estimated on {gdp_sid})",
            )
        )
    names = [v.name for v in specs]
    out = out.reindex(columns=names).dropna()
    years = out.index.to_numpy()
    if len(years):  # the last run of consecutive years
        breaks = np.flatnonzero(np.diff(years) != 1)
        if len(breaks):
            out = out.loc[years[breaks[-1] + 1] :]
    return out, specs, notes


def estimate_macro(
    panel: pd.DataFrame,
    rates: RateTable | None,
    modelled: set[str],
    *,
    shock_years: tuple[int, ...] = DEFAULT_SHOCK_YEARS,
    lags: int = 1,
    seed: int = 0,
) -> MacroOutcome:
    """Fit the VAR and its identification rows; ``block`` is None (with the reason) when it cannot be."""
    from statsmodels.tsa.api import VAR

    y, specs, notes = macro_panel(panel, rates, modelled)
    names = list(y.columns)
    if "world_fdi" not in names or not any(n in names for n in RESPONDERS):
        return MacroOutcome(None, [], "macro block needs World FDI and business investment or GDP")
    if len(y) < MIN_YEARS + lags:
        return MacroOutcome(None, [], f"macro block needs {MIN_YEARS + lags} common years, has {len(y)}")
    years = [int(v) for v in y.index]
    dummies = [yr for yr in shock_years if yr in years[lags:]]
    exog = (
        pd.DataFrame({f"d{yr}": (y.index == yr).astype(float) for yr in dummies}, index=y.index)
        if dummies
        else None
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = VAR(y.to_numpy(), exog=None if exog is None else exog.to_numpy()).fit(lags, trend="c")
    k, p = len(names), lags
    coefs = np.asarray(res.coefs)  # p x k x k
    params = np.asarray(res.params)  # rows: const, exog..., lag blocks (statsmodels order)
    n_exog = len(dummies)
    intercept = params[0]
    exog_coefs = params[1 : 1 + n_exog].T if n_exog else np.zeros((k, 0))
    resid = np.asarray(res.resid)
    t_eff = resid.shape[0]
    # stacked regressors in our documented order: [1, y_{t-1} .. y_{t-p}, d_t]
    yv = y.to_numpy()
    rows = []
    for t in range(p, len(yv)):
        lagged = np.concatenate([yv[t - j] for j in range(1, p + 1)])
        d = exog.to_numpy()[t] if exog is not None else np.zeros(0)
        rows.append(np.concatenate([[1.0], lagged, d]))
    x = np.asarray(rows)
    m = x.shape[1]
    dof = t_eff - m
    if dof < 3:
        return MacroOutcome(None, [], f"macro block: {t_eff} years leave {dof} degrees of freedom")
    xtx_inv = np.linalg.inv(x.T @ x)
    cross = resid.T @ resid
    sigma = cross / dof
    b_hat = np.vstack([intercept[None, :], *[coefs[j].T for j in range(p)], exog_coefs.T])
    parts = {"coefs": coefs, "sigma": sigma, "b_hat": b_hat, "xtx_inv": xtx_inv, "cross": cross, "dof": dof}
    links, rows_out = _identification(parts, names, specs, modelled, years[p:], dummies, seed)
    notes = notes + [
        f"VAR({p}) on {years[p]}-{years[-1]} ({t_eff} years), constant"
        + (f", dummies for {', '.join(map(str, dummies))} (shared shocks)" if dummies else "")
    ]
    block = MacroBlock(
        variables=specs,
        lags=p,
        years=years[p:],
        intercept=[float(v) for v in intercept],
        coefs=coefs.tolist(),
        exog_names=[f"d{yr}" for yr in dummies],
        exog_coefs=exog_coefs.tolist(),
        sigma=sigma.tolist(),
        resid_cross=cross.tolist(),
        xtx_inv=xtx_inv.tolist(),
        dof=int(dof),
        last_year=years[-1],
        links=links,
        notes=notes,
    )
    return MacroOutcome(block, rows_out, "")


def _posterior_draws(
    b_hat: np.ndarray, xtx_inv: np.ndarray, cross: np.ndarray, dof: int, k: int, p: int, n: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Flat-prior posterior draws of (A_1..A_p, sigma): sigma ~ IW(resid'resid, dof + k + 1), B | sigma
    matrix normal around the OLS estimate; explosive draws are re-drawn."""
    rng = np.random.default_rng([seed, 0x6D6163])
    chol_x = np.linalg.cholesky(xtx_inv)
    coefs, sigmas = [], []
    tries = 0
    while len(coefs) < n and tries < 20 * n:
        tries += 1
        s = np.atleast_2d(stats.invwishart.rvs(df=dof + k + 1, scale=cross, random_state=rng))
        b = b_hat + chol_x @ rng.standard_normal(b_hat.shape) @ np.linalg.cholesky(s).T
        a = np.stack([b[1 + j * k : 1 + (j + 1) * k].T for j in range(p)])
        comp = np.zeros((k * p, k * p))
        comp[:k] = np.hstack(list(a))
        if p > 1:
            comp[k:, :-k] = np.eye(k * (p - 1))
        if np.max(np.abs(np.linalg.eigvals(comp))) < 1:
            coefs.append(a)
            sigmas.append(s)
    return np.asarray(coefs), np.asarray(sigmas)


def _girf(coefs: np.ndarray, sigma: np.ndarray, cond: int, horizon: int) -> np.ndarray:
    """Generalised impulse responses to a unit innovation in ``cond``: (horizon, k) per draw batch."""
    p, k = coefs.shape[-3], coefs.shape[-1]
    psi = [np.broadcast_to(np.eye(k), coefs.shape[:-3] + (k, k))]
    for h in range(1, horizon):
        acc = np.zeros(coefs.shape[:-3] + (k, k))
        for j in range(1, min(p, h) + 1):
            acc = acc + psi[h - j] @ coefs[..., j - 1, :, :]
        psi.append(acc)
    impulse = sigma[..., :, cond] / sigma[..., cond, cond][..., None]
    return np.stack([(ps @ impulse[..., :, None])[..., 0] for ps in psi], axis=-2)


def _identification(
    block_parts: dict[str, np.ndarray],
    names: list[str],
    specs: list[MacroVariable],
    modelled: set[str],
    years: list[int],
    dummies: list[int],
    seed: int,
    horizon: int = 3,
    n_draws: int = 1000,
) -> tuple[list[MacroLink], list[dict[str, object]]]:
    """For each responder and conditioning variable: the level response to a one-unit surprise in the
    condition (generalised impulse response, cumulated for growth variables) over ``horizon`` years,
    with posterior draws. Reported at the year where it is most precisely estimated (largest |t|);
    identified when that year's 95% interval excludes zero. Projections use only the identified channels
    (response variable <- conditioning variable) of a scenario's conditional forecast."""
    spec = {v.name: v for v in specs}
    k, p = len(names), block_parts["coefs"].shape[0]
    coefs, sigmas = _posterior_draws(
        block_parts["b_hat"],
        block_parts["xtx_inv"],
        block_parts["cross"],
        block_parts["dof"],
        k,
        p,
        n_draws,
        seed,
    )
    links: list[MacroLink] = []
    rows: list[dict[str, object]] = []
    for target in RESPONDERS:
        if target not in names:
            continue
        ti = names.index(target)
        for cond in names:
            if cond == target:
                continue
            ci = names.index(cond)
            point = _girf(block_parts["coefs"], block_parts["sigma"], ci, horizon)[:, ti]
            draws = _girf(coefs, sigmas, ci, horizon)[..., ti]  # (n, horizon)
            if spec[target].transform == "dlog":
                point, draws = np.cumsum(point), np.cumsum(draws, axis=-1)
            se = draws.std(axis=0, ddof=1)
            lo, hi = np.quantile(draws, [0.025, 0.975], axis=0)
            t = np.abs(point) / np.where(se > 0, se, np.inf)
            h = int(np.argmax(t))
            ident = bool(lo[h] > 0 or hi[h] < 0)
            links.append(
                MacroLink(
                    target=target,
                    condition=cond,
                    coefficient=float(point[h]),
                    se=float(se[h]),
                    ci_lo=float(lo[h]),
                    ci_hi=float(hi[h]),
                    identified=ident,
                    n_obs=len(years),
                    year=h + 1,
                )
            )
            note = (
                f"macro block VAR: level response of {target} ({spec[target].unit}, cumulated) in year {h + 1} "
                f"to a one-unit surprise in {cond} ({spec[cond].unit}), generalised impulse response, "
                f"{len(coefs)} posterior draws, sample {years[0]}-{years[-1]}"
                + (f" with {', '.join(map(str, dummies))} dummied out" if dummies else "")
                + "; scenarios use every channel, each weighted by its evidence (tau^2 / (tau^2 + se^2) across "
                "the block's channels in standard-deviation units), none dropped by a test"
            )
            for sid in spec[target].series_ids:
                if sid not in modelled or spec[cond].series_ids[0] not in modelled:
                    continue
                rows.append(
                    {
                        "target_id": sid,
                        "driver_id": spec[cond].series_ids[0],
                        "coefficient": float(point[h]),
                        "se": float(se[h]),
                        "ci_lo": float(lo[h]),
                        "ci_hi": float(hi[h]),
                        "model": "var_girf",
                        "n_obs": len(years),
                        "note": note,
                    }
                )
    return links, rows


__all__ = ["RATE_MEASURES", "MacroOutcome", "estimate_macro", "macro_panel", "rate_info", "rate_table"]
