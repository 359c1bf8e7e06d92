"""ONS datasets in the "edd long layout": one Parquet row per (series, period), series named by CDID.

The economic-analytics/edd repository reshapes ONS dataset downloads (CXNV, QNA, MGDP …) into Parquet
files with exactly these columns (the numbers are the publisher's, the layout is not):

====================  ==========================================================================
dataset               the ONS dataset id, e.g. ``CXNV``, ``QNA``, ``MGDP`` (one per file)
dates.date            the period start (a date; 2024 Q1 -> 2024-01-01)
dates.freq            ``a`` (annual), ``q`` (quarterly) or ``m`` (monthly)
variable.code         the CDID, e.g. ``NPEL``
value                 the number (empty cells were dropped upstream)
variable.name         the ONS series title
variable.preunit      e.g. ``£`` (or null)
variable.unit         e.g. ``m`` (or null)
====================  ==========================================================================

CDIDs map to measures through the same tables as the verbatim CSV layout
(``ons_dataset.CXNV_SERIES``, ``QNA_SERIES``, ``MGDP_SERIES``) and ``ons_dataset.cdid_frame`` does the
rest (units agree with the measure, required CDIDs present, the reference year read off the file).
Line numbers in errors are the Parquet row number + 1 (row 1 of the file is reported as line 2, as
if the column names were line 1 of a CSV).

A missing or renamed column, a file that is not Parquet (or is truncated), a dataset id other than the
expected one, an unknown frequency or a date that is not a date is an ``IngestError`` naming the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from forecasting.sources.adapters.ons_dataset import (
    CXNV_SERIES,
    MGDP_SERIES,
    QNA_SERIES,
    CdidSeries,
    cdid_frame,
)
from forecasting.sources.canonical import reject_first, require_columns, unreadable_parquet
from forecasting.sources.errors import IngestError

LONG_COLUMNS: tuple[str, ...] = (
    "dataset",
    "dates.date",
    "dates.freq",
    "variable.code",
    "value",
    "variable.name",
    "variable.preunit",
    "variable.unit",
)
_FREQ = {"a": "A", "q": "Q", "m": "M"}


def read_long(path: Path) -> pd.DataFrame:
    """Read an edd long-layout Parquet file; unreadable, truncated or mis-shaped files are IngestErrors."""
    path = Path(path)
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise unreadable_parquet(path, exc) from exc
    df = table.to_pandas()
    require_columns(df, LONG_COLUMNS, path)
    return df


def _cdid_long(path: Path, dataset: str, series: dict[str, CdidSeries]) -> pd.DataFrame:
    """The mapped CDIDs of one long-layout file of ``dataset`` as canonical UK rows."""
    path = Path(path)
    df = read_long(path)
    if df.empty:
        raise IngestError(path, "no rows", expected="one row per (series, period)")
    lines = np.arange(2, len(df) + 2)
    reject_first(
        df["dataset"].astype(str) != dataset, path, f"row of another dataset (this file is {dataset})",
        lines=lines, column="dataset", expected=dataset, got=df["dataset"],
    )  # fmt: skip
    wanted = df["variable.code"].astype(str).str.strip().isin(list(series)).to_numpy()
    sub = df.loc[wanted]
    sub_lines = lines[wanted]
    freq = sub["dates.freq"].astype(str).str.strip().str.lower()
    reject_first(
        ~freq.isin(list(_FREQ)), path, "unknown frequency", lines=sub_lines, column="dates.freq",
        expected="a, q or m", got=sub["dates.freq"],
    )  # fmt: skip
    periods = pd.to_datetime(sub["dates.date"], errors="coerce")
    reject_first(
        periods.isna(), path, "unparseable date", lines=sub_lines, column="dates.date",
        expected="a period start date like 2024-01-01", got=sub["dates.date"],
    )  # fmt: skip
    values = pd.to_numeric(sub["value"], errors="coerce")
    reject_first(
        ~np.isfinite(values.to_numpy(dtype=float)), path, "non-numeric or non-finite value",
        lines=sub_lines, column="value", expected="a finite number", got=sub["value"],
    )  # fmt: skip
    codes = sub["variable.code"].astype(str).str.strip()
    raw = pd.DataFrame(
        {
            "code": codes.to_numpy(),
            "frequency": freq.map(_FREQ).to_numpy(),
            "period": periods.to_numpy(),
            "value": values.to_numpy(dtype=float),
            "line": sub_lines,
        }
    )
    units: dict[str, tuple[str, str]] = {}
    for code, g in sub.groupby(codes.to_numpy(), sort=False):
        pairs = {
            (
                str(p) if p is not None and not pd.isna(p) else "",
                str(u) if u is not None and not pd.isna(u) else "",
            )
            for p, u in zip(g["variable.preunit"], g["variable.unit"], strict=True)
        }
        if len(pairs) > 1:
            raise IngestError(
                path,
                f"series {code} has several units {sorted(pairs)}",
                line=int(sub_lines[sub.index.get_indexer(g.index)[0]]),
                column="variable.unit",
                expected="one unit per CDID",
            )
        units[str(code)] = pairs.pop()
    return cdid_frame(raw, path, series, units=units, header_line=1, unit_line=1, key_column="dates.date")


def parse_cxnv_long(path: Path) -> pd.DataFrame:
    """UK business investment and GFCF headline series from one CXNV release in the long layout."""
    return _cdid_long(path, "CXNV", CXNV_SERIES)


def parse_qna_long(path: Path) -> pd.DataFrame:
    """UK business investment, GFCF, GDP and the deflator from one QNA release in the long layout."""
    return _cdid_long(path, "QNA", QNA_SERIES)


def parse_mgdp_long(path: Path) -> pd.DataFrame:
    """Monthly UK GVA (ECY2, chained-volume index, SA) from one monthly GDP release in the long layout."""
    return _cdid_long(path, "MGDP", MGDP_SERIES)
