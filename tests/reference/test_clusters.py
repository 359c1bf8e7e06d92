"""The cluster catalogue: the 25 agreed ids, valid SIC baskets backed by the public evidence files."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

from forecasting.reference.clusters import Cluster, clusters_for_sic, get_cluster, load_clusters

IDS = [
    "automotive", "aerospace", "rail", "space", "advanced-materials", "metals-engineering", "machinery-equipment",
    "electronics-photonics", "food-drink", "agri-tech", "life-sciences", "health-care", "low-carbon-energy",
    "environmental-services", "construction", "logistics", "creative-industries", "digital-tech",
    "financial-services", "professional-services", "textiles-fashion", "ceramics-minerals", "sport-leisure",
    "visitor-economy", "education-research",
]  # fmt: skip


@pytest.fixture(scope="module")
def sic_lookup(shared_data) -> pd.DataFrame:
    return pd.read_csv(shared_data / "ons_regional_gva" / "SIClookup.csv", dtype=str, encoding="latin-1")


def test_exactly_the_agreed_25_ids():
    assert [c.id for c in load_clusters()] == IDS


def test_every_basket_is_non_empty_and_named():
    for c in load_clusters():
        assert c.sic and c.name and c.description and c.evidence, c.id


def test_every_code_exists_in_the_ons_sic_lookup(sic_lookup):
    two, five = set(sic_lookup["SIC_2DIGIT_CODE"]), set(sic_lookup["SIC_5DIGIT_CODE"])
    for c in load_clusters():
        for code in c.sic:
            assert code in (two if len(code) == 2 else five), (c.id, code)


def test_industrial_strategy_codes_are_covered(shared_data):
    """Every SIC code the IS-8 sector file names has at least one subclass in some cluster basket."""
    is8 = pd.read_csv(shared_data / "sector_definitions" / "industrialstrategy2025sectordefs.csv", dtype=str)
    codes = is8["sic_code"].dropna()
    lookup = pd.read_csv(shared_data / "ons_regional_gva" / "SIClookup.csv", dtype=str, encoding="latin-1")
    for code in codes[codes.str.fullmatch(r"\d{2,5}")]:
        subclasses = lookup.loc[lookup["SIC_5DIGIT_CODE"].str.startswith(code), "SIC_5DIGIT_CODE"]
        assert any(clusters_for_sic(s) for s in subclasses), code


def test_overlaps_are_only_the_declared_ones():
    owners: dict[str, list[str]] = {}
    lookup_codes = {e for c in load_clusters() for e in c.sic}
    for code in lookup_codes:
        hits = clusters_for_sic(code)
        if len(hits) > 1:
            owners[code] = hits
    assert owners == {"30300": ["aerospace", "space"], "77210": ["professional-services", "sport-leisure"]}


def test_clusters_for_sic_matches_by_prefix():
    assert clusters_for_sic("29100") == ["automotive"]
    assert clusters_for_sic("sic-29") == ["automotive"]
    assert clusters_for_sic("30300") == ["aerospace", "space"]
    assert clusters_for_sic("64191") == ["financial-services"]
    assert clusters_for_sic("28") == []  # 28 is split between machinery-equipment and agri-tech
    assert clusters_for_sic("99000") == []


def test_get_cluster():
    assert get_cluster("aerospace").sic == ("30300", "33160")
    with pytest.raises(KeyError, match="unknown cluster"):
        get_cluster("shipbuilding")


def test_load_clusters_is_cached_but_returns_a_fresh_list():
    a, b = load_clusters(), load_clusters()
    assert a == b and a is not b and a[0] is b[0]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"sic": ["29", "29100"]}, "already covered"),
        ({"sic": ["2910"]}, "2- or 5-digit"),
        ({"sic": []}, "empty"),
        ({"sic": ["29", "29"]}, "duplicate"),
        ({"id": "Automotive"}, "lower-case"),
    ],
)
def test_invalid_baskets_are_rejected(spec, message):
    base = {"id": "x", "name": "X", "description": "d", "sic": ["29"], "evidence": "e"}
    with pytest.raises(ValidationError, match=message):
        Cluster(**{**base, **spec})
