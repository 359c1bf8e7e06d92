"""Recognise a licensed partner export by its header, so ``invest data ingest FILE`` needs no flags.

Returns ``(source id, parser, is_synthetic)``; equity deal files are joined to a company list found
beside them (``*company_list*.csv``) to tag deals with clusters.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd

from forecasting.sources.partner import company_list, equity_deals, fdi_projects
from forecasting.sources.partner.common import RECORD_SOURCE, SYNTHETIC_MARK


def _header_and_first(path: Path) -> tuple[list[str], list[str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            return [h.strip().lower() for h in next(reader, [])], next(reader, [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return [], []


def detect_partner_file(path: Path) -> tuple[str, Callable[[Path], pd.DataFrame], bool] | None:
    path = Path(path)
    header, first = _header_and_first(path)
    if not header:
        return None
    synthetic = path.name.lower().startswith("synthetic_") or (
        bool(header)
        and header[0] == RECORD_SOURCE
        and bool(first)
        and first[0].strip().lower() == SYNTHETIC_MARK
    )

    def has(sig: tuple[str, ...]) -> bool:
        return all(s.lower() in header for s in sig)

    if has(fdi_projects.SIGNATURE):
        return fdi_projects.SOURCE_ID, fdi_projects.parse_fdi_projects, synthetic
    if has(equity_deals.SIGNATURE):
        lists = sorted(p for p in path.parent.glob("*company_list*.csv") if p != path)
        parser = (
            partial(equity_deals.parse_equity_deals, company_list=lists[0])
            if lists
            else equity_deals.parse_equity_deals
        )
        return equity_deals.SOURCE_ID, parser, synthetic
    if has(company_list.SIGNATURE):
        return company_list.SOURCE_ID, company_list.parse_company_list, synthetic
    return None
