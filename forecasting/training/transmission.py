"""Transmission links: how target series respond to drivers, estimated on history at training time.

The result is the bundle's ``transmission`` table, one row per (target, driver) link:

=============  ==============================================================================
target_id      the series that responds
driver_id      the series it responds to (a scenario driver, an upstream target, or a parent area)
form           how projections apply the link (below)
coefficient    what projections multiply; ``se``, ``ci_lo``, ``ci_hi`` are its (95%, normal or t)
elasticity     the implied elasticity at the sample means (comparable across forms)
own_coefficient, own_se   the link's own estimate before shrinkage
weight         the weight on its own data, tau^2 / (tau^2 + se^2): near 0, the link is its prior (a
               pooled value or zero) and says so; 1, its own estimate. No link is dropped or kept by a
               significance test: projections apply every used link's effective coefficient, and draw
               it with its se
model          the estimator; ``refused`` rows say why two series are *not* linked
n_obs          observations the estimate used
used           True for the links projections apply
conversion     how units were reconciled ("" when they already agree)
pooled         how the estimate borrowed strength from comparable series ("" when it did not)
note           the estimate in words, with the robustness checks
=============  ==============================================================================

Forms (why each, in the order they are tried):

* ``stock_flow`` -- a position accumulates its flow: position_t = position_{t-1} + flow_t + other
  changes_t. Coefficient 1 by accounting; the flow (WDI net inflows, US$) is converted to GBP at the
  period's mean US$/GBP rate (``forecasting.units``) and to the position's scale. The regression of the
  change in position on the flow is reported as a check. The other changes (valuation, write-offs) are
  left at their baseline, so a temporary fall in flows leaves a persistent gap in the stock.
* ``level`` -- pass-through of World FDI flows into an economy's flows, in one currency (both converted
  to GBP): flow_i = a + b World_t + e, Newey-West (HAC) standard errors. Single economies are noisy
  (UK: b 0.04, se 0.013), so b is pooled across the economies with shrinkage toward each one's share
  of World flows (``pool_toward_prior``). Changes in annual differences are reported as a robustness check.
* ``exposure`` -- how a child area's stock moves with its parent's: the child's share of the parent's
  changes, change_child = a + s change_parent + e, pooled across the areas of the same level with
  shrinkage toward the child's share of the parent's level ("toward the UK": a region with no evidence
  of its own moves like the UK). Shares are normalised to sum to one within each parent so projections
  add up. Between trees (a combined authority and its region) the same estimate is a ``level`` link.
* ``conversion`` -- the same concept in another price basis (business investment at current prices vs
  chained volume): same % deviation, prices held at their baseline.
* ``macro`` -- rows describing the macro block (``forecasting.training.macro``): the responses of
  business investment to a conditioning driver, with their posterior se.
* ``log`` -- the remaining targets (cluster employment, project counts ...): OLS on annual
  log-differences (differences at the means when a series has zero or negative values), candidate
  drivers from the target's family, then shrunk (empirical Bayes): each area's elasticity toward its
  cluster's mean, cluster means toward zero, with the spreads estimated across areas and clusters
  (``forecasting.statistics.shrink_hierarchical``). Synthetic series are never used. Regression with
  ARIMA errors in log levels is not used: on synthetic data with a known elasticity its Hessian intervals
  covered the truth in 26 of 60 samples (OLS on log-differences: 60 of 60).

Nothing links series of different units without converting: ``level``/``stock_flow``/``exposure`` links
need ``units.compatible`` measures or a conversion (US$ -> GBP with the published rates, scale);
elasticities are unit-free in scale but not in currency (converted) or price basis (refused).

Here: which link each target gets, in order (``estimate_transmission``); the estimators live in
``forecasting.training.links`` (``identities``, ``pooled``, ``elasticities``; ``histories`` for the data
and units, ``areas`` for the geography, ``record`` for a row), generic regressions in
``forecasting.statistics``.
"""

from __future__ import annotations

import pandas as pd

from forecasting.registry.schema import TRANSMISSION_COLUMNS
from forecasting.training.drivers import WORLD_FLOWS
from forecasting.training.links.areas import partition_edges, share_parent
from forecasting.training.links.elasticities import Candidate, choose_used, log_candidates, pool_log
from forecasting.training.links.histories import Histories, level_units, log_units
from forecasting.training.links.identities import conversion_links, stock_flow_links
from forecasting.training.links.pooled import exposure_links, passthrough_links
from forecasting.training.links.record import Link
from forecasting.units import RateTable
from forecasting.vocabulary import parse_series_id


