"""The cluster catalogue: the 25 agreed ids, valid SIC baskets backed by the public evidence files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.reference.clusters import (
    CLUSTERS_FILE,
    ClusterDefinitionError,
    clusters_for_sic,
    get_cluster,
    load_clusters,
    load_definitions,
    overlap_audit,
)

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
        assert c.sic and c.name and c.description and c.rationale and c.source, c.id


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


def test_overlaps_are_only_the_apportioned_ones():
    owners: dict[str, list[str]] = {}
    lookup_codes = {e for c in load_clusters() for e in c.sic}
    for code in lookup_codes:
        hits = clusters_for_sic(code)
        if len(hits) > 1:
            owners[code] = hits
    assert owners == {"30300": ["aerospace", "space"]}


def test_no_code_counts_at_full_weight_twice(sic_lookup):
    """Over every 5-digit code of the ONS lookup, the shares of all clusters sum to at most 1."""
    clusters = load_clusters()
    for code in sic_lookup["SIC_5DIGIT_CODE"]:
        assert sum(c.share(code) for c in clusters) <= 1 + 1e-9, code
    assert get_cluster("aerospace").share("30300") + get_cluster("space").share("30300") == pytest.approx(1.0)
    assert get_cluster("aerospace").share("30300") > get_cluster("space").share("30300")


def test_rail_leaves_passenger_operations_out():
    rail = get_cluster("rail")
    assert rail.share("49100") == 0 and rail.share("52212") == 0 and rail.share("30200") == 1


def test_overlap_audit_ships_with_the_definitions(shared_data):
    d = load_definitions(lookup=shared_data / "ons_regional_gva" / "SIClookup.csv")
    doc = d.as_dict()
    assert [o["sic"] for o in doc["overlap_audit"]] == ["30300"]
    assert doc["double_counted_codes"] == []
    assert len(doc["clusters"]) == 25
    space = next(c for c in doc["clusters"] if c["id"] == "space")
    assert {"sic": "30300", "share": 0.1} in space["basket"]


def test_clusters_for_sic_matches_by_prefix():
    assert clusters_for_sic("29100") == ["automotive"]
    assert clusters_for_sic("sic-29") == ["automotive"]
    assert clusters_for_sic("30300") == ["aerospace", "space"]
    assert clusters_for_sic("64191") == ["financial-services"]
    assert clusters_for_sic("28") == []  # 28 is split between machinery-equipment and agri-tech
    assert clusters_for_sic("99000") == []


def test_get_cluster():
    assert get_cluster("aerospace").sic == ("30300", "33160")
    assert get_cluster("aerospace").shares == {"30300": 0.9}
    with pytest.raises(KeyError, match="unknown cluster"):
        get_cluster("shipbuilding")


def test_load_clusters_is_cached_but_returns_a_fresh_list():
    a, b = load_clusters(), load_clusters()
    assert a == b and a is not b and a[0] is b[0]


BASE = {"id": "x", "name": "X", "description": "d", "sic": ["29"], "rationale": "r", "source": "s"}


def _write(tmp_path: Path, clusters: list[dict]) -> Path:
    lines = []
    for c in clusters:
        lines.append("[[cluster]]")
        for k, v in c.items():
            if isinstance(v, dict):
                lines.append(f"{k} = {{ " + ", ".join(f'"{a}" = {b}' for a, b in v.items()) + " }")
            elif isinstance(v, list):
                lines.append(f"{k} = [" + ", ".join(f'"{x}"' for x in v) + "]")
            else:
                lines.append(f'{k} = "{v}"')
    path = tmp_path / "clusters.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"sic": ["29", "29100"]}, "cluster 'x': SIC code '29100' is already covered"),
        ({"sic": ["2910"]}, "cluster 'x': SIC code '2910' must be a 2- or 5-digit"),
        ({"sic": []}, "cluster 'x': SIC basket is empty"),
        ({"sic": ["29", "29"]}, "cluster 'x': SIC code '29' appears twice"),
        ({"id": "Automotive"}, "lower-case"),
        ({"sic": ["30300"], "shares": {"30300": 1.5}}, "cluster 'x': share of SIC code '30300' is 1.5"),
        ({"sic": ["30300"], "shares": {"30300": 0}}, "cluster 'x': share of SIC code '30300' is 0"),
        ({"sic": ["30300"], "shares": {"29100": 0.5}}, "cluster 'x': share given for SIC code '29100'"),
        ({"sic": ["99999"]}, "cluster 'x': SIC code '99999' is not in the SIC 2007 lookup"),
    ],
)
def test_bad_definitions_name_cluster_and_code(tmp_path, shared_data, spec, message):
    path = _write(tmp_path, [{**BASE, **spec}])
    with pytest.raises(ClusterDefinitionError, match=message.replace("(", r"\(")):
        load_definitions(path, lookup=shared_data / "ons_regional_gva" / "SIClookup.csv")


def test_a_code_shared_beyond_full_weight_is_refused(tmp_path, shared_data):
    a = {**BASE, "id": "air", "sic": ["30300"], "shares": {"30300": 0.8}}
    b = {**BASE, "id": "space", "sic": ["30", "51220"], "shares": {"30": 0.5}}
    with pytest.raises(
        ClusterDefinitionError, match=r"SIC code '30300' is counted 1.3 times \(air 0.8, space 0.5\)"
    ):
        load_definitions(_write(tmp_path, [a, b]), lookup=shared_data / "ons_regional_gva" / "SIClookup.csv")


def test_shares_that_sum_to_one_are_accepted_and_audited(tmp_path, shared_data):
    a = {**BASE, "id": "air", "sic": ["30300"], "shares": {"30300": 0.7}}
    b = {**BASE, "id": "space", "sic": ["30300", "51220"], "shares": {"30300": 0.3}}
    d = load_definitions(_write(tmp_path, [a, b]), lookup=shared_data / "ons_regional_gva" / "SIClookup.csv")
    assert overlap_audit(d.clusters) == [
        {"sic": "30300", "holders": {"air": 0.7, "space": 0.3}, "total_share": 1.0}
    ]


def test_shipped_file_passes_the_strict_loader(shared_data):
    d = load_definitions(CLUSTERS_FILE, lookup=shared_data / "ons_regional_gva" / "SIClookup.csv")
    assert [c.id for c in d.clusters] == IDS
