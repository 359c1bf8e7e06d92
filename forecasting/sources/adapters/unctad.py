"""UNCTADstat FDI flows and stocks (bulk series US.FdiFlowsStock, one World Investment Report edition).

Layout: one row per (Year, Economy, Flow, Direction) with columns ``Year, Economy, Economy Label, Flow
(08 flow / 09 stock), Flow Label, Direction (1 inward / 2 outward), Direction Label, US$ at current
prices in millions`` (+ ``Footnote`` and ``Missing value`` columns, and the same three for ``Percentage
of total world``, which is not read).

==============  =========  ==================================
Flow/Direction  labels     measure (US$ million, annual)
==============  =========  ==================================
08 / 1          Flow/In    ``unctad_fdi_inward_flow_usd``
08 / 2          Flow/Out   ``unctad_fdi_outward_flow_usd``
09 / 1          Stock/In   ``unctad_fdi_inward_stock_usd``
09 / 2          Stock/Out  ``unctad_fdi_outward_stock_usd``
==============  =========  ==================================

Economies: UNCTAD writes UN M49 numeric codes (``826`` United Kingdom) and 4-digit group codes
(``0000`` World, ``5100`` Africa, ``1610`` LDCs …). ``forecasting/reference/geography/unctad_m49.csv``
maps them as data: economies go in under their ISO3 code (``geo_system`` iso3: GBR -> UK), World under
WLD; UNCTAD's groups are not ingested (sums of economies on UNCTAD's own membership, which is not WDI's:
a WDI aggregate code would silently mean something else) and neither are former economies (Czechoslovakia,
Sudan (...2011) …: never spliced onto a successor's code). A code missing from the lookup, or whose label
differs from it, is an ``IngestError`` (a new edition may reuse or add codes: map them deliberately).

Blank values (UNCTAD's "Missing value" notes: "Not applicable", "Negative accumulation of flows") are
dropped. Basis: directional, except where UNCTAD's footnote says "Asset/liability basis." (776 rows:
e.g. Korea, Singapore, Taiwan Province of China, South Africa); those are UNCTAD's own published
values, included in its World totals, and are kept (the count is in ``ASSET_LIABILITY_FOOTNOTE``
checks of the tests). WDI's BX.KLT.DINV.CD.WD (``fdi_net_inflows_usd``) stays a separate measure.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.reference.geography import DATA_DIR
from forecasting.sources.canonical import (
    check_series_order,
    finish_frame,
    read_csv,
    record_lines,
    reject_first,
    require_columns,
    to_number,
)
from forecasting.sources.errors import IngestError

VALUE = "US$ at current prices in millions"
COLUMNS = ("Year", "Economy", "Economy Label", "Flow", "Flow Label", "Direction", "Direction Label", VALUE)
MEASURES: dict[tuple[str, str], tuple[str, str, str]] = {
    # (Flow, Direction) -> (measure, Flow Label, Direction Label)
    ("08", "1"): ("unctad_fdi_inward_flow_usd", "Flow", "Inward"),
    ("08", "2"): ("unctad_fdi_outward_flow_usd", "Flow", "Outward"),
    ("09", "1"): ("unctad_fdi_inward_stock_usd", "Stock", "Inward"),
    ("09", "2"): ("unctad_fdi_outward_stock_usd", "Stock", "Outward"),
}
ASSET_LIABILITY_FOOTNOTE = "Asset/liability basis."
LOOKUP = "unctad_m49.csv"


@lru_cache(maxsize=1)
def m49_lookup() -> pd.DataFrame:
    """UNCTAD economy code -> label, ISO3 and kind (economy | world | group | former), as data."""
    df = pd.read_csv(DATA_DIR / LOOKUP, dtype=str, keep_default_na=False, comment="#")
    return df.set_index("m49")


def parse_unctad_fdi(path: Path) -> pd.DataFrame:
    """Inward and outward FDI flows and stocks (US$ million) of every economy and the World."""
    path = Path(path)
    lines = record_lines(path)
    df = read_csv(path)
    require_columns(df, COLUMNS, path)
    if len(df) != len(lines):
        raise IngestError(path, f"pandas read {len(df)} rows but the file has {len(lines)} records")
    key = list(zip(df["Flow"].str.strip(), df["Direction"].str.strip(), strict=True))
    reject_first(
        np.array([k not in MEASURES for k in key]), path, "unknown Flow/Direction code", lines=lines,
        column="Flow", expected="Flow 08 (flow) or 09 (stock), Direction 1 (inward) or 2 (outward)",
        got=pd.Series([f"{f}/{d}" for f, d in key]),
    )  # fmt: skip
    labels = [MEASURES[k][1:] for k in key]
    mislabelled = (df["Flow Label"].str.strip() != [lab[0] for lab in labels]) | (
        df["Direction Label"].str.strip() != [lab[1] for lab in labels]
    )
    reject_first(
        mislabelled, path, "Flow/Direction label disagrees with its code", lines=lines, column="Flow Label",
        expected="08 Flow, 09 Stock; 1 Inward, 2 Outward", got=df["Flow Label"] + "/" + df["Direction Label"],
    )  # fmt: skip
    lookup = m49_lookup()
    code = df["Economy"].str.strip()
    unknown = ~code.isin(lookup.index)
    reject_first(
        unknown, path, "economy code not in the UNCTAD code lookup", lines=lines, column="Economy",
        expected=f"a code listed in forecasting/reference/geography/{LOOKUP}", got=code,
    )  # fmt: skip
    known = lookup.reindex(code)
    reject_first(
        known["label"].to_numpy() != df["Economy Label"].str.strip().to_numpy(), path,
        "economy label differs from the code lookup (a reused or renamed code?)", lines=lines,
        column="Economy Label", expected="the label in the lookup", got=df["Economy Label"],
    )  # fmt: skip
    years = df["Year"].str.strip()
    reject_first(
        ~years.str.fullmatch(r"\d{4}"), path, "unparseable year", lines=lines, column="Year",
        expected="a year like 2024", got=df["Year"],
    )  # fmt: skip
    values = to_number(df[VALUE], path, VALUE, lines=lines)
    keep = known["kind"].isin(["economy", "world"]).to_numpy()
    rows = pd.DataFrame(
        {
            "measure": [MEASURES[k][0] for k in key],
            "geography": known["iso3"].to_numpy(),
            "geo_system": "iso3",
            "cluster": "all",
            "frequency": "A",
            "period": pd.to_datetime(years + "-01-01").to_numpy(),
            "value": values.to_numpy(),
            "line": lines,
        }
    )[keep]
    rows = rows.sort_values(["measure", "geography", "period"], kind="stable")
    check_series_order(rows, path, by=("measure", "geography"))
    return finish_frame(rows, path, key_column="Year", value_column=VALUE)
