"""FDI project list adapter on generated files and on each kind of bad row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.sources.canonical import KEY_COLUMNS
from forecasting.sources.errors import IngestError
from forecasting.sources.partner.common import CLUSTER_IDS
from forecasting.sources.partner.fdi_projects import parse_fdi_projects


@pytest.fixture(scope="module")
def fdi(partner_files: dict[str, Path]) -> pd.DataFrame:
    return parse_fdi_projects(partner_files["fdi_projects"])


def test_totals_equal_records(fdi: pd.DataFrame, partner_files: dict[str, Path]) -> None:
    raw = pd.read_csv(partner_files["fdi_projects"], dtype=str)
    alls = fdi[fdi["cluster"] == "all"].groupby("measure")["value"].sum()
    assert alls["fdi_projects"] == len(raw)
    assert alls["fdi_project_jobs"] == raw["Jobs created"].astype(float).sum()
    assert alls["fdi_project_capex_usd_m"] == pytest.approx(
        raw["Capital investment (USD m)"].astype(float).sum()
    )
    assert (
        fdi["is_synthetic"].all() and (fdi["geo_system"] == "gss").all() and (fdi["frequency"] == "A").all()
    )
    assert not fdi.duplicated(list(KEY_COLUMNS)).any()


def test_clusters_add_up_to_all(fdi: pd.DataFrame) -> None:
    """Each project has at most one cluster, so clusters sum to no more than "all" in every LA-year."""
    assert set(fdi["cluster"]) - {"all"} <= set(CLUSTER_IDS)
    key = ["measure", "geography", "period"]
    clusters = fdi[fdi["cluster"] != "all"].groupby(key)["value"].sum()
    alls = fdi[fdi["cluster"] == "all"].set_index(key)["value"]
    assert (clusters.reindex(alls.index, fill_value=0) <= alls + 1e-9).all()
    assert clusters.sum() > 0
    counts = fdi.loc[fdi["measure"] == "fdi_projects", "value"]
    assert counts.ge(0).all() and (counts == counts.round()).all()


def test_years_without_projects_are_zeros(fdi: pd.DataFrame) -> None:
    """An export lists every project: an LA × cluster year with none is 0, so series have no gaps."""
    proj = fdi[fdi["measure"] == "fdi_projects"]
    n_years = proj["period"].nunique()
    per_series = proj.groupby(["geography", "cluster"])["period"].nunique()
    assert (per_series == n_years).all()
    assert (proj["value"] == 0).any() and (proj.loc[proj["value"] == 0, "line"] == 1).all()


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("Project date", "31/02/2019", "date"),
        ("Jobs created", "-5", "negative"),
        ("Capital investment (USD m)", "about 5", "non-numeric"),
        ("Local authority code", "E99999999", "local authority"),
        ("Industry sector", "Widgets", "sector"),
    ],
)
def test_bad_rows(
    partner_files: dict[str, Path], tmp_path: Path, column: str, value: str, expected: str, mutate
) -> None:
    bad = mutate(partner_files["fdi_projects"], tmp_path / "fdi.csv", 6, column, value)
    with pytest.raises(IngestError) as exc:
        parse_fdi_projects(bad)
    err = exc.value
    assert err.line == 8 and err.column == column and err.file == str(bad)
    assert expected in str(err).lower()


def test_missing_column(partner_files: dict[str, Path], tmp_path: Path, drop_column) -> None:
    bad = drop_column(partner_files["fdi_projects"], tmp_path / "fdi.csv", "Jobs created")
    with pytest.raises(IngestError) as exc:
        parse_fdi_projects(bad)
    assert exc.value.line == 1 and exc.value.column == "Jobs created"


def test_real_layout_without_marker(tmp_path: Path) -> None:
    """A licensed export (no record_source column, older header names) parses as non-synthetic."""
    p = tmp_path / "fdi_markets_export.csv"
    p.write_text(
        "Date announced,Investing company,Parent company,Source country,Destination country,"
        "Destination state/province,Destination city,Local authority code,Industry sector,Sub-sector,"
        "Business activity,Jobs created,Capital investment\n"
        "Mar 2019,Acme Inc,Acme Inc,United States,United Kingdom,West Midlands,Coventry,E08000026,"
        'Automotive OEM,Automobiles,Manufacturing,120,"1,250.5"\n'
        "2019-06-01,Beta KK,Beta KK,Japan,United Kingdom,East Midlands,Corby,E07000150,Non-Automotive Transport OEM,"
        "Aircraft,Manufacturing,30,12\n"
    )
    out = parse_fdi_projects(p)
    assert not out["is_synthetic"].any()
    capex = out[(out["measure"] == "fdi_project_capex_usd_m") & (out["geography"] == "E08000026")]
    assert set(capex["cluster"]) == {"automotive", "all"} and capex["value"].eq(1250.5).all()
    corby = out[out["geography"] == "E06000061"]  # abolished district recoded to its successor
    assert set(corby["cluster"]) == {"aerospace", "all"}