def estimate_transmission(
    panel: pd.DataFrame,
    catalogue: pd.DataFrame,
    drivers: list[str],
    targets: list[str],
    *,
    min_obs: int = 5,
    rates: RateTable | None = None,
    hierarchy: pd.DataFrame | None = None,
    macro_rows: list[dict[str, object]] | None = None,
) -> pd.DataFrame:
    """The bundle's ``transmission`` table (see the module docstring) for ``targets`` given ``drivers``.

    ``panel`` is the warehouse panel (series_id, measure, geography, cluster, frequency, period, value,
    ...); ``catalogue`` says which series are synthetic (demo partner data): no link is estimated on them
    (their targets get a ``refused`` row saying so and stay at baseline unless shocked). Drivers are listed
    upstream first: a
    driver that is also a target can only be explained by drivers before it, and only through an
    accounting link, a pass-through from World flows or the macro block (never by a regression on a
    shared trend). ``rates`` converts US$ to GBP; ``hierarchy`` (parent_id, child_id) says which areas sum
    to which (default: the geography partitions among the modelled series); ``macro_rows`` are the macro
    block's rows (``forecasting.training.macro.MacroOutcome.rows``).
    """
    synthetic = synthetic_ids(catalogue)
    hist = Histories(panel[~panel["series_id"].isin(synthetic)]) if synthetic else Histories(panel)
    drivers = list(dict.fromkeys(drivers))
    targets = list(dict.fromkeys(targets))
    modelled = set(targets) | set(drivers)
    edges = partition_edges(modelled) if hierarchy is None else hierarchy
    in_tree = {
        (str(c), str(p))
        for p, c in zip(edges.get("parent_id", []), edges.get("child_id", []), strict=True)
        if p in modelled and c in modelled
    }
    has_parent = {c for c, _ in in_tree}
    links: list[Link] = []
    covered: set[str] = set()

    def upstream(t: str) -> list[str]:
        return drivers[: drivers.index(t)] if t in drivers else [d for d in drivers if d != t]

    for link in macro_rows_as_links(macro_rows) if macro_rows else []:
        if link.target_id in modelled and link.driver_id in modelled:
            links.append(link)
            covered.add(link.target_id)
    got = stock_flow_links([t for t in targets if t not in covered], modelled, hist, rates, min_obs)
    links += got
    covered |= {k.target_id for k in got if k.used}
    if WORLD_FLOWS in modelled:
        wm = parse_series_id(WORLD_FLOWS).measure
        economies = [
            t
            for t in targets
            if t != WORLD_FLOWS
            and t not in covered
            and parse_series_id(t).measure == wm
            and parse_series_id(t).cluster == "all"
            and WORLD_FLOWS in upstream(t)
        ]
        got = passthrough_links(economies, WORLD_FLOWS, hist, rates, min_obs)
        links += got
        covered |= {k.target_id for k in got if k.used}
        # a position's flow on another basis (UNCTAD) chosen over WDI: World reaches it the same way
        other_basis = sorted(
            {
                k.driver_id
                for k in links
                if k.form == "stock_flow"
                and k.used
                and parse_series_id(k.driver_id).measure != wm
                and k.driver_id not in covered
                and k.driver_id not in drivers
            }
        )
        if other_basis:
            got = passthrough_links(other_basis, WORLD_FLOWS, hist, rates, min_obs)
            links += got
            covered |= {k.target_id for k in got if k.used}
    got = conversion_links([t for t in targets if t not in covered], modelled)
    links += got
    covered |= {k.target_id for k in got}
    # exposures: every hierarchy edge, plus each remaining area's nearest modelled ancestor outside its tree
    pairs = sorted(in_tree)
    for t in targets:
        if t in covered or t in has_parent or t in drivers:
            continue
        parent = share_parent(t, modelled)
        if parent is not None and (t not in drivers or parent in upstream(t)):
            pairs.append((t, parent))
    pairs = [(c, p) for c, p in pairs if c not in synthetic and p not in synthetic]
    got = exposure_links(pairs, in_tree, hist, min_obs)
    links += got
    covered |= {k.target_id for k in got if k.form == "level"} | has_parent
    cands: list[Candidate] = []
    refused: list[Link] = []
    for t in targets:
        if t in covered or t in drivers:
            continue
        if t in synthetic:
            why = "refused: synthetic (demo) data; no link rests on it"
            refused += [Link(t, d, "log", 0.0, 0.0, "refused", 0, why) for d in upstream(t)[:1]]
            continue
        c, r = log_candidates(t, [d for d in upstream(t) if d in set(drivers)], hist, rates, min_obs)
        cands += c
        refused += r
    cands = pool_log(cands)
    by_target: dict[str, list[Candidate]] = {}
    for c in cands:
        by_target.setdefault(c.link.target_id, []).append(c)
    for t, cs in by_target.items():
        links += choose_used(cs, upstream(t))
    linked = {k.target_id for k in links if k.used}
    links += [k for k in refused if k.target_id not in linked]
    rows = [k.row() for k in links]
    return pd.DataFrame(rows, columns=list(TRANSMISSION_COLUMNS))


