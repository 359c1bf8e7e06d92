"""Input-data error the Monte Carlo draws: rounding of published counts and revisions between releases.

Why: a rank interval that only varies weights and normalisation treats every published number as exact. The
open BRES is rounded (a cell of 1,000 could be 950-1,049 ... or 500-1,499 above 5,000), UK Business Counts to
the nearest 5, and regional GVA by industry moves between releases. Each input replicate re-draws those
inputs from what is known about their error (``catalogue.toml`` ``[inputs]``):

* rounding: the true value is uniform within half a rounding step of the published value (0 stays in
  [0, half a step));
* revision: each value is scaled by 1 + e, e ~ Normal(0, s), where s is the robust (MAD-based) size of the
  relative revisions between the releases the warehouse holds, per industry (pooled where an industry has
  fewer than ``MIN_COMPARISONS``). Releases published at different geographies are compared at ITL1 (ITL2
  areas of the newer release summed to their region).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.scorecards.catalogue import Catalogue, InputSpec
from forecasting.scorecards.inputs import Inputs

MIN_COMPARISONS = 6
RECENT_YEARS = 3  # revision sizes from the last common years of two releases (older years are revised less)
MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class RevisionSize:
    """Relative revision sd per slice (``cluster`` column) and pooled, from two releases."""

    by_slice: dict[str, float]
    pooled: float
    n: int
    releases: tuple[str, str]
    years: tuple[int, ...]

    def sd(self, slices: np.ndarray) -> np.ndarray:
        return np.array([self.by_slice.get(s, self.pooled) for s in slices], float)


def _at_itl1(df: pd.DataFrame, itl1_of_itl2: dict[str, str]) -> pd.DataFrame:
    """One release at ITL1 (+ UK): published ITL1 rows, else its ITL2 rows summed to their region."""
    regions = set(itl1_of_itl2.values()) | {"UK"}
    direct = df[df["geography"].isin(regions)]
    kids = df[df["geography"].isin(itl1_of_itl2)].assign(geography=lambda d: d["geography"].map(itl1_of_itl2))
    summed = kids.groupby(["geography", "cluster", "period"], as_index=False)["value"].sum()
    keys = ["geography", "cluster", "period"]
    have = direct.set_index(keys).index
    summed = summed[~summed.set_index(keys).index.isin(have)]
    return pd.concat([direct[[*keys, "value"]], summed], ignore_index=True)


def revision_size(releases: pd.DataFrame, itl1_of_itl2: dict[str, str]) -> RevisionSize | None:
    """MAD-based relative revision sd between the two latest releases that overlap."""
    if releases.empty or releases["release"].nunique() < 2:
        return None
    by_rel = {r: _at_itl1(g, itl1_of_itl2) for r, g in releases.groupby("release")}
    order = sorted(by_rel)
    keys = ["geography", "cluster", "period"]
    for new_i in range(len(order) - 1, 0, -1):
        for old_i in range(new_i - 1, -1, -1):
            old, new = by_rel[order[old_i]], by_rel[order[new_i]]
            j = old.merge(new, on=keys, suffixes=("_old", "_new"))
            j = j[(j["value_old"] > 0) & (j["value_new"] > 0)]
            if j.empty:
                continue
            years = sorted(j["period"].dt.year.unique())[-RECENT_YEARS:]
            j = j[j["period"].dt.year.isin(years)]
            rel = (j["value_new"] / j["value_old"] - 1.0).abs()
            pooled = float(MAD_TO_SD * rel.median())
            by = rel.groupby(j["cluster"]).agg(["median", "size"])
            by_slice = {
                str(k): float(MAD_TO_SD * r["median"])
                for k, r in by.iterrows()
                if r["size"] >= MIN_COMPARISONS
            }
            return RevisionSize(
                by_slice, pooled, len(j), (order[old_i], order[new_i]), tuple(int(y) for y in years)
            )
    return None


def rounding_draw(values: np.ndarray, spec: InputSpec, rng: np.random.Generator) -> np.ndarray:
    """Values re-drawn uniformly within half a rounding step (zeros within [0, half a step))."""
    bounds = np.array([b for b, _ in spec.grid])
    steps = np.array([s for _, s in spec.grid])
    v = np.asarray(values, float)
    step = steps[np.minimum(np.searchsorted(bounds, v, side="left"), len(steps) - 1)]
    u = rng.uniform(-0.5, 0.5, size=v.shape)
    out = np.where(v > 0, v + u * step, (u + 0.5) * step / 2.0)
    return np.where(np.isfinite(v), np.maximum(out, 0.0), v)


@dataclass
class InputErrorModel:
    """Per measure, how to re-draw its published values; built once per warehouse read."""

    catalogue: Catalogue
    revisions: dict[str, RevisionSize | None] = field(default_factory=dict)

    @classmethod
    def from_inputs(cls, inp: Inputs, catalogue: Catalogue) -> InputErrorModel:
        revs = {}
        for m, spec in catalogue.inputs.items():
            if spec.error == "revision":
                revs[m] = revision_size(inp.releases.get(m, pd.DataFrame()), inp.itl1_of_itl2)
        return cls(catalogue, revs)

    def measures(self, inp: Inputs) -> list[str]:
        """Measures that will actually be perturbed (held, and with an error model that has a size)."""
        out = []
        for m, spec in self.catalogue.inputs.items():
            if inp.get(m).empty or spec.error == "none":
                continue
            if spec.error == "revision" and self.revisions.get(m) is None:
                continue
            out.append(m)
        return out

    def draw(self, inp: Inputs, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """New values for every perturbed measure (same rows, same order)."""
        out = {}
        for m in self.measures(inp):
            spec = self.catalogue.input(m)
            df = inp.get(m)
            v = df["value"].to_numpy(float)
            if spec.error == "rounding":
                out[m] = rounding_draw(v, spec, rng)
            else:
                size = self.revisions[m]
                sd = inp.cached(
                    f"revision-sd:{m}", lambda df=df, size=size: size.sd(df["cluster"].to_numpy())
                )
                out[m] = v * (1.0 + rng.standard_normal(len(v)) * sd)
        return out

    def describe(self, inp: Inputs) -> list[dict[str, object]]:
        """One row per input measure: what is drawn and how large it is (for the methodology page)."""
        rows = []
        for m, spec in self.catalogue.inputs.items():
            row: dict[str, object] = {
                "measure": m,
                "error": spec.error,
                "why": spec.why,
                "held": not inp.get(m).empty,
            }
            if spec.error == "rounding":
                row["size"] = "grid " + ", ".join(
                    f"{s:g} to {b:,.0f}" if np.isfinite(b) else f"{s:g} above" for b, s in spec.grid
                )
            elif spec.error == "revision":
                size = self.revisions.get(m)
                if size is None:
                    row["size"] = "fewer than two overlapping releases held: not drawn"
                    row["error"] = "none"
                else:
                    row["size"] = (
                        f"relative sd {size.pooled * 100:.1f}% pooled ({len(size.by_slice)} industries sized "
                        f"separately) from {size.n:,} comparisons, releases {size.releases[0]} vs "
                        f"{size.releases[1]}, years {size.years[0]}-{size.years[-1]}"
                    )
                    row["pooled_sd"] = size.pooled
            else:
                row["size"] = "not drawn"
            rows.append(row)
        return rows
