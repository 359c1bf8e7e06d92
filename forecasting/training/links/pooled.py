"""Level links pooled across like series: World flows' pass-through into economies' flows, and children's
exposures to their parent's changes, each shrunk toward a share of the level (``pool_toward_prior``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasting.statistics import consecutive_diffs, hac_lags, mean_se, ols_slope, paired, pool_toward_prior
from forecasting.training.links.areas import area_level
from forecasting.training.links.histories import Histories, Units, gbp_values, level_units
from forecasting.training.links.record import Link
from forecasting.units import RateTable
from forecasting.vocabulary import parse_series_id

# Geography levels of single economies (pooled); aggregates (EU, income groups) overlap and are not.
ECONOMY_LEVELS = ("country", "uk")


def passthrough_links(
    targets: Sequence[str], world: str, hist: Histories, rates: RateTable | None, min_obs: int
) -> list[Link]:
    """Economies' flows on World flows in GBP levels (HAC se), pooled across economies toward their share."""
    w = hist.get(world)
    if w is None:
        return []
    u = level_units(targets[0], world, rates) if targets else Units(True)
    if not u.ok:
        return [Link(t, world, "level", 0.0, 0.0, "refused", 0, u.text, conversion=u.text) for t in targets]
    in_gbp = rates is not None
    wg = (gbp_values(w, rates) if in_gbp else w) * u.scale  # World in the targets' unit (US$ -> US$ million)
    est: list[tuple[str, float, float, float, int, str, float]] = []
    for t in targets:
        y = hist.get(t)
        if y is None:
            continue
        df = paired(gbp_values(y, rates) if in_gbp else y, wg)
        years = df.index.to_numpy()
        if len(df) < max(min_obs, 8) or not (np.diff(years) == 1).all():
            continue
        fit = ols_slope(df["y"].to_numpy(), df["x"].to_numpy(), hac_lags(len(df)))
        if fit is None or abs(df["x"].mean()) < 1e-12:
            continue
        share = float(df["y"].mean() / df["x"].mean())
        share_se = mean_se((df["y"] / df["x"]).to_numpy()) if (df["x"] > 0).all() else float("nan")
        d = consecutive_diffs(df)
        dfit = ols_slope(d[:, 0], d[:, 1]) if len(d) >= 3 else None
        robust = f"; in annual differences {dfit[0]:.3f} (se {dfit[1]:.3f})" if dfit else ""
        est.append(
            (t, fit[0], fit[1], share, len(df), robust, float(df["x"].mean() / df["y"].mean()), share_se)
        )
    if not est:
        return []
    lv = np.array([area_level(parse_series_id(e[0]).geography) in ECONOMY_LEVELS for e in est])
    b = np.array([e[1] for e in est])
    se = np.array([e[2] for e in est])
    prior = np.array([e[3] for e in est])
    prior_se = np.array([e[7] for e in est])
    post_b, post_se, tau, k = b.copy(), se.copy(), float("nan"), 0
    weight = np.ones(len(b))
    if lv.sum() >= 3:
        pooled = pool_toward_prior(b[lv], se[lv], prior[lv], prior_se[lv])
        post_b[lv], post_se[lv], tau, k = pooled.estimate, pooled.se, pooled.tau, pooled.k
        weight[lv] = pooled.weight
    cur = "GBP (both converted at each year's mean US$ per GBP)" if in_gbp else "US$ (no rates)"
    out = []
    for i, (t, bi, sei, share, n, robust, ratio, share_se) in enumerate(est):
        note = (
            f"World -> flows pass-through in {cur}: flow = a + b World, HAC se; own estimate "
            f"{bi:.4f} (se {sei:.4f}, n {n}){robust}"
        )
        if lv[i] and k:
            pooled_text = (
                f"pooled across {k} economies with shrinkage toward its share of World flows ({share:.4f}, "
                f"se {share_se:.4f}), relative heterogeneity tau {tau:.2f}"
            )
        else:
            pooled_text = (
                "not pooled ("
                + ("an aggregate of economies" if not lv[i] else "fewer than three economies")
                + ")"
            )
        out.append(
            Link(
                t,
                world,
                "level",
                float(post_b[i]),
                float(post_se[i]),
                "pooled_levels_hac" if lv[i] and k else "levels_hac",
                n,
                note,
                elasticity=float(post_b[i]) * ratio,
                used=True,
                conversion=("same currency (US$); estimated in GBP" if in_gbp else "")
                + (f"; World {u.text}" if u.text else ""),
                pooled=pooled_text,
                own=(float(bi), float(sei)),
                weight=float(weight[i]),
            )
        )
    return out


