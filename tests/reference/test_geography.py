"""Geography lookup: every code in the real files maps, and the tree is a proper hierarchy."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.reference.geography import LEVELS, canonical_code, load_geography

ELS = (
    "business-demography",
    "gross-value-added",
    "research-and-development-business",
    "total-value-of-uk-exports",
)


def _csv(path: Path, **kw) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", **kw)


@pytest.fixture(scope="module")
def geo():
    return load_geography()


def _els_system(code: str, period: str, itl_system: str) -> str:
    if code.startswith("TL"):
        return itl_system if itl_system == "itl2025" or period[:4] >= "2023" else "itl2021"
    return "gss"


@pytest.mark.parametrize("stem", ELS)
def test_every_els_code_maps(shared_data: Path, stem: str) -> None:
    df = _csv(shared_data / "ons_els" / f"{stem}.csv")[["areacd", "areanm", "period"]].drop_duplicates()
    for code, _, period in df.itertuples(index=False):
        # exports switch to ITL 2025 codes from 2023
        canonical_code(code, _els_system(code, period, "itl2025" if period[:4] >= "2023" else "itl2021"))


def test_every_els_fdi_code_maps(shared_data: Path, geo) -> None:
    df = _csv(shared_data / "ons_els" / "foreign-direct-investment.csv")[
        ["areacd", "areanm"]
    ].drop_duplicates()
    for code, name in df.itertuples(index=False):
        if code == "na":
            out = canonical_code(name, "name")
            assert geo.level(out) == "combined_authority"
        elif code.startswith("TL"):
            out = canonical_code(code, "itl2025")
            assert geo.level(out) in ("itl1", "itl2", "nation")
        else:
            canonical_code(code, "gss")


def test_itl2025_same_and_different_areas(geo) -> None:
    assert canonical_code("TLF1", "itl2025") == "TLF1"  # EMCCA area = Derbyshire and Nottinghamshire
    assert canonical_code("TLG3", "itl2025") == "TLG3"  # WMCA area = West Midlands met county
    for code in ("TLC3", "TLC4", "TLM9"):
        out = canonical_code(code, "itl2025")
        assert out == f"{code}-2025"
        assert geo.level(out) == "itl2" and geo.parent(out) == code[:3]
    assert "TLC3-2025" not in geo.partitions()["TLC"]


def test_regional_gva_tables_map(shared_data: Path) -> None:
    for path in sorted((shared_data / "ons_regional_gva").glob("Table_*.csv")):
        df = pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8-sig", encoding_errors="replace"
        )
        col = "ITL code" if "ITL code" in df.columns else "ITL region code"
        for code in df[col].unique():
            canonical_code(code, "itl2021")


def test_bres_nuts2016_codes_map(shared_data: Path) -> None:
    df = _csv(
        shared_data / "bres_itl2" / "bres_itl2_employment_sic2digit_2015_2021.csv", usecols=["GEOGRAPHY_CODE"]
    )
    out = {c: canonical_code(c, "nuts2016") for c in df.GEOGRAPHY_CODE.unique()}
    assert out["UKF1"] == "TLF1" and out["UKG3"] == "TLG3"


def test_wdi_codes_map(shared_data: Path, geo) -> None:
    df = _csv(shared_data / "wdi" / "API_BX.KLT.DINV.CD.WD_DS2_en_csv_v2_5995288.csv", skiprows=4)
    out = {c: canonical_code(c, "iso3") for c in df["Country Code"]}
    assert out["GBR"] == "UK" and out["WLD"] == "WLD" and out["FRA"] == "FRA"
    assert (
        geo.level("EUU") == "aggregate" and geo.level("HIC") == "aggregate" and geo.level("FRA") == "country"
    )
    assert sum(geo.level(c) == "aggregate" for c in out.values()) == 48


def test_dbt_place_names_map(shared_data: Path) -> None:
    df = _csv(shared_data / "dbt_fdi_projects" / "dbt_inward_investment_results_transcribed_partial.csv")
    names = set(df.geography) - {"North West + North East"}  # a two-region sum, not an area
    out = {n: canonical_code(n, "name") for n in names}
    assert out["Midlands (East Midlands + West Midlands)"] == "MID"
    assert canonical_code("WEST MIDLANDS", "name") == "TLG"


def test_gss_specials() -> None:
    assert canonical_code("K02000001", "gss") == "UK"
    assert canonical_code("K03000001", "gss") == "GB"
    assert canonical_code("E92000001", "gss") == "TLB"
    assert canonical_code("E12000004", "gss") == "TLF"
    assert canonical_code("E12000005", "gss") == "TLG"
    assert canonical_code("E08000025", "gss") == "E08000025"


def test_els_lads_all_known(shared_data: Path, geo) -> None:
    for stem in ("business-demography", "gross-value-added"):
        df = _csv(shared_data / "ons_els" / f"{stem}.csv")
        lads = df.loc[df.geography == "Local Authority District", "areacd"].unique()
        for code in lads:
            assert geo.level(canonical_code(code, "gss")) == "lad"


def test_midlands_lads_have_itl3(shared_data: Path, geo) -> None:
    lads = geo.descendants("MID", "lad", include_inactive=True)
    assert {"E06000061", "E06000062", "E08000025"} <= set(lads)
    for lad in lads:
        assert geo.level(geo.parent(lad)) == "itl3"
    for itl3 in geo.descendants("MID", "itl3"):
        assert geo.children(itl3), f"{itl3} has no LAD"


def test_hierarchy_birmingham(geo) -> None:
    assert geo.ancestors("E08000025") == ["TLG31", "TLG3", "TLG", "MID", "UK", "WLD"]
    assert geo.parent("WLD") is None
    assert geo.is_midlands("E08000025") and geo.is_midlands("E47000013")
    assert not geo.is_midlands("E09000001") and not geo.is_midlands("UK")


def test_partitions(geo) -> None:
    parts = geo.partitions()
    assert parts["UK"] == [f"TL{c}" for c in "CDEFGHIJKLMN"]
    assert parts["MID"] == ["TLF", "TLG"]
    assert parts["TLF"] == ["TLF1", "TLF2", "TLF3"]
    assert [c for c in geo.children("TLF") if geo.level(c) == "itl2"] == ["TLF1", "TLF2", "TLF3"]
    assert parts["TLF25"] == ["E06000061"]  # abolished districts are not double counted
    assert "WLD" not in parts
    for parent, kids in parts.items():
        assert len(set(kids)) == len(kids)
        if parent not in ("UK", "MID"):
            assert all(geo.parent(k) == parent for k in kids)
    # every ITL3 sits in exactly one ITL2 partition
    itl3 = [k for p, kids in parts.items() if geo.level(p) == "itl2" for k in kids]
    assert sorted(itl3) == geo.descendants("UK", "itl3")


def test_levels_and_names(geo) -> None:
    assert LEVELS[0] == "world" and LEVELS[-1] == "lad"
    assert geo.name("TLF11") == "Derby" and geo.level("E47000007") == "combined_authority"
    assert geo.level("E10000007") == "county" and geo.parent("E47000007") == "TLG"
    wm_met = ["E08000025", "E08000026", "E08000027", "E08000028", "E08000029", "E08000030", "E08000031"]
    assert geo.descendants("TLG3", "lad") == wm_met


@pytest.mark.parametrize(
    ("code", "system"),
    [("ZZ999", "itl2021"), ("E99999999", "gss"), ("UKZ9", "nuts2016"), ("XYZ", "iso3"), ("Atlantis", "name"),
     ("TLX9", "itl2025"), ("TLC3", "itl2021")],
)  # fmt: skip
def test_unknown_code_names_code_and_system(code: str, system: str) -> None:
    with pytest.raises(KeyError) as exc:
        canonical_code(code, system)
    assert code in str(exc.value) and system in str(exc.value)


def test_unknown_system() -> None:
    with pytest.raises(KeyError, match="system"):
        canonical_code("TLF", "ons")


def test_midlands_combined_authority_members(geo) -> None:
    """LA -> combined authority is data (lad_ca.csv): WMCA = TLG3's LADs, EMCCA = TLF1's."""
    assert geo.members("E47000007") == geo.descendants("TLG3", "lad")
    assert geo.members("E47000013") == geo.descendants("TLF1", "lad")
    lincs = geo.members("E47000017")
    # Greater Lincolnshire spans two ITL1 regions: Lincolnshire (TLF30) and North / North East Lincs (TLE)
    assert set(geo.descendants("TLF30", "lad")) < set(lincs)
    assert {geo.parent(c) for c in set(lincs) - set(geo.descendants("TLF30", "lad"))} == {"TLE"}
    assert geo.combined_authority("E08000025") == "E47000007"
    assert geo.combined_authority("E07000234") is None  # Bromsgrove: not a constituent member
    with pytest.raises(KeyError):
        geo.members("TLG3")


def test_itl2025_codes_of_the_2025_regional_gva_map(shared_data: Path, geo) -> None:
    """Every ITL2/ITL3 code of the April-2025 regional GVA maps: same-area codes to ITL 2021, others to -2025."""
    import pyarrow.parquet as pq

    path = shared_data / "ons_regional_gva_2025/ons_rgva_by_industry_itl_long_release2025-04-17.parquet"
    table = pq.read_table(path, columns=["geography.type", "geography.code"]).to_pandas().drop_duplicates()
    for kind, code in table.itertuples(index=False):
        if kind in ("ITL2", "ITL3"):
            mapped = geo.canonical_code(code, "itl2025")
            assert geo.level(mapped) == kind.lower(), code
    assert geo.canonical_code("TLN0", "itl2025") == "TLN0"
    assert geo.canonical_code("TLG31", "itl2025") == "TLG31"
    assert geo.canonical_code("TLC31", "itl2025") == "TLC31-2025"
