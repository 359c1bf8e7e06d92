"""Transmission models: how target series respond to drivers, estimated on history at training time.

The result is the bundle's ``transmission`` table, one row per estimated (target, driver) link:

=============  ==============================================================================
target_id      the series that responds
driver_id      the series it responds to (a scenario driver, or the target's parent for ``share``)
elasticity     d log(target) / d log(driver) used by projections (``share``: 1 by construction)
se             standard error of the elasticity (never missing: a link without one is not reported)
ci_lo, ci_hi   95% interval (Student t with n_obs - 2 degrees of freedom)
model          ``share`` | ``regression_arima_log`` | ``logdiff_ols`` | ``diff_ols_at_means``
n_obs          observations (annual changes or levels) the estimate used
used           True for the link projections apply (one per target); other rows are the candidates
note           how it was estimated, in words (what was preferred and why)
=============  ==============================================================================

Why these models: targets are short (FDI positions 2015-2024: 9 annual changes), so each target gets one
parsimonious link. A target whose parent area is modelled for the same measure (Midlands share of UK, UK
share of World) is a ``share`` model: its share of the parent is held on its baseline path, so a parent
shock passes to it one-for-one; the se is that of the log-difference regression of child on parent (how
loosely the child tracks its parent). Otherwise the target is regressed on one driver, annual data
(quarterly drivers summed to complete years): with 15+ positive levels by regression with ARIMA errors in
logs (``models.regression_arima``, coefficients are elasticities), else by OLS on log-differences, or on
differences with the elasticity evaluated at the sample means when a series has zero or negative values.
Candidates come from the target's driver family first (``drivers.family``); among them a positive
elasticity is preferred (a sign restriction: investment rises with its drivers; with 9 annual changes
a wrong-signed estimate is far more likely noise than economics), then the largest |t|. A driver may only be explained by drivers listed before it, so links never form a cycle.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.training.drivers import annual, family
from forecasting.vocabulary import parse_series_id, series_id

TRANSMISSION_COLUMNS: tuple[str, ...] = (
    "target_id",
    "driver_id",
    "elasticity",
    "se",
    "ci_lo",
    "ci_hi",
    "model",
    "n_obs",
    "used",
    "note",
)
# Levels needed before regression with ARIMA errors (in logs) is preferred to log-differences: below this
# its Hessian standard errors proved unreliable on the 15-year synthetic project counts (se ~0.005).
LONG_HISTORY = 25


@dataclass(frozen=True)
class Link:
    target_id: str
    driver_id: str
    elasticity: float
    se: float
    model: str
    n_obs: int
    note: str
    used: bool = False

    @property
    def t(self) -> float:
        return abs(self.elasticity) / self.se if self.se > 0 else math.inf

    def row(self) -> dict[str, object]:
        half = float(stats.t.ppf(0.975, max(self.n_obs - 2, 1))) * self.se
        return {
            "target_id": self.target_id,
            "driver_id": self.driver_id,
            "elasticity": float(self.elasticity),
            "se": float(self.se),
            "ci_lo": float(self.elasticity - half),
            "ci_hi": float(self.elasticity + half),
            "model": self.model,
            "n_obs": int(self.n_obs),
            "used": bool(self.used),
            "note": self.note,
        }


def _ols_slope(y: np.ndarray, x: np.ndarray) -> tuple[float, float] | None:
    """Slope and its se in y = a + b x (None when x is constant or the fit is degenerate)."""
    n = len(y)
    xc = x - x.mean()
    sxx = float(xc @ xc)
    if n < 3 or sxx <= 0:
        return None
    b = float(xc @ (y - y.mean())) / sxx
    resid = y - y.mean() - b * xc
    s2 = float(resid @ resid) / (n - 2)
    se = math.sqrt(max(s2, 0.0) / sxx)
    return (b, se) if math.isfinite(b) and math.isfinite(se) and se > 0 else None


def _pair(y: pd.Series, x: pd.Series) -> pd.DataFrame:
    return pd.concat([y.rename("y"), x.rename("x")], axis=1, join="inner").dropna().sort_index()


def _fit_simple(y: pd.Series, x: pd.Series, min_obs: int) -> tuple[float, float, str, int, str] | None:
    """Log-difference OLS (both positive) or difference OLS with the elasticity at the sample means."""
    df = _pair(y, x)
    years = df.index.to_numpy()
    consecutive = np.diff(years) == 1
    if (df > 0).all().all():
        d = np.diff(np.log(df.to_numpy()), axis=0)[consecutive]
        if len(d) < min_obs:
            return None
        fit = _ols_slope(d[:, 0], d[:, 1])
        if fit is None:
            return None
        return fit[0], fit[1], "logdiff_ols", len(d), "OLS on annual log-differences"
    d = np.diff(df.to_numpy(), axis=0)[consecutive]
    my, mx = float(df["y"].mean()), float(df["x"].mean())
    if len(d) < min_obs or abs(my) < 1e-12 * max(abs(mx), 1.0) or my == 0:
        return None
    fit = _ols_slope(d[:, 0], d[:, 1])
    if fit is None:
        return None
    k = mx / my
    return (
        fit[0] * k,
        abs(fit[1] * k),
        "diff_ols_at_means",
        len(d),
        "OLS on annual differences (zero/negative values), elasticity at the sample means",
    )


def _fit_arima(y: pd.Series, x: pd.Series, seed: int) -> tuple[float, float, str, int, str] | None:
    from models.regression_arima import RegressionARIMA

    df = _pair(y, x)
    if len(df) < LONG_HISTORY or not (df > 0).all().all() or not (np.diff(df.index.to_numpy()) == 1).all():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = RegressionARIMA(seed=seed, log=True).fit(df["y"].to_numpy(), df[["x"]].to_numpy())
    if m.fallback_ is not None or not len(getattr(m, "coefficients_", [])):
        return None
    b, se = float(m.coefficients_[0]), float(m.bse_[0])
    if not (math.isfinite(b) and math.isfinite(se) and se > 0):
        return None
    return b, se, "regression_arima_log", len(df), f"regression with ARIMA errors in logs ({m.spec_.label()})"


def _fit_link(target: str, driver: str, y: pd.Series, x: pd.Series, seed: int, min_obs: int) -> Link | None:
    got = _fit_arima(y, x, seed) or _fit_simple(y, x, min_obs)
    if got is None:
        return None
    b, se, model, n, note = got
    return Link(target, driver, b, se, model, n, note)


def _share_link(target: str, parent: str, y: pd.Series, x: pd.Series, min_obs: int) -> Link | None:
    got = _fit_simple(y, x, min_obs)
    if got is None:
        return None
    b, se, _, n, how = got
    note = (
        f"share of {parent}: the share is held on its baseline path, so the target moves one-for-one with "
        f"its parent; se from {how} (estimate {b:.3f})"
    )
    return Link(target, parent, 1.0, se, "share", n, note, used=True)


class _Histories:
    """Annual histories by series id; an aggregate absent from the panel is summed from a full partition."""

    def __init__(self, panel: pd.DataFrame) -> None:
        ann = annual(panel)
        ann = ann.drop_duplicates(["series_id", "year"], keep="last")
        self.by_id = {sid: g.set_index("year")["value"].astype(float) for sid, g in ann.groupby("series_id")}
        self._partitions: dict[str, list[str]] | None = None

    def get(self, sid: str, depth: int = 0) -> pd.Series | None:
        if sid in self.by_id or depth > 6:
            return self.by_id.get(sid)
        measure, geo, cluster, freq = parse_series_id(sid)
        if self._partitions is None:
            from forecasting.reference.geography import load_geography

            self._partitions = load_geography().partitions()
        kids = self._partitions.get(geo)
        if not kids:
            return None
        parts = [self.get(series_id(measure, k, cluster, freq), depth + 1) for k in kids]
        if any(p is None for p in parts):
            return None
        total = pd.concat(parts, axis=1, join="inner").sum(axis=1)
        self.by_id[sid] = total
        return total


def _ancestors(geography: str) -> list[str]:
    from forecasting.reference.geography import load_geography

    try:
        return load_geography().ancestors(geography)
    except KeyError:
        return []


def share_parent(target: str, modelled: set[str]) -> str | None:
    """The nearest ancestor area's series of the same measure, cluster and frequency that is modelled."""
    measure, geo, cluster, freq = parse_series_id(target)
    for anc in _ancestors(geo):
        sid = series_id(measure, anc, cluster, freq)
        if sid in modelled:
            return sid
    return None


