"""Nowcasts that use what is published: an annual series whose own data end early, carried forward by a
timelier published indicator instead of its own history alone.

Why: regional/national nominal GDP and GVA (``gdp_cp``, ``gva_cp``) are published a year or more after the
national accounts' quarterly nominal GDP (ONS YBHA, ``uk_gdp_cp_sa``). Forecasting them from their own
trend missed the 2022-24 inflation (UK nominal GDP nowcast at +2% a year against +10%, +7%, +5%
published). The national accounts already held that inflation: nominal GDP is real growth times the
published GDP deflator.

The method, for a target ``T`` (annual) last observed in year ``L`` and an indicator ``I`` (quarterly or
annual) published at the vintage date:

1. ``I``'s calendar-year totals for complete years; for the current, incomplete year the year-to-date
   growth (its first k quarters against the same quarters a year before) gives its total;
2. years after that are forecast by the experiment's engine on ``I``'s annual totals (intervals calibrated
   from its own rolling-origin errors) and re-anchored on the year-to-date estimate;
3. ``T_Y = T_L x I_Y / I_L x exp(mean tracking drift x (Y - L))``: the target follows the indicator's
   growth; how closely it has (``d_t = dlog T_t - dlog I_t`` over the years both were published) sets a
   tracking error that accumulates with each year after ``L``;
4. the interval is lognormal in ``log T_Y`` with variance = the indicator's (0 for published years; the
   year-to-date error for the current year, from the indicator's own history; the engine's for later
   years) + ``(Y - L) x var(d)``.

Every row says which indicator (series, release, last period) it used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.errors import InvalidParameter, NotFound
from forecasting.training.config import ExperimentConfig
from forecasting.training.track_record import VintageTask, _engine_settings, train_vintage
from forecasting.vocabulary import parse_series_id, period_label, qcol

# Which published indicator carries a nominal annual measure forward (any geography: the national outturn
# carries regional and local-authority series, consistent with the UK total's growth).
NOMINAL_INDICATORS: dict[str, str] = {
    "gdp_cp": "uk_gdp_cp_sa.UK.all.Q",  # GDP at current market prices (YBHA): real growth x GDP deflator
    "gva_cp": "uk_gdp_cp_sa.UK.all.Q",  # GVA at basic prices moves with it (taxes on products aside)
}
# The volume and price index of an indicator, both published with it (QNA: ABMI real GDP, YBGB deflator).
PRICE_VOLUME: dict[str, tuple[str, str]] = {
    "uk_gdp_cp_sa.UK.all.Q": ("uk_gdp_cvm_sa.UK.all.Q", "gdp_deflator.UK.all.Q"),
}
REVISED_YEARS = 3  # the most recent complete years of an older release, compared with the newest one
MIN_OVERLAP = 5  # years both series were published, to estimate the tracking error
PER_YEAR = {"A": 1, "Q": 4, "M": 12}


@dataclass
class Nowcast:
    """One target's indicator-based nowcast/forecast as of a date."""

    series_id: str
    as_of: str
    last_observed: str
    indicator: str
    indicator_release: str
    indicator_last: str
    tracking_sd: float
    tracking_years: int
    revision_sd: float
    used: list[str]
    table: pd.DataFrame  # period (year label), period_start, kind, mean, q..., indicators
    notes: list[str] = field(default_factory=list)

    @property
    def indicators(self) -> str:
        extra = [u for u in self.used if u != self.indicator]
        return f"{self.indicator} (release {self.indicator_release}, to {self.indicator_last})" + (
            f"; forecast years: {' x '.join(extra)}" if extra else ""
        )


def annual_totals(values: pd.Series, frequency: str) -> pd.Series:
    """Calendar-year totals of complete years, indexed by year."""
    idx = pd.DatetimeIndex(values.index)
    g = values.groupby(idx.year)
    return g.sum()[g.count() == PER_YEAR[frequency]].astype(float)


