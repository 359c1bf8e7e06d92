"""ONS "FDI involving UK companies (directional)" observations: UK FDI by partner area and industry.

Columns: ``Investment Direction, Year, International Trade Basis, FDI Area, FDI Component, FDI Industry,
Value, Marker``; values £ million, current prices, annual. Geography is the UK (``canonical`` "UK").

Measures come from the six headline components (exact strings in the file; each must be present):

=======  ========================================================================  =======================
inward   Total Net Fdi In The Uk                                                   fdi_uk_inward_flow
inward   Total Net Fdi International Investment Position In The Uk At End Period  fdi_uk_inward_position
inward   Total Net Fdi Earnings In The Uk                                          fdi_uk_inward_earnings
outward  Total Net Fdi Abroad                                                      fdi_uk_outward_flow
outward  Total Net Fdi International Investment Position Abroad At End Period     fdi_uk_outward_position
outward  Total Net Fdi Earnings Abroad                                             fdi_uk_outward_earnings
=======  ========================================================================  =======================

The other components (flow/earnings/position breakdowns such as "Fdi Uk Branches", "Fdi Unremitted
Profits (Reinvested Earnings)", published for World Total only) are not ingested. A headline component
under the wrong direction is an error.

Slices go in ``cluster``: ``all`` = World Total × All Activities; ``ind-<slug>`` = World Total × one FDI
industry (e.g. ``ind-transport-equipment``); ``partner-<slug>`` = one partner area × All Activities (e.g.
``partner-usa``). The partner × industry cross is skipped (sparse, mostly disclosive, and not needed).

Markers: ``disclosive`` = suppressed (dropped); ``itis-nil`` = nil (value 0). Years 2010-2011 are BPM5,
2012 on BPM6: both are kept (the basis change is noted in the measure descriptions). The published file
repeats some position rows exactly (2016-2019 positions appear in two source tables): exact repeats are
collapsed to one, repeats with a different value or marker are an error.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.sources.canonical import (
    check_row_count,
    finish_frame,
    parse_year,
    read_csv,
    record_lines,
    require_columns,
    to_number,
)
from forecasting.sources.errors import IngestError

COLUMNS = (
    "Investment Direction",
    "Year",
    "International Trade Basis",
    "FDI Area",
    "FDI Component",
    "FDI Industry",
    "Value",
    "Marker",
)
COMPONENTS: dict[tuple[str, str], str] = {
    ("inward", "Total Net Fdi In The Uk"): "fdi_uk_inward_flow",
    (
        "inward",
        "Total Net Fdi International Investment Position In The Uk At End Period",
    ): "fdi_uk_inward_position",
    ("inward", "Total Net Fdi Earnings In The Uk"): "fdi_uk_inward_earnings",
    ("outward", "Total Net Fdi Abroad"): "fdi_uk_outward_flow",
    (
        "outward",
        "Total Net Fdi International Investment Position Abroad At End Period",
    ): "fdi_uk_outward_position",
    ("outward", "Total Net Fdi Earnings Abroad"): "fdi_uk_outward_earnings",
}
WORLD = "World Total"
ALL_INDUSTRIES = "All Activities"
MARKERS = ("", "disclosive", "itis-nil")
BASES = ("BPM5", "BPM6")


def slug(text: str) -> str:
    """'Retail & wholesale trade, repair of…' -> 'retail-wholesale-trade-repair-of…' ([a-z0-9-] only)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _first_bad(mask: pd.Series | np.ndarray) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])


def _check_values(
    df: pd.DataFrame, column: str, allowed: tuple[str, ...], lines: np.ndarray, path: Path
) -> None:
    bad = ~df[column].isin(allowed)
    if bad.any():
        i = _first_bad(bad)
        raise IngestError(
            path,
            f"unexpected {column}",
            line=int(lines[i]),
            column=column,
            expected=f"one of {list(allowed)}",
            got=df[column].iloc[i],
        )


def _slices(df: pd.DataFrame, path: Path, lines: np.ndarray) -> pd.Series:
    """cluster per row, or None for the skipped partner x industry cross."""
    world = df["FDI Area"] == WORLD
    all_ind = df["FDI Industry"] == ALL_INDUSTRIES
    for col in ("FDI Industry", "FDI Area"):
        seen: dict[str, str] = {}
        for name in df[col].unique():
            sid = slug(name)
            if not sid or sid in seen:
                i = _first_bad(df[col] == name)
                raise IngestError(
                    path,
                    f"{col} name gives an empty or ambiguous slice id {sid!r}",
                    line=int(lines[i]),
                    column=col,
                    got=name,
                )
            seen[sid] = name
    cluster = np.where(
        world & all_ind,
        "all",
        np.where(
            world,
            "ind-" + df["FDI Industry"].map(slug),
            np.where(all_ind, "partner-" + df["FDI Area"].map(slug), None),
        ),
    )
    return pd.Series(cluster, index=df.index)


def parse_directional(path: Path) -> pd.DataFrame:
    """UK inward/outward FDI flows, positions and earnings, with industry and partner-area slices."""
    path = Path(path)
    lines = record_lines(path)
    df = read_csv(path)
    require_columns(df, COLUMNS, path)
    check_row_count(df, lines, path)
    df = df.loc[:, list(COLUMNS)].apply(lambda s: s.str.strip())

    _check_values(df, "Investment Direction", ("inward", "outward"), lines, path)
    _check_values(df, "International Trade Basis", BASES, lines, path)
    _check_values(df, "Marker", MARKERS, lines, path)
    present = set(zip(df["Investment Direction"], df["FDI Component"], strict=True))
    headline = {c for _, c in COMPONENTS}
    for (direction, component), _ in COMPONENTS.items():
        if (direction, component) not in present:
            raise IngestError(
                path,
                f"headline component missing for {direction} FDI",
                column="FDI Component",
                expected=repr(component),
            )
    wrong_way = df["FDI Component"].isin(headline) & ~pd.Series(
        [k in COMPONENTS for k in zip(df["Investment Direction"], df["FDI Component"], strict=True)],
        index=df.index,
    )
    if wrong_way.any():
        i = _first_bad(wrong_way)
        raise IngestError(
            path,
            "headline component under the wrong investment direction",
            line=int(lines[i]),
            column="FDI Component",
            got=df["FDI Component"].iloc[i],
        )

    keep = df["FDI Component"].isin(headline).to_numpy()
    df, lines = df.loc[keep], lines[keep]
    cluster = _slices(df, path, lines)
    keep = cluster.notna().to_numpy()
    df, lines, cluster = df.loc[keep], lines[keep], cluster[keep]

    years = {
        y: parse_year(y, path, line=int(n), column="Year") for y, n in zip(df["Year"], lines, strict=True)
    }
    value = to_number(df["Value"], path, "Value", lines=lines)
    marker = df["Marker"].to_numpy()
    value = value.where(marker != "itis-nil", 0.0).where(marker != "disclosive", np.nan)
    rows = pd.DataFrame(
        {
            "measure": [
                COMPONENTS[k] for k in zip(df["Investment Direction"], df["FDI Component"], strict=True)
            ],
            "geography": "UK",
            "geo_system": "canonical",
            "cluster": cluster.to_numpy(),
            "frequency": "A",
            "period": df["Year"].map(years).to_numpy(),
            "value": value.to_numpy(),
            "line": lines,
            "_marker": marker,
        }
    )
    # exact repeats (same key, value and marker) come from overlapping source tables: keep the first
    rows = rows[~rows.duplicated(["measure", "cluster", "period", "value", "_marker"], keep="first")]
    return finish_frame(rows, path, key_column="FDI Area", value_column="Value")