def _regression_links(
    target: str, allowed: Sequence[str], hist: _Histories, seed: int, min_obs: int
) -> list[Link]:
    y = hist.get(target)
    if y is None:
        return []
    fam = family(parse_series_id(target).measure)
    links: list[Link] = []
    for d in allowed:
        x = hist.get(d)
        if x is None:
            continue
        link = _fit_link(target, d, y, x, seed, min_obs)
        if link is not None:
            same = fam is not None and family(parse_series_id(d).measure) == fam
            links.append(Link(**{**link.__dict__, "note": link.note + (" [driver family]" if same else "")}))
    if not links:
        return []
    preferred = [k for k in links if k.note.endswith("[driver family]")] or links
    best = max(preferred, key=lambda k: (k.elasticity > 0, k.t, -allowed.index(k.driver_id)))
    why = "in the driver family" if preferred is not links else "no family driver"
    why = (
        "positive (expected sign), largest |t|, "
        if best.elasticity > 0
        else "no positive estimate; largest |t|, "
    ) + why
    return [
        Link(**{**k.__dict__, "used": k is best, "note": k.note + (f"; used: {why}" if k is best else "")})
        for k in links
    ]


def estimate_transmission(
    panel: pd.DataFrame,
    catalogue: pd.DataFrame,
    drivers: list[str],
    targets: list[str],
    seed: int,
    *,
    min_obs: int = 5,
) -> pd.DataFrame:
    """The bundle's ``transmission`` table (see the module docstring) for ``targets`` given ``drivers``.

    ``panel`` is the warehouse panel (series_id, measure, geography, cluster, frequency, period, value,
    ...); ``catalogue`` is accepted for the pipeline's convenience (ids not in it are still estimated from
    the panel). Drivers are listed upstream first; a driver that is also a target can only be explained by
    drivers before it. Targets without an estimable link get no row (projections leave them unaffected).
    """
    del catalogue  # the panel carries everything needed; kept in the signature for the pipeline
    hist = _Histories(panel)
    drivers = list(dict.fromkeys(drivers))
    modelled = set(targets) | set(drivers)
    rows: list[dict[str, object]] = []
    for target in dict.fromkeys(targets):
        allowed = (
            drivers[: drivers.index(target)] if target in drivers else [d for d in drivers if d != target]
        )
        parent = share_parent(target, modelled)
        if parent is not None and (target not in drivers or parent in allowed):
            y, x = hist.get(target), hist.get(parent)
            link = None if y is None or x is None else _share_link(target, parent, y, x, min_obs)
            if link is not None:
                rows.append(link.row())
                continue
            if target not in drivers:
                continue  # a share child without enough history: moves with its parent through the hierarchy
        rows.extend(k.row() for k in _regression_links(target, allowed, hist, seed, min_obs))
    return pd.DataFrame(rows, columns=list(TRANSMISSION_COLUMNS))


