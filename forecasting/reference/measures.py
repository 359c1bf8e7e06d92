"""Measure registry: what each measure is, its unit, frequency and whether it adds up.

Definitions live in ``measures/*.toml`` (one file per family of sources), each table keyed by measure name::

    [fdi_inward_position]
    description = "Inward FDI position (stock) at end of year"
    unit = "GBP million"
    frequency = "A"          # A | Q | M
    aggregation = "sum"      # sum (flows, counts, stocks) | none (rates, ratios, indices)
    non_negative = false     # true: never forecast or accept below zero
    derive_clusters = false  # true: industry slices (cluster = "sic-...") are summed into cluster series
    complete_listing = false # true: absent from the listing = zero (partner record lists)
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from forecasting.errors import NotFound

MEASURE_DIR = Path(__file__).parent / "measures"


class Measure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    unit: str
    frequency: Literal["A", "Q", "M"]
    aggregation: Literal["sum", "none"]
    non_negative: bool = False
    derive_clusters: bool = False
    # true for counts/amounts from a listing of every record (partner exports): an area or year absent
    # from the listing had none, so it is a zero, not a gap
    complete_listing: bool = False

    @property
    def summable(self) -> bool:
        return self.aggregation == "sum"


@lru_cache(maxsize=1)
def load_measures() -> dict[str, Measure]:
    out: dict[str, Measure] = {}
    for path in sorted(MEASURE_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        for name, spec in data.items():
            if name in out:
                raise ValueError(f"{path.name}: measure {name!r} is already defined in another file")
            if "." in name:
                raise ValueError(f"{path.name}: measure name {name!r} must not contain '.'")
            out[name] = Measure(name=name, **spec)
    return out


def get_measure(name: str) -> Measure:
    measures = load_measures()
    if name not in measures:
        raise NotFound(f"unknown measure {name!r}; known: {sorted(measures)}")
    return measures[name]
