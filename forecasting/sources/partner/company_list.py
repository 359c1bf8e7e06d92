"""The Data City-style company list export -> company counts and employment by LA x cluster, and the
company -> cluster table that tags equity deals (and can replace the SIC-basket cluster proxy).

Columns: ``Companies House number``, ``Company name``, ``Local authority code`` (registered/trading address
LAD, GSS), ``Postcode``, ``Estimated employees``, ``Cluster tags`` (or ``RTIC tags``; ``;``-separated labels
mapped to cluster ids by ``cluster_mapping.csv`` source ``datacity``), and ``As at`` (snapshot date; one
per file). A company with several tags counts in each of those clusters and once in ``all``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecasting.sources.canonical import reject_first
from forecasting.sources.errors import IngestError
from forecasting.sources.partner.common import (
    aggregate,
    check_lads,
    finish,
    is_synthetic,
    map_labels,
    parse_dates,
    parse_numbers,
    pick_column,
    read_export,
    with_all_cluster,
    year_start,
)

SOURCE_ID = "partner_company_list"
NUMBER = ("Companies House number", "Company number")
LA = ("Local authority code",)
EMPLOYEES = ("Estimated employees", "Employees")
TAGS = ("Cluster tags", "RTIC tags")
AS_AT = ("As at", "Snapshot date")
SIGNATURE = ("Companies House number", "Estimated employees")


def _records(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per (company, cluster) with its LA, employees and year; plus the raw frame."""
    df = read_export(path)
    c = {k: pick_column(df, path, *names) for k, names in
         {"no": NUMBER, "la": LA, "emp": EMPLOYEES, "tags": TAGS, "as_at": AS_AT}.items()}  # fmt: skip
    lines = df["line"]
    reject_first(
        df[c["no"]] == "", path, "blank company number", lines=lines, column=c["no"],
        expected="a Companies House number",
    )  # fmt: skip
    dup = df[c["no"]].duplicated()
    if dup.any():
        i = dup.idxmax()
        raise IngestError(path, f"company {df.at[i, c['no']]} listed twice", line=int(lines[i]), column=c["no"],
                          expected="one row per company")  # fmt: skip
    rec = pd.DataFrame({"company_number": df[c["no"]].str.upper(), "line": lines})
    rec["period"] = year_start(parse_dates(df[c["as_at"]], lines, path, c["as_at"]))
    rec["geography"] = check_lads(df[c["la"]], lines, path, c["la"])
    rec["employees"] = parse_numbers(
        df[c["emp"]], lines, path, c["emp"], allow_blank=True, measure="cluster_employment"
    )
    tags = df[c["tags"]].str.split(";").explode().str.strip()
    tags = tags[tags != ""]
    clusters = map_labels(tags, lines.loc[tags.index], path, c["tags"], "datacity")
    tagged = rec.loc[clusters.index].assign(cluster=clusters.to_numpy())
    tagged = tagged[tagged["cluster"] != ""].drop_duplicates(["company_number", "cluster"])
    untagged = rec.assign(cluster="")
    return pd.concat([tagged, untagged[~untagged["company_number"].isin(tagged["company_number"])]]), df


def parse_company_list(path: Path) -> pd.DataFrame:
    path = Path(path)
    rec, df = _records(path)
    rec = with_all_cluster(rec.assign(uid=rec["company_number"]), "uid")
    obs = aggregate(
        rec, {"company_count": ("company_number", "count"), "cluster_employment": ("employees", "sum")}
    )
    return finish(obs, path, is_synthetic(df, path))


def load_company_clusters(path: Path) -> pd.DataFrame:
    """``company_number, cluster`` (one row per tagged cluster; untagged companies are absent)."""
    rec, _ = _records(Path(path))
    out = rec.loc[rec["cluster"] != "", ["company_number", "cluster"]]
    return out.sort_values(["company_number", "cluster"]).reset_index(drop=True)