def year_to_date(values: pd.Series, frequency: str) -> tuple[int, int, float, float] | None:
    """(year, periods in it, year-to-date growth factor, log error sd from history) of an incomplete year."""
    per = PER_YEAR[frequency]
    if per == 1:
        return None
    idx = pd.DatetimeIndex(values.index)
    last_year = int(idx.year.max())
    k = int((idx.year == last_year).sum())
    if k >= per:
        return None
    by = {y: values[idx.year == y].to_numpy(dtype=float) for y in sorted(set(idx.year))}
    if last_year - 1 not in by or len(by[last_year - 1]) < per:
        return None
    growth = by[last_year][:k].sum() / by[last_year - 1][:k].sum()
    errs = [
        np.log(by[y].sum() / by[y - 1].sum()) - np.log(by[y][:k].sum() / by[y - 1][:k].sum())
        for y in by
        if y - 1 in by and len(by[y]) == per and len(by[y - 1]) == per
    ]
    sd = float(np.std(errs, ddof=1)) if len(errs) >= 3 else float("nan")
    return last_year, k, float(growth), sd


def revision_sd(releases: pd.DataFrame, frequency: str) -> tuple[float, int]:
    """Root mean square log revision of an indicator's recent annual totals between its releases.

    ``releases``: period, value, release (only those published by the vintage date). For every older
    release, its last ``REVISED_YEARS`` complete years against the newest release: how much a year's
    level, once published, still moved. Published years are not known exactly; this is how inexactly.
    """
    rels = sorted(releases["release"].unique())
    if len(rels) < 2:
        return 0.0, 0

    def tot(r: str) -> pd.Series:
        v = (
            releases[releases["release"] == r]
            .drop_duplicates("period", keep="last")
            .set_index("period")["value"]
        )
        return annual_totals(v.sort_index().astype(float), frequency)

    newest = tot(rels[-1])
    d = []
    for r in rels[:-1]:
        old = tot(r)
        for y in old.index[-REVISED_YEARS:]:
            if y in newest.index:
                d.append(np.log(newest[y] / old[y]))
    if not d:
        return 0.0, 0
    return float(np.sqrt(np.mean(np.square(d)))), len(d)


@lru_cache(maxsize=256)
def _z(q: float) -> float:
    """The normal quantile, cached: a few dozen probabilities, asked for per series, year and quantile
    (scipy's ``ppf`` costs ~0.1 ms a call, which made the nowcasts cost seconds)."""
    return float(stats.norm.ppf(q))


