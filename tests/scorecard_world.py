"""A small in-memory world for scorecard tests: real cluster and geography definitions, made-up numbers."""

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


def _rows(
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


def make_inputs(seed: int = 3) -> Inputs:
    rng = np.random.default_rng(seed)
    clusters = load_clusters()
    itl2, lads, itl2_of_lad, itl1_of_itl2 = _geo_maps()
    rows = []
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
                    rows.append(_rows("bres_employment", g, f"sic-{code}", y, value, "bres_sic5"))
            for d in range(1, 100):
                rows.append(
                    _rows("bres_employment", g, f"sic-{d:02d}", y, 3000 + rng.integers(0, 500), "bres_sic2")
                )
    for r, base in (("TLF", 40000), ("TLG", 60000), ("UK", 1_000_000)):
        for y in range(2015, 2025):
            rows.append(_rows("fdi_inward_position", r, "all", y, base * 1.05 ** (y - 2015), "ons_els_fdi"))
    for lad in lads[:12]:
        for c in clusters[:10]:
            for y in range(2016, 2025):
                rows.append(_rows("fdi_projects", lad, c.id, y, rng.integers(0, 4), "synthetic", True))
    obs = pd.DataFrame(rows)
    by = {m: g.reset_index(drop=True) for m, g in obs.groupby("measure")}
    return Inputs(by, clusters, VINTAGE, itl2, lads, itl2_of_lad, itl1_of_itl2)


def make_bundle() -> BundleContents:
    """Forecasts of TLF/TLG/UK FDI positions (for the forecast metric and the momentum star)."""
    cat, hist, fc = [], [], []
    for r, base, g in (("TLF", 40000, 0.03), ("TLG", 60000, 0.06), ("UK", 1_000_000, 0.04)):
        sid = f"fdi_inward_position.{r}.all.A"
        cat.append({"series_id": sid, "is_synthetic": False})
        for y in range(2015, 2025):
            hist.append(
                {
                    "series_id": sid,
                    "period": str(y),
                    "period_start": pd.Timestamp(f"{y}-01-01"),
                    "value": base * 1.05 ** (y - 2015),
                    "source": "ons_els_fdi",
                    "vintage": VINTAGE,
                }
            )
        last = base * 1.05**9
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