def transmission_metrics(table: pd.DataFrame, *, per_link: bool = True) -> dict[str, float]:
    """Flat MLflow metrics: counts and summaries, plus elasticity and se per used non-share link."""
    if table is None or table.empty:
        return {"transmission.n_links": 0.0, "transmission.n_used": 0.0}
    used = table[table["used"].astype(bool)] if "used" in table.columns else table
    reg = used[used["model"] != "share"]
    share = used[used["model"] == "share"]
    t = (reg["elasticity"].abs() / reg["se"]).replace([np.inf], np.nan)
    out: dict[str, float] = {
        "transmission.n_links": float(len(table)),
        "transmission.n_used": float(len(used)),
        "transmission.n_share": float(len(share)),
        "transmission.n_regression": float(len(reg)),
        "transmission.n_significant": float((t >= 1.96).sum()),
    }
    if len(reg):
        out["transmission.median_abs_elasticity"] = float(reg["elasticity"].abs().median())
        out["transmission.median_se"] = float(reg["se"].median())
    if len(share):
        out["transmission.share_median_se"] = float(share["se"].median())
    if per_link:
        for r in reg.itertuples(index=False):
            key = f"transmission/{r.target_id}/{r.driver_id}"
            out |= {
                f"{key}/elasticity": float(r.elasticity),
                f"{key}/se": float(r.se),
            }
    return out