def synthetic_ids(catalogue: pd.DataFrame | None) -> set[str]:
    """Series the catalogue marks synthetic (``is_synthetic``, or a source named synthetic)."""
    if catalogue is None or len(catalogue) == 0 or "series_id" not in catalogue.columns:
        return set()
    flag = pd.Series(False, index=catalogue.index)
    if "is_synthetic" in catalogue.columns:
        flag |= catalogue["is_synthetic"].fillna(False).astype(bool)
    if "source" in catalogue.columns:
        flag |= catalogue["source"].astype(str).str.lower().str.contains("synthetic")
    return set(catalogue.loc[flag, "series_id"].astype(str))


def macro_rows_as_links(rows: list[dict[str, object]]) -> list[Link]:
    """The macro block's identification rows (``MacroOutcome.rows``) as table links."""
    out = []
    for r in rows:
        out.append(
            Link(
                str(r["target_id"]),
                str(r["driver_id"]),
                "macro",
                float(r["coefficient"]),
                float(r["se"]),
                str(r["model"]),
                int(r["n_obs"]),
                str(r["note"]),
                elasticity=float(r["coefficient"]),
                used=True,
                ci=(float(r["ci_lo"]), float(r["ci_hi"])),
            )
        )
    return out


def transmission_metrics(table: pd.DataFrame, *, per_link: bool = True) -> dict[str, float]:
    """Flat MLflow metrics: counts (used, refused), how much the links rest on their own data, and, per used
    cross-series link, the effective (shrunk) estimates."""
    if table is None or table.empty:
        return {"transmission.n_links": 0.0, "transmission.n_used": 0.0}
    used = table[table["used"].astype(bool)] if "used" in table.columns else table
    form = used["form"] if "form" in used.columns else pd.Series("log", index=used.index)
    reg = used[form.isin(["log", "level", "macro"])]
    out: dict[str, float] = {
        "transmission.n_links": float(len(table)),
        "transmission.n_used": float(len(used)),
        "transmission.n_exposure": float((form == "exposure").sum()),
        "transmission.n_regression": float(len(reg)),
        "transmission.n_refused": float((table["model"] == "refused").sum()),
    }
    if len(reg):
        out["transmission.median_abs_elasticity"] = float(reg["elasticity"].abs().median())
        out["transmission.max_abs_elasticity"] = float(reg["elasticity"].abs().max())
        out["transmission.median_se"] = float(reg["se"].median())
        if "weight" in reg.columns:
            out["transmission.median_weight"] = float(reg["weight"].median())
            out["transmission.n_weak"] = float((reg["weight"] < 0.2).sum())
    if per_link:
        coef = reg["coefficient"] if "coefficient" in reg.columns else reg["elasticity"]
        for r, c in zip(reg.itertuples(index=False), coef, strict=True):
            key = f"transmission/{r.target_id}/{r.driver_id}"
            out |= {f"{key}/coefficient": float(c), f"{key}/se": float(r.se)}
    return out


__all__ = [
    "TRANSMISSION_COLUMNS",
    "Link",
    "estimate_transmission",
    "level_units",
    "log_units",
    "partition_edges",
    "share_parent",
    "synthetic_ids",
    "transmission_metrics",
]
