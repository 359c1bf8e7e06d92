"""A small in-memory world for scorecard tests: real cluster and geography definitions, made-up numbers.

It holds every family the catalogue reads (BRES 2- and 5-digit slices, GB business counts, ITL2 GVA by
industry in two releases, LAD business demography, regional R&D, FDI positions) and partner lists that are
either synthetic demo data (``partner="synthetic"``, the default: what `invest run` holds without
``INVEST_PARTNER_DIR``) or licensed exports (``partner="licensed"``: same layout, no synthetic mark).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from bundle_parts import make_metadata

from forecasting.reference.clusters import load_clusters
from forecasting.registry.contents import BundleContents
from forecasting.scorecards.inputs import Inputs, _geo_maps
from forecasting.vocabulary import QUANTILE_GRID

ITL2 = ["TLF1", "TLF2", "TLF3", "TLG1", "TLG2", "TLG3", "TLC1", "TLD3", "TLI3", "TLK1"]
VINTAGE = "v-test"
PARTNER_SOURCES = {
    "fdi_projects": "partner_fdi_projects",
    "equity_deals": "partner_equity_deals",
    "equity_amount_gbp": "partner_equity_deals",
    "company_count": "partner_company_list",
}


def _row(
    measure: str, geo: str, cluster: str, year: int, value: float, source: str, syn: bool = False
) -> dict:
    return {
        "measure": measure,
        "geography": geo,
        "cluster": cluster,
        "frequency": "A",
        "period": pd.Timestamp(f"{year}-01-01"),
        "value": float(value),
        "source": source,
        "vintage": VINTAGE,
        "is_synthetic": syn,
    }


def _bres(rows: list[dict], rng: np.random.Generator, clusters: list) -> dict[tuple[str, int, str], float]:
    """BRES 5-digit cluster slices and 2-digit totals; returns 2-digit employment by (area, year, div)."""
    div_emp: dict[tuple[str, int, str], float] = {}
    for g in ITL2:
        for y in (2015, 2021):
            seen: set[str] = set()
            for i, c in enumerate(clusters):
                for e in c.sic:
                    code = e if len(e) == 5 else f"{e}110"
                    if code in seen:  # a shared subclass is one slice, counted in each cluster covering it
                        continue
                    seen.add(code)
                    value = (1000 + 200 * i + rng.integers(0, 3000)) / len(c.sic)
                    rows.append(_row("bres_employment", g, f"sic-{code}", y, value, "bres_sic5"))
            for d in range(1, 100):
                v = 3000 + rng.integers(0, 500)
                div_emp[(g, y, f"{d:02d}")] = float(v)
                rows.append(_row("bres_employment", g, f"sic-{d:02d}", y, v, "bres_sic2"))
    return div_emp


def make_inputs(seed: int = 3, partner: str | None = "synthetic") -> Inputs:
    """The world; ``partner`` = "synthetic" (demo files), "licensed" (exports) or None (no partner data)."""
    rng = np.random.default_rng(seed)
    clusters = load_clusters()
    itl2, lads, itl2_of_lad, itl1_of_itl2 = _geo_maps()
    rows: list[dict] = []
    div_emp = _bres(rows, rng, clusters)
    # GB business counts (published rounded to 5), 2020-2021
    for i, c in enumerate(clusters):
        for y in (2020, 2021):
            n = 5 * round((800 + 60 * i + rng.integers(0, 400)) / 5)
            rows.append(_row("business_count_enterprises", "GB", c.id, y, n, "gb_business_counts"))
            rows.append(
                _row(
                    "business_count_enterprises_250plus", "GB", c.id, y, 5 * (1 + i % 7), "gb_business_counts"
                )
            )
    # ITL2 GVA by division (2024 release) and its 2023 release at ITL1 (ITL2 sums revised by a few %)
    productivity = {f"{d:02d}": 30_000 + 1_000 * rng.integers(0, 90) for d in range(1, 100)}
    releases = []
    for y in (2020, 2021):
        by_region: dict[tuple[str, str], float] = {}
        for g in ITL2:
            for d in range(1, 100):
                div = f"{d:02d}"
                v = div_emp[(g, 2021, div)] * productivity[div] / 1e6 * (1.0 if y == 2021 else 0.96)
                rows.append(_row("gva_cp", g, f"sic-{div}", y, v, "ons_gva_industry_2c"))
                releases.append(
                    {**_row("gva_cp", g, f"sic-{div}", y, v, "ons_gva_industry_2c"), "release": "2024-04-24"}
                )
                key = (itl1_of_itl2[g], div)
                by_region[key] = by_region.get(key, 0.0) + v
        for (r, div), v in by_region.items():
            old = v * (1 + rng.normal(0, 0.03))
            releases.append(
                {**_row("gva_cp", r, f"sic-{div}", y, old, "ons_gva_industry_1c"), "release": "2023-04-25"}
            )
    for r, total in (("TLF", 110_000.0), ("TLG", 150_000.0), ("UK", 2_000_000.0)):
        for y in (2020, 2021, 2022):
            rows.append(_row("gva_cp", r, "all", y, total * (1 + 0.05 * (y - 2020)), "ons_gva_itl_total"))
    # Regional R&D: BERD calendar 2022; public R&D by April-March financial year (2020 = FY 2020/21)
    for r, berd, pub in (("TLF", 2300.0, 650.0), ("TLG", 3700.0, 760.0), ("UK", 50_000.0, 13_400.0)):
        rows.append(_row("berd", r, "all", 2022, berd, "ons_els_berd"))
        rows.append(_row("public_rd", r, "all", 2020, pub, "ons_els_public_rd"))
        rows.append(_row("public_rd", r, "all", 2021, pub * 1.04, "ons_els_public_rd"))
    # LAD business demography (all industries): births and high growth to 2024, 3-year survival of the 2021 cohort
    for lad in [*lads[:14], "UK"]:
        for y in (2022, 2023, 2024):
            rows.append(
                _row(
                    "active_businesses",
                    lad,
                    "all",
                    y,
                    2000 + rng.integers(0, 8000),
                    "ons_els_business_demography",
                )
            )
            rows.append(
                _row(
                    "business_birth_rate", lad, "all", y, 9 + rng.uniform(0, 6), "ons_els_business_demography"
                )
            )
            rows.append(
                _row("high_growth_rate", lad, "all", y, 3 + rng.uniform(0, 3), "ons_els_business_demography")
            )
        for y in (2020, 2021):
            rows.append(
                _row(
                    "survival_rate_3y", lad, "all", y, 45 + rng.uniform(0, 15), "ons_els_business_demography"
                )
            )
    for r, base in (("TLF", 40000), ("TLG", 60000), ("UK", 1_000_000)):
        for y in range(2015, 2025):
            g = 1.05 if r != "TLG" else 1.07
            rows.append(_row("fdi_inward_position", r, "all", y, base * g ** (y - 2015), "ons_els_fdi"))
    if partner is not None:
        syn = partner == "synthetic"
        for lad in lads[:12]:
            for k, c in enumerate(clusters):
                for y in range(2016, 2025):
                    for m, v in (
                        ("fdi_projects", rng.integers(0, 4 + k % 5)),
                        ("equity_deals", rng.integers(0, 3 + k % 4)),
                        ("equity_amount_gbp", rng.integers(0, 5_000_000)),
                    ):
                        rows.append(_row(m, lad, c.id, y, v, "synthetic" if syn else PARTNER_SOURCES[m], syn))
                rows.append(
                    _row(
                        "company_count",
                        lad,
                        c.id,
                        2024,
                        5 + rng.integers(0, 40),
                        "synthetic" if syn else PARTNER_SOURCES["company_count"],
                        syn,
                    )
                )
    obs = pd.DataFrame(rows)
    by = {m: g.reset_index(drop=True) for m, g in obs.groupby("measure")}
    rel = pd.DataFrame(releases)
    return Inputs(by, clusters, VINTAGE, itl2, lads, itl2_of_lad, itl1_of_itl2, releases={"gva_cp": rel})


def make_bundle() -> BundleContents:
    """Forecasts of TLF/TLG/UK FDI positions (for the forecast metric and the momentum star)."""
    cat, hist, fc = [], [], []
    for r, base, g in (("TLF", 40000, 0.03), ("TLG", 60000, 0.06), ("UK", 1_000_000, 0.04)):
        sid = f"fdi_inward_position.{r}.all.A"
        cat.append({"series_id": sid, "is_synthetic": False})
        growth = 1.05 if r != "TLG" else 1.07
        for y in range(2015, 2025):
            hist.append(
                {
                    "series_id": sid,
                    "period": str(y),
                    "period_start": pd.Timestamp(f"{y}-01-01"),
                    "value": base * growth ** (y - 2015),
                    "source": "ons_els_fdi",
                    "vintage": VINTAGE,
                }
            )
        last = base * growth**9
        for step in range(1, 6):
            mean = last * (1 + g) ** step
            row = {
                "series_id": sid,
                "step": step,
                "period": str(2024 + step),
                "period_start": pd.Timestamp(f"{2024 + step}-01-01"),
                "mean": mean,
            }
            row |= {
                f"q{q:g}": mean * (1 + 0.02 * step * float(np.sign(q - 0.5)) * abs(q - 0.5) * 4)
                for q in QUANTILE_GRID
            }
            fc.append(row)
    empty = pd.DataFrame()
    return BundleContents(
        pd.DataFrame(cat),
        pd.DataFrame(hist),
        pd.DataFrame(fc),
        empty,
        empty,
        empty,
        empty,
        metadata=make_metadata(
            data_vintage=VINTAGE, model_name="test-model", model_version="7", max_horizon=5
        ),
    )
