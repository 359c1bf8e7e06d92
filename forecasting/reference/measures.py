"""Measure registry: what each measure is, its unit, frequency and whether it adds up.

Definitions live in ``measures/*.toml`` (one file per family of sources), each table keyed by measure name::

    [fdi_inward_position]
    description = "Inward FDI position (stock) at end of year"
    unit = "GBP million"
    frequency = "A"          # A | Q | M
    aggregation = "sum"      # sum (flows, counts, stocks) | none (rates, ratios, indices)
    non_negative = false     # true: never forecast or accept below zero
    floor_from_history = false  # true: may be negative, but a series never negative is bounded at 0
    derive_clusters = false  # true: industry slices (cluster = "sic-...") are summed into cluster series
    complete_listing = false # true: absent from the listing = zero (partner record lists)
    currency = "GBP"         # GBP | USD | "none" (not a money amount)
    price_basis = "current"  # current | chained_volume | index | none
    base_year = "none"       # reference year of chained-volume / index measures (2019), else "none"
    seasonal_adjustment = "none"  # sa | nsa | none (annual)
    quantity = "stock"       # stock | flow | count | rate | index | ratio
    scale = 1e6              # the unit's multiplier: 1e6 for "GBP million", 1 for "USD", counts, rates
    bounds = [0, 100]        # optional plausibility bounds in the measure's unit (default: see below)

The unit fields are required (TOML has no null: write ``"none"``), so a new measure cannot silently
inherit a guess; ``Measure`` checks they agree with each other and with ``unit``.

Plausibility bounds: ingest refuses a value outside ``Measure.plausible`` (a typo, a unit slip or a
corrupt export would otherwise train a model on 1e308). Without ``bounds`` the default rule is by quantity,
in base units (value x scale): money amounts and other stocks/flows within +-1e15 (ten times world GDP in
£ or US$), counts within 1e10 (above world population), rates and indices within +-1e6 (room for
hyperinflation), ratios within +-1e12 (local currency per US$ reaches 1e10); the lower end is 0 for
non-negative measures. A measure bounded by construction (a percentage share) declares ``bounds``.
"""

from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from forecasting.errors import NotFound

MEASURE_DIR = Path(__file__).parent / "measures"
# Default plausibility limit on |value x scale| by quantity (see the module docstring for why these).
DEFAULT_LIMITS: dict[str, float] = {
    "stock": 1e15,
    "flow": 1e15,
    "count": 1e10,
    "rate": 1e6,
    "index": 1e6,
    "ratio": 1e12,
}


class Measure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    unit: str
    frequency: Literal["A", "Q", "M"]
    aggregation: Literal["sum", "none"]
    non_negative: bool = False
    # a measure that can be negative in principle (a net position) but whose series that never were
    # (regional inward positions, world inflows) get forecast bands bounded at 0, with the reason stated
    floor_from_history: bool = False
    derive_clusters: bool = False
    # true for counts/amounts from a listing of every record (partner exports): an area or year absent
    # from the listing had none, so it is a zero, not a gap
    complete_listing: bool = False
    # Units as data, no defaults: £/US$, CP/CVM, reference years and scales coexist; converting needs them
    currency: Literal["GBP", "USD"] | None
    price_basis: Literal["current", "chained_volume", "index", "none"]
    base_year: int | None
    seasonal_adjustment: Literal["sa", "nsa", "none"]
    quantity: Literal["stock", "flow", "count", "rate", "index", "ratio"]
    scale: float
    # Plausibility bounds [lo, hi] in the measure's unit; None: the default rule by quantity (DEFAULT_LIMITS)
    bounds: tuple[float, float] | None = None

    @field_validator("currency", "base_year", mode="before")
    @classmethod
    def _none_word(cls, v: object) -> object:
        """TOML has no null: the word "none" stands for it."""
        return None if v == "none" else v

    @model_validator(mode="after")
    def _units_agree(self) -> Self:
        """Reject contradictory unit fields (each would mislead a conversion later)."""
        problems: list[str] = []
        if not self.scale > 0:
            problems.append("scale must be > 0")
        if (self.price_basis in ("chained_volume", "index")) != (self.base_year is not None):
            problems.append("base_year is required for chained_volume/index measures and only for them")
        if (self.quantity == "index") != (self.price_basis == "index"):
            problems.append("quantity 'index' goes with price_basis 'index' (and only with it)")
        if (self.currency is None) != (self.price_basis in ("index", "none")):
            problems.append("money amounts (currency set) are current or chained_volume; others are not")
        if self.currency is not None and not self.unit.startswith(self.currency):
            problems.append(f"unit {self.unit!r} does not start with the currency {self.currency}")
        if self.currency is None and self.quantity != "ratio" and any(c in self.unit for c in ("GBP", "USD")):
            problems.append(f"unit {self.unit!r} names a currency but currency is none")
        if ("million" in self.unit) != (self.scale == 1e6):
            problems.append(f"scale {self.scale:g} does not match unit {self.unit!r}")
        if (self.frequency == "A") != (self.seasonal_adjustment == "none"):
            problems.append("seasonal_adjustment is 'none' exactly for annual measures")
        if self.aggregation == "sum" and (
            self.quantity in ("rate", "index", "ratio") or self.price_basis == "chained_volume"
        ):
            problems.append("rates, ratios, indices and chained volumes do not add up: aggregation 'none'")
        if self.bounds is not None:
            lo, hi = self.bounds
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                problems.append(f"bounds {list(self.bounds)} must be finite with lo < hi")
            elif self.non_negative and lo < 0:
                problems.append(f"bounds {list(self.bounds)} go below 0 but the measure is non_negative")
        if problems:
            raise ValueError(f"measure {self.name!r}: " + "; ".join(problems))
        return self

    @property
    def plausible(self) -> tuple[float, float]:
        """[lo, hi] a value of this measure must lie in (its ``bounds``, else the default rule)."""
        if self.bounds is not None:
            return self.bounds
        hi = DEFAULT_LIMITS[self.quantity] / self.scale
        return (0.0 if self.non_negative else -hi, hi)

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
