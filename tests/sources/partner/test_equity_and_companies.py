"""Equity deal and company list adapters: totals, cluster join, bad rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.sources.errors import IngestError
from forecasting.sources.partner.company_list import load_company_clusters, parse_company_list
from forecasting.sources.partner.equity_deals import parse_equity_deals


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


def test_equity_totals_and_join(partner_files: dict[str, Path]) -> None:
    raw = pd.read_csv(partner_files["equity_deals"], dtype=str, keep_default_na=False)
    plain = parse_equity_deals(partner_files["equity_deals"])
    assert set(plain["cluster"]) == {"all"}
    joined = parse_equity_deals(partner_files["equity_deals"], partner_files["company_list"])
    for out in (plain, joined):
        alls = out[out["cluster"] == "all"].groupby("measure")["value"].sum()
        assert alls["equity_deals"] == len(raw)
        assert alls["equity_amount_gbp"] == pytest.approx(_num(raw["Amount raised (GBP)"]).sum())
        assert out["is_synthetic"].all()
    assert len(set(joined["cluster"])) > 10
    # a cluster total never exceeds the LA-year total
    key = ["measure", "geography", "period"]
    alls = joined[joined["cluster"] == "all"].set_index(key)["value"]
    per_cluster = joined[joined["cluster"] != "all"].set_index(key + ["cluster"])["value"]
    assert (
        per_cluster.droplevel("cluster") <= alls.reindex(per_cluster.droplevel("cluster").index, fill_value=0)
    ).all()


def test_company_list(partner_files: dict[str, Path]) -> None:
    raw = pd.read_csv(partner_files["company_list"], dtype=str, keep_default_na=False)
    out = parse_company_list(partner_files["company_list"])
    alls = out[out["cluster"] == "all"].groupby("measure")["value"].sum()
    assert alls["company_count"] == len(raw)
    assert alls["cluster_employment"] == _num(raw["Estimated employees"]).sum()
    assert (out["period"] == pd.Timestamp("2024-01-01")).all()
    tags = load_company_clusters(partner_files["company_list"])
    assert list(tags.columns) == ["company_number", "cluster"]
    n_tagged = out[(out["cluster"] != "all") & (out["measure"] == "company_count")]["value"].sum()
    assert n_tagged == len(tags)


@pytest.mark.parametrize(
    ("key", "column", "value", "expected"),
    [
        ("equity_deals", "Deal date", "2019-13-45", "date"),
        ("equity_deals", "Amount raised (GBP)", "1m", "non-numeric"),
        ("equity_deals", "Amount raised (GBP)", "-1000", "negative"),
        ("equity_deals", "Local authority code", "TLG31", "local authority"),
        ("company_list", "Estimated employees", "-3", "negative"),
        ("company_list", "Cluster tags", "Underwater Basket Weaving", "sector"),
        ("company_list", "Local authority code", "E12000005", "local authority"),
        ("company_list", "As at", "yesterday", "date"),
    ],
)
def test_bad_rows(
    partner_files: dict[str, Path], tmp_path: Path, key: str, column: str, value: str, expected: str, mutate
) -> None:
    bad = mutate(partner_files[key], tmp_path / f"{key}.csv", 3, column, value)
    parse = parse_equity_deals if key == "equity_deals" else parse_company_list
    with pytest.raises(IngestError) as exc:
        parse(bad)
    assert exc.value.line == 5 and exc.value.column == column and exc.value.file == str(bad)
    assert expected in str(exc.value).lower()


@pytest.mark.parametrize(
    ("key", "column"), [("equity_deals", "Deal date"), ("company_list", "Companies House number")]
)
def test_missing_column(
    partner_files: dict[str, Path], tmp_path: Path, key: str, column: str, drop_column
) -> None:
    bad = drop_column(partner_files[key], tmp_path / f"{key}.csv", column)
    parse = parse_equity_deals if key == "equity_deals" else parse_company_list
    with pytest.raises(IngestError) as exc:
        parse(bad)
    assert exc.value.line == 1 and exc.value.column == column