def ar1_cumulative(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the sum of the next 1..k values of an AR(1) fitted to ``x`` by least squares.

    Inflation is persistent (a year of 10% is followed by more than the long-run 2-3%): an AR(1) on the
    published deflator's annual inflation carries that, where a trend in the price level would not.
    """
    y, lag = x[1:], x[:-1]
    A = np.column_stack([np.ones_like(lag), lag])
    (c, phi), *_ = np.linalg.lstsq(A, y, rcond=None)
    phi = float(np.clip(phi, -0.99, 0.99))
    resid = y - (c + phi * lag)
    s2 = float(np.sum(resid**2) / max(len(y) - 2, 1))
    means, last = [], float(x[-1])
    for _ in range(k):
        last = c + phi * last
        means.append(last)
    var = [
        s2 * sum(sum(phi**i for i in range(j - m + 1)) ** 2 for m in range(1, j + 1)) for j in range(1, k + 1)
    ]
    return np.cumsum(means), np.asarray(var)


def indicator_path(
    indicator: pd.Series,
    frequency: str,
    until: int,
    cfg: ExperimentConfig,
    series_id: str,
    as_of: str,
    *,
    real: pd.Series | None = None,
    deflator: pd.Series | None = None,
) -> pd.DataFrame:
    """The indicator's annual totals to ``until``: published, year-to-date, then forecast.

    Forecast years: with ``real`` (its volume, quarterly) and ``deflator`` (its price index, quarterly)
    published, nominal growth = the engine's forecast of real growth + an AR(1) forecast of deflator
    inflation ("through published prices"); otherwise the engine on the nominal totals. Columns: year,
    total, log_sd, kind (published | year_to_date | forecast).
    """
    totals = annual_totals(indicator, frequency)
    if len(totals) < cfg.data.min_observations:
        raise InvalidParameter(f"indicator {series_id}: {len(totals)} complete years, too few to forecast")
    rows = [
        {"year": int(y), "total": float(v), "log_sd": 0.0, "kind": "published"} for y, v in totals.items()
    ]
    last = int(totals.index.max())
    ytd = year_to_date(indicator, frequency)
    if until <= last:
        return pd.DataFrame(rows)
    years = np.arange(last + 1, until + 1)
    settings = _engine_settings(cfg)
    lo, hi = qcol(0.025), qcol(0.975)
    width = 2 * _z(0.975)

    def engine(values: pd.Series, sid: str) -> tuple[np.ndarray, np.ndarray]:
        task = VintageTask(
            series_id=sid,
            release=as_of,
            periods=tuple(pd.Timestamp(int(y), 1, 1) for y in values.index),
            values=values.to_numpy(dtype=float),
            frequency="A",
            steps=len(years),
            seasonal=False,
            non_negative=True,
            **settings,
        )
        fc = train_vintage(task)["forecasts"]
        return fc["mean"].to_numpy(dtype=float), (
            np.log(fc[hi].to_numpy()) - np.log(fc[lo].to_numpy())
        ) / width

    real_tot = annual_totals(real, frequency) if real is not None else None
    price = None
    if deflator is not None:
        idx = pd.DatetimeIndex(deflator.index)
        g = deflator.groupby(idx.year)
        price = g.mean()[g.count() == PER_YEAR[frequency]].astype(float)
    if real_tot is not None and price is not None and last in real_tot.index and last in price.index:
        r_mean, r_sd = engine(real_tot[real_tot.index <= last], series_id + ":volume")
        infl = np.diff(np.log(price[price.index <= last].to_numpy()))
        p_mean, p_var = ar1_cumulative(infl, len(years))
        log_growth = np.log(r_mean / real_tot[last]) + p_mean
        mean = totals[last] * np.exp(log_growth)
        sd = np.sqrt(r_sd**2 + p_var)
    else:
        mean, sd = engine(totals, series_id)
    if ytd is not None and ytd[0] == last + 1 and np.isfinite(ytd[3]):
        est = totals[last] * ytd[2]
        base = sd[0]
        mean = mean * (est / mean[0])
        sd = np.sqrt(np.maximum(sd**2 - base**2, 0.0) + ytd[3] ** 2)
        rows.append(
            {"year": int(years[0]), "total": float(mean[0]), "log_sd": float(sd[0]), "kind": "year_to_date"}
        )
        start = 1
    else:
        start = 0
    for j in range(start, len(years)):
        rows.append(
            {"year": int(years[j]), "total": float(mean[j]), "log_sd": float(sd[j]), "kind": "forecast"}
        )
    return pd.DataFrame(rows)


def carry(
    target: pd.Series,
    path: pd.DataFrame,
    *,
    until: int,
    quantiles: list[float],
    present: pd.Timestamp,
    target_id: str,
    indicator_id: str,
    revision: float = 0.0,
) -> tuple[pd.DataFrame, float, int]:
    """Steps 3-4 of the module doc: the target's years after its last, from the indicator's ``path``
    (``indicator_path(...).set_index("year")``); with the tracking sd and the years it rests on."""
    t = target.groupby(pd.DatetimeIndex(target.index).year).sum().astype(float)
    last = int(t.index.max())
    if last not in path.index or path.at[last, "kind"] != "published":
        raise InvalidParameter(
            f"{target_id}: its last year {last} is not a complete published year of {indicator_id}"
        )
    common = sorted(set(t.index) & set(path.index[path["kind"] == "published"]))
    common = [y for y in common if y - 1 in common]
    d = np.array(
        [np.log(t[y] / t[y - 1]) - np.log(path.at[y, "total"] / path.at[y - 1, "total"]) for y in common]
    )
    if len(d) < MIN_OVERLAP:
        raise InvalidParameter(
            f"{target_id}: {len(d)} years of growth shared with {indicator_id}; need {MIN_OVERLAP}"
        )
    drift = float(np.mean(d))
    track_sd = float(np.std(d, ddof=1))
    rows = []
    for y in range(last + 1, min(until, int(path.index.max())) + 1):
        k = y - last
        log_mean = np.log(t[last]) + np.log(path.at[y, "total"] / path.at[last, "total"]) + drift * k
        sd = float(np.sqrt(path.at[y, "log_sd"] ** 2 + k * track_sd**2 + revision**2))
        row: dict[str, Any] = {
            "period": str(y),
            "period_start": pd.Timestamp(y, 1, 1),
            "step": k,
            "kind": "nowcast" if pd.Timestamp(y, 1, 1) <= present else "forecast",
            "mean": float(np.exp(log_mean)),
            "indicator_basis": str(path.at[y, "kind"]),
        }
        for q in quantiles:
            row[qcol(q)] = float(np.exp(log_mean + _z(q) * sd))
        rows.append(row)
    return pd.DataFrame(rows), track_sd, len(d)


def indicator_nowcast(
    target: pd.Series,
    indicator: pd.Series,
    indicator_frequency: str,
    *,
    until: int,
    cfg: ExperimentConfig,
    present: pd.Timestamp,
    target_id: str,
    indicator_id: str,
    as_of: str,
    real: pd.Series | None = None,
    deflator: pd.Series | None = None,
    revision: float = 0.0,
) -> tuple[pd.DataFrame, float, int]:
    """The target's years after its last, carried by the indicator (module doc); with tracking sd and n."""
    path = indicator_path(
        indicator, indicator_frequency, until, cfg, indicator_id, as_of, real=real, deflator=deflator
    ).set_index("year")
    return carry(
        target,
        path,
        until=until,
        quantiles=list(cfg.forecast.quantiles),
        present=present,
        target_id=target_id,
        indicator_id=indicator_id,
        revision=revision,
    )


def nowcast_from_warehouse(
    wh: Any,
    series_id: str,
    cfg: ExperimentConfig,
    *,
    as_of: str,
    indicator_id: str | None = None,
    until: int | None = None,
) -> Nowcast:
    """The target as published ``as_of`` (a release date), nowcast from the indicator published then."""
    sid = parse_series_id(series_id)
    if sid.frequency != "A":
        raise InvalidParameter(f"{series_id}: indicator nowcasts are for annual series (got {sid.frequency})")
    ind = indicator_id or NOMINAL_INDICATORS.get(sid.measure)
    if ind is None:
        raise NotFound(f"no published indicator is registered for measure {sid.measure!r}")
    target = wh.series(series_id, as_of=as_of).set_index("period")["value"].astype(float)
    ind_rows = wh.series(ind, as_of=as_of)
    indicator = ind_rows.set_index("period")["value"].astype(float)
    ifreq = parse_series_id(ind).frequency
    present = pd.Timestamp(as_of)
    used = [ind]
    real = deflator = None
    if ind in PRICE_VOLUME:
        vol_id, price_id = PRICE_VOLUME[ind]
        try:
            real = wh.series(vol_id, as_of=as_of).set_index("period")["value"].astype(float)
            deflator = wh.series(price_id, as_of=as_of).set_index("period")["value"].astype(float)
            used += [vol_id, price_id]
        except Exception:  # not published by then: the engine on nominal totals alone
            real = deflator = None
    from forecasting.training.track_record import series_releases

    hist = series_releases(wh, ind)
    hist = hist[hist["release"] <= as_of]
    revision, n_rev = revision_sd(hist, ifreq)
    end = until or present.year + cfg.horizon_for("A")
    table, track_sd, n = indicator_nowcast(
        target,
        indicator,
        ifreq,
        until=end,
        cfg=cfg,
        present=present,
        target_id=series_id,
        indicator_id=ind,
        as_of=as_of,
        real=real,
        deflator=deflator,
        revision=revision,
    )
    release = str(ind_rows["release"].max())
    last_ind = period_label(indicator.index.max(), ifreq)
    out = Nowcast(
        series_id=series_id,
        as_of=as_of,
        last_observed=str(pd.Timestamp(target.index.max()).year),
        indicator=ind,
        indicator_release=release,
        indicator_last=last_ind,
        tracking_sd=track_sd,
        tracking_years=n,
        revision_sd=revision,
        used=used,
        table=table,
    )
    out.table["indicators"] = out.indicators
    return out


# ---- in the bundle: the served nowcasts of nominal series --------------------------------------------
def _indicator_data(
    wh: Any, ind: str, as_of: str | None
) -> tuple[pd.Series, pd.Series | None, pd.Series | None, str, str, float]:
    rows = wh.series(ind, as_of=as_of)
    indicator = rows.set_index("period")["value"].astype(float)
    real = deflator = None
    if ind in PRICE_VOLUME:
        vol_id, price_id = PRICE_VOLUME[ind]
        try:
            real = wh.series(vol_id, as_of=as_of).set_index("period")["value"].astype(float)
            deflator = wh.series(price_id, as_of=as_of).set_index("period")["value"].astype(float)
        except Exception:  # not in the warehouse: nominal totals alone
            real = deflator = None
    from forecasting.training.track_record import series_releases

    hist = series_releases(wh, ind)
    if as_of is not None and len(as_of) == 10:
        hist = hist[hist["release"] <= as_of]
    ifreq = parse_series_id(ind).frequency
    revision, _n = revision_sd(hist, ifreq)
    used = [ind] + ([*PRICE_VOLUME[ind]] if real is not None else [])
    label = f"{ind} (release {rows['release'].max()}, to {period_label(indicator.index.max(), ifreq)})" + (
        f"; forecast years: {' x '.join(used[1:])}" if len(used) > 1 else ""
    )
    return indicator, real, deflator, ifreq, label, revision


def apply_indicator_nowcasts(
    forecasts: pd.DataFrame,
    panel: pd.DataFrame,
    hierarchy: pd.DataFrame,
    cfg: ExperimentConfig,
    *,
    warehouse: Any,
    as_of: str | None,
    present: pd.Timestamp,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The bundle's forecasts with annual nominal series' nowcast years carried by their published
    indicator (module doc), later years re-anchored on them, and an ``indicators`` column saying what each
    row used ("" = the engine alone). Regional series are then scaled, year by year, so that children sum
    to their parent (the UK total's nowcast), as published data do. Returns the table and a note per
    series left to the engine (too little overlap with the indicator)."""
    out = forecasts.copy()
    if "indicators" not in out:
        out["indicators"] = ""
    notes: dict[str, str] = {}
    ids = sorted(out["series_id"].unique())
    targets = [
        s
        for s in ids
        if (sid := parse_series_id(s)).measure in NOMINAL_INDICATORS
        and sid.frequency == "A"
        and sid.cluster == "all"
    ]
    if not targets:
        return out, notes
    qcols = [c for c in out.columns if c.startswith("q0.") or c.startswith("q1")]
    by_ind: dict[str, list[str]] = {}
    for s in targets:
        by_ind.setdefault(NOMINAL_INDICATORS[parse_series_id(s).measure], []).append(s)
    changed: set[str] = set()
    out = out.reset_index(drop=True)  # positions = labels: the rows are edited as arrays below
    base_vals = forecasts[["mean", *qcols]].to_numpy(dtype=float)  # the engine's, in ``out``'s row order
    vals = base_vals.copy()
    labels = out["indicators"].to_numpy(dtype=object).copy()
    kinds = out["kind"].to_numpy()
    period_at = out["period"].to_numpy()
    rows_of = out.groupby("series_id").indices
    tp = panel[panel["series_id"].isin(targets)]
    panel_of = {s: g.set_index("period")["value"].astype(float) for s, g in tp.groupby("series_id")}
    for ind, members in by_ind.items():
        try:
            indicator, real, deflator, ifreq, label, revision = _indicator_data(warehouse, ind, as_of)
        except Exception as exc:  # the indicator is not in the warehouse: the engine alone
            notes.update({s: f"no indicator nowcast ({exc})" for s in members})
            continue
        until = int(pd.DatetimeIndex(out.loc[out["series_id"].isin(members), "period_start"]).year.max())
        try:
            path = indicator_path(
                indicator,
                ifreq,
                until,
                cfg,
                ind,
                as_of or present.date().isoformat(),
                real=real,
                deflator=deflator,
            ).set_index("year")
        except InvalidParameter as exc:
            notes.update({s: f"no indicator nowcast ({exc})" for s in members})
            continue
        for s in members:
            hist = panel_of.get(s, pd.Series(dtype=float))
            rows = np.asarray(rows_of.get(s, []), dtype=int)
            now = rows[kinds[rows] == "nowcast"]
            if len(now) == 0 or hist.empty:
                continue
            if (hist.tail(MIN_OVERLAP + 1) <= 0).any():
                notes[s] = "no indicator nowcast (non-positive values: growth rates undefined)"
                continue
            try:
                carried, _sd, _n = carry(
                    hist,
                    path,
                    until=until,
                    quantiles=[float(c[1:]) for c in qcols],
                    present=present,
                    target_id=s,
                    indicator_id=ind,
                    revision=revision,
                )
            except InvalidParameter as exc:
                notes[s] = f"no indicator nowcast ({exc})"
                continue
            carried = carried[carried["kind"] == "nowcast"].set_index("period")
            carried_vals = carried[["mean", *qcols]].to_numpy(dtype=float)
            if not np.isfinite(carried_vals).all():
                notes[s] = "no indicator nowcast (non-finite result)"
                continue
            at = {p: k for k, p in enumerate(carried.index)}
            now = [i for i in now if period_at[i] in at]
            if not now:
                continue
            for i in now:
                vals[i] = carried_vals[at[period_at[i]]]
                labels[i] = label
            # later years: the engine's path re-anchored on the last nowcast year
            last_i = now[-1]
            later = rows[rows > last_i]
            base = base_vals[last_i, 0]
            if len(later) and base:
                ratio = vals[last_i, 0] / base
                vals[later] = base_vals[later] * ratio
                labels[later] = f"re-anchored on the {period_at[last_i]} nowcast from {ind}"
            changed.add(s)
    _cohere(out, vals, labels, hierarchy, changed)
    out[["mean", *qcols]] = vals
    out["indicators"] = labels
    return out, notes


def _cohere(
    out: pd.DataFrame, vals: np.ndarray, labels: np.ndarray, hierarchy: pd.DataFrame, changed: set[str]
) -> None:
    """Top-down: each changed parent's children (all changed) scaled per period to sum to it (``vals``:
    mean then quantiles per row of ``out``, edited in place; ``labels``: each row's indicators)."""
    if hierarchy is None or hierarchy.empty or not changed:
        return
    edges = hierarchy[hierarchy["parent_id"].isin(changed) & hierarchy["child_id"].isin(changed)]
    kids = edges.groupby("parent_id")["child_id"].apply(list).to_dict()
    children = set(edges["child_id"])
    order, queue = [], [p for p in kids if p not in children]
    while queue:
        p = queue.pop(0)
        order.append(p)
        queue += [c for c in kids.get(p, []) if c in kids]
    at = {k: i for i, k in enumerate(zip(out["series_id"], out["period"], strict=True))}
    sids, periods = out["series_id"].to_numpy(), out["period"].to_numpy()
    flagged = labels != ""
    for p in order:
        for pos in np.flatnonzero((sids == p) & flagged):
            idx = [at.get((c, periods[pos])) for c in kids[p]]
            if any(i is None for i in idx):
                continue
            total = vals[idx, 0].sum()
            if total > 0:
                vals[idx] = vals[idx] * (vals[pos, 0] / total)
