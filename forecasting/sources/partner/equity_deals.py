"""Beauhurst-style equity deal export -> deal counts and amounts raised by LA x cluster x year.

Columns: ``Deal date``, ``Company name``, ``Companies House number``, ``Local authority code`` (company
address LAD, GSS), ``Amount raised (GBP)`` (blank / "Undisclosed" allowed: the deal is counted, its amount
is not), ``Stage``, ``Investors``. Clusters come from joining the company number to a company list export
(``company_list``; see company_list.py); without one, or for companies not in it, deals count in ``all`` only.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecasting.sources.canonical import reject_first
from forecasting.sources.partner.common import (
    aggregate,
    check_lads,
    finish,
    is_synthetic,
    parse_dates,
    parse_numbers,
    pick_column,
    read_export,
    with_all_cluster,
    year_start,
)
from forecasting.sources.partner.company_list import load_company_clusters

SOURCE_ID = "partner_equity_deals"
DATE = ("Deal date", "Date of deal")
NUMBER = ("Companies House number", "Company number")
LA = ("Local authority code",)
AMOUNT = ("Amount raised (GBP)", "Amount raised")
SIGNATURE = ("Deal date", "Amount raised (GBP)")


def parse_equity_deals(path: Path, company_list: Path | None = None) -> pd.DataFrame:
    path = Path(path)
    df = read_export(path)
    c = {
        k: pick_column(df, path, *names)
        for k, names in {"date": DATE, "no": NUMBER, "la": LA, "amt": AMOUNT}.items()
    }
    pick_column(df, path, "Company name")
    lines = df["line"]
    reject_first(
        df[c["no"]] == "", path, "blank company number", lines=lines, column=c["no"],
        expected="a Companies House number",
    )  # fmt: skip
    rec = pd.DataFrame({"id": df.index, "line": lines, "company_number": df[c["no"]].str.upper()})
    rec["period"] = year_start(parse_dates(df[c["date"]], lines, path, c["date"]))
    rec["geography"] = check_lads(df[c["la"]], lines, path, c["la"])
    rec["amount"] = parse_numbers(
        df[c["amt"]], lines, path, c["amt"], allow_blank=True, measure="equity_amount_gbp"
    )
    if company_list is not None:
        tags = load_company_clusters(company_list)
        rec = rec.merge(tags, on="company_number", how="left")
        rec["cluster"] = rec["cluster"].fillna("")
    else:
        rec["cluster"] = ""
    rec = with_all_cluster(rec, "id")
    obs = aggregate(rec, {"equity_deals": ("id", "count"), "equity_amount_gbp": ("amount", "sum")})
    return finish(obs, path, is_synthetic(df, path))
