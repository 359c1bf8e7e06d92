"""fDi Markets (FT Locations / Wavteq-style) FDI project list export -> LA x cluster x year observations.

One row per announced project. Columns as the exports carry them (matched case-insensitively; older exports
say "Date announced" / "Capital investment"): ``Project date``, ``Investing company``, ``Parent company``,
``Source country``, ``Destination country``, ``Destination state/province``, ``Destination city``,
``Local authority code`` (destination LAD, GSS; added by the partner's geocoding), ``Industry sector``,
``Sub-sector``, ``Business activity``, ``Jobs created``, ``Jobs estimated``, ``Capital investment (USD m)``,
``Capex estimated``. fDi Markets fills missing jobs/capex with its own model estimates and flags them; the
estimates are used (as DBT and the FT do) and the flags are kept only for audit.

Measures: ``fdi_projects`` (count), ``fdi_project_jobs``, ``fdi_project_capex_usd_m``; cluster via the
``Industry sector`` (+ ``Sub-sector``) mapping in ``cluster_mapping.csv`` plus ``all``; calendar year of the
project date. Rows whose destination is not the United Kingdom are an error (the export must be UK-filtered).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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

SOURCE_ID = "partner_fdi_projects"
DATE = ("Project date", "Date announced")
LA = ("Local authority code",)
SECTOR = ("Industry sector",)
SUB_SECTOR = ("Sub-sector",)
JOBS = ("Jobs created",)
CAPEX = ("Capital investment (USD m)", "Capital investment")
DESTINATION = ("Destination country",)
SIGNATURE = ("Investing company", "Industry sector", "Jobs created")  # how detect.py recognises the layout


def parse_fdi_projects(path: Path) -> pd.DataFrame:
    path = Path(path)
    df = read_export(path)
    cols = {k: pick_column(df, path, *names) for k, names in
            {"date": DATE, "la": LA, "sector": SECTOR, "jobs": JOBS, "capex": CAPEX, "dest": DESTINATION}.items()}  # fmt: skip
    sub = pick_column(df, path, *SUB_SECTOR, required=False)
    lines = df["line"]
    not_uk = ~df[cols["dest"]].str.lower().isin(["united kingdom", "uk", "gbr"])
    if not_uk.any():
        i = not_uk.idxmax()
        raise IngestError(path, "project outside the UK", line=int(lines[i]), column=cols["dest"],
                          expected="United Kingdom (export filtered to UK destinations)", got=df.at[i, cols["dest"]])  # fmt: skip
    rec = pd.DataFrame({"id": df.index, "line": lines})
    rec["period"] = year_start(parse_dates(df[cols["date"]], lines, path, cols["date"]))
    rec["geography"] = check_lads(df[cols["la"]], lines, path, cols["la"])
    rec["cluster"] = map_labels(df[cols["sector"]], lines, path, cols["sector"], "fdi_markets",
                                df[sub] if sub else None)  # fmt: skip
    rec["jobs"] = parse_numbers(df[cols["jobs"]], lines, path, cols["jobs"], measure="fdi_project_jobs")
    rec["capex"] = parse_numbers(
        df[cols["capex"]], lines, path, cols["capex"], measure="fdi_project_capex_usd_m"
    )
    rec = with_all_cluster(rec, "id")
    obs = aggregate(
        rec,
        {
            "fdi_projects": ("id", "count"),
            "fdi_project_jobs": ("jobs", "sum"),
            "fdi_project_capex_usd_m": ("capex", "sum"),
        },
    )
    return finish(obs, path, is_synthetic(df, path))