def exposure_links(
    pairs: Sequence[tuple[str, str]], in_tree: set[tuple[str, str]], hist: Histories, min_obs: int
) -> list[Link]:
    """Children's shares of their parent's changes, pooled per (measure, cluster, child level).

    ``pairs`` are (child, parent); those in ``in_tree`` (hierarchy edges) are normalised within each
    parent so the projections add up; the others become ``level`` links (a child outside its parent's
    tree, e.g. a combined authority and its region).
    """
    rows: list[dict[str, object]] = []
    for child, parent in pairs:
        y, x = hist.get(child), hist.get(parent)
        if y is None or x is None:
            continue
        df = paired(y, x)
        if len(df) < 3 or abs(df["x"].mean()) < 1e-12:
            continue
        prior = float(df["y"].mean() / df["x"].mean())
        prior_se = mean_se((df["y"] / df["x"]).to_numpy()) if (df["x"] > 0).all() else float("nan")
        d = consecutive_diffs(df)
        fit = ols_slope(d[:, 0], d[:, 1]) if len(d) >= min_obs else None
        m, g, c, _ = parse_series_id(child)
        rows.append(
            {
                "child": child,
                "parent": parent,
                "b": fit[0] if fit else np.nan,
                "se": fit[1] if fit else np.nan,
                "prior": prior,
                "prior_se": prior_se,
                "n": len(d),
                "group": (m, c, area_level(g)),
            }
        )
    if not rows:
        return []
    tab = pd.DataFrame(rows)
    parts = []
    for _, g in tab.groupby("group", sort=False):
        pooled = pool_toward_prior(
            g["b"].to_numpy(), g["se"].to_numpy(), g["prior"].to_numpy(), g["prior_se"].to_numpy()
        )
        parts.append(
            g.assign(
                post=pooled.estimate, post_se=pooled.se, tau=pooled.tau, k=pooled.k, weight=pooled.weight
            )
        )
    tab = pd.concat(parts).sort_index()
    out: list[Link] = []
    tree = tab[[(r.child, r.parent) in in_tree for r in tab.itertuples()]]
    for _, g in tree.groupby("parent", sort=True):
        total = float(g["post"].sum())
        if not total > 0:
            continue  # the projections share this parent's change by baseline shares instead
        for r in g.itertuples():
            out.append(_exposure_link(r, "exposure", r.post / total, r.post_se / total))
    for r in tab[[(r.child, r.parent) not in in_tree for r in tab.itertuples()]].itertuples():
        out.append(_exposure_link(r, "level", r.post, r.post_se))
    return out


def _exposure_link(r: object, form: str, coef: float, se: float) -> Link:
    own = (
        f"own estimate {r.b:.4f} (se {r.se:.4f}, n {r.n})"
        if np.isfinite(r.b)
        else f"no estimate of its own (n {r.n})"
    )
    pooled = (
        f"shrunk toward its share of {parse_series_id(r.parent).geography}'s level ({r.prior:.4f}) across "
        f"{r.k} {r.group[2]} areas (relative heterogeneity tau {r.tau:.2f})"
    )
    note = (
        f"share of {r.parent}'s changes: change = a + s change(parent); {own}; relative exposure "
        f"{coef / r.prior if r.prior else float('nan'):.2f} x its share of the level"
    )
    if form == "exposure":
        note += "; normalised so the children of the parent add up"
    return Link(
        r.child,
        r.parent,
        form,
        float(coef),
        float(se),
        "pooled_exposure",
        int(r.n),
        note,
        elasticity=float(coef / r.prior) if r.prior else float(coef),
        used=True,
        pooled=pooled,
        own=(float(r.b), float(r.se)) if np.isfinite(r.b) else None,
        weight=float(r.weight),
    )
