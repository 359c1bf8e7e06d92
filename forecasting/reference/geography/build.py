"""Rebuild the geography CSVs in this folder from the published files in the shared data mirror.

Run once when a source changes: ``python forecasting/reference/geography/build.py /work/shared/data``.
The CSVs are committed; the package never reads the mirror at run time. Hand-written knowledge
(Midlands LAD -> ITL3, combined-authority parents, ITL 2025 same-area decisions, WDI aggregates) lives
in the constants below so every mapping is reviewable in one place.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent

ITL1_OF_REGION = {
    "E12000001": "TLC", "E12000002": "TLD", "E12000003": "TLE", "E12000004": "TLF", "E12000005": "TLG",
    "E12000006": "TLH", "E12000007": "TLI", "E12000008": "TLJ", "E12000009": "TLK",
    "W92000004": "TLL", "S92000003": "TLM", "N92000002": "TLN",
}  # fmt: skip

# ONS "Local Authority District (December 2023) to ITL3 (January 2021) Lookup in the UK" (Open Geography
# Portal, published 2024), Midlands rows; written from that lookup and checked against the LAD lists below.
MIDLANDS_LAD_ITL3 = {
    "TLF11": ["E06000015"],
    "TLF12": ["E07000033", "E07000034", "E07000038"],
    "TLF13": ["E07000032", "E07000035", "E07000036", "E07000037", "E07000039"],
    "TLF14": ["E06000018"],
    "TLF15": ["E07000170", "E07000171", "E07000174", "E07000175"],
    "TLF16": ["E07000172", "E07000173", "E07000176"],
    "TLF21": ["E06000016"],
    "TLF22": [
        "E07000129",
        "E07000130",
        "E07000131",
        "E07000132",
        "E07000133",
        "E07000134",
        "E07000135",
        "E06000017",
    ],
    "TLF24": ["E06000062", "E07000151", "E07000154", "E07000155"],
    "TLF25": ["E06000061", "E07000150", "E07000152", "E07000153", "E07000156"],
    "TLF30": ["E07000136", "E07000137", "E07000138", "E07000139", "E07000140", "E07000141", "E07000142"],
    "TLG11": ["E06000019"],
    "TLG12": ["E07000234", "E07000235", "E07000236", "E07000237", "E07000238", "E07000239"],
    "TLG13": ["E07000218", "E07000219", "E07000220", "E07000221", "E07000222"],
    "TLG21": ["E06000020"],
    "TLG22": ["E06000051"],
    "TLG23": ["E06000021"],
    "TLG24": [
        "E07000192",
        "E07000193",
        "E07000194",
        "E07000195",
        "E07000196",
        "E07000197",
        "E07000198",
        "E07000199",
    ],
    "TLG31": ["E08000025"],
    "TLG32": ["E08000029"],
    "TLG33": ["E08000026"],
    "TLG36": ["E08000027"],
    "TLG37": ["E08000028"],
    "TLG38": ["E08000030"],
    "TLG39": ["E08000031"],
}

# Districts abolished by reorganisations (still present in older rows of the ELS files) -> successor unitary.
TERMINATED_LADS = {
    **dict.fromkeys(
        ["E07000004", "E07000005", "E07000006", "E07000007"], "E06000060"
    ),  # Buckinghamshire 2020
    **dict.fromkeys(
        ["E07000150", "E07000152", "E07000153", "E07000156"], "E06000061"
    ),  # North Northants 2021
    **dict.fromkeys(["E07000151", "E07000154", "E07000155"], "E06000062"),  # West Northants 2021
    **dict.fromkeys(["E07000026", "E07000028", "E07000029"], "E06000063"),  # Cumberland 2023
    **dict.fromkeys(["E07000027", "E07000030", "E07000031"], "E06000064"),  # Westmorland and Furness 2023
    **dict.fromkeys([f"E0700016{i}" for i in range(3, 10)], "E06000065"),  # North Yorkshire 2023
    **dict.fromkeys(["E07000187", "E07000188", "E07000189", "E07000246"], "E06000066"),  # Somerset 2023
}

COMBINED_AUTHORITY_PARENT = {
    "E47000001": "TLD", "E47000002": "TLE", "E47000003": "TLE", "E47000004": "TLD", "E47000006": "TLC",
    "E47000007": "TLG", "E47000008": "TLH", "E47000009": "TLK", "E47000011": "TLC", "E47000012": "TLE",
    "E47000013": "TLF", "E47000014": "TLC", "E47000016": "TLE",
    "E47000017": "TLB",  # Greater Lincolnshire spans TLF (Lincolnshire) and TLE (North/North East Lincs)
    "E47000018": "TLD",
    "N34000001": "TLN", "N34000002": "TLN",
    "W42000001": "TLL", "W42000002": "TLL", "W42000003": "TLL", "W42000004": "TLL",
}  # fmt: skip

# Scottish city regions carry no GSS code in the ELS FDI file (areacd "na"): invented canonical codes.
SCOTTISH_CITY_REGIONS = {
    "Aberdeen City Region": "SCR-ABERDEEN",
    "Edinburgh and South East Scotland City Region": "SCR-EDINBURGH",
    "Glasgow City Region": "SCR-GLASGOW",
}

# ITL 2025 ITL2/ITL3 codes whose area equals the ITL 2021 area with the same code. Codes used in the ELS
# files that are new in ITL 2025, or reused with a different area (TLM9, TLM93: North Ayrshire now includes
# Arran and Cumbrae, which ITL 2021 put in Highlands and Islands), get a distinct "<code>-2025" area.
ITL2025_SAME_AREA = {
    "TLD1", "TLD3", "TLD4", "TLD6", "TLD7", "TLE1", "TLE2", "TLE3", "TLE4", "TLF1", "TLF2", "TLF3",
    "TLG1", "TLG2", "TLG3", "TLH2", "TLH3", "TLI3", "TLI4", "TLI5", "TLI6", "TLI7", "TLJ1", "TLJ2",
    "TLJ3", "TLJ4", "TLK3", "TLK4", "TLM5",
}  # fmt: skip
ITL2025_DIFFERENT_AREA = {"TLM9", "TLM93"}

# World Bank WDI: these codes are regional / income / lending-group aggregates (the WDI
# Metadata_Country file leaves their Region blank); every other code in the API file is an economy.
WDI_AGGREGATES = set(
    [
        "AFE",
        "AFW",
        "ARB",
        "CEB",
        "CSS",
        "EAP",
        "EAR",
        "EAS",
        "ECA",
        "ECS",
        "EMU",
        "EUU",
        "FCS",
        "HIC",
        "HPC",
        "IBD",
        "IBT",
        "IDA",
        "IDB",
        "IDX",
        "INX",
        "LAC",
        "LCN",
        "LDC",
        "LIC",
        "LMC",
        "LMY",
        "LTE",
        "MEA",
        "MIC",
        "MNA",
        "NAC",
        "OED",
        "OSS",
        "PRE",
        "PSS",
        "PST",
        "SAS",
        "SSA",
        "SSF",
        "SST",
        "TEA",
        "TEC",
        "TLA",
        "TMN",
        "TSA",
        "TSS",
        "UMC",
        "WLD",
    ]
)

NAME_ALIASES = {
    "united kingdom": "UK", "uk": "UK", "great britain": "GB", "england": "TLB", "wales": "TLL",
    "scotland": "TLM", "northern ireland": "TLN", "north east": "TLC", "north west": "TLD",
    "yorkshire and the humber": "TLE", "yorkshire and humber": "TLE", "east midlands": "TLF",
    "west midlands": "TLG", "midlands": "MID", "midlands (east midlands + west midlands)": "MID",
    "east and west midlands": "MID", "east of england": "TLH", "east": "TLH", "london": "TLI",
    "south east": "TLJ", "south east (england)": "TLJ", "south west": "TLK", "south west (england)": "TLK",
    "world": "WLD", "world total": "WLD", "extra-regio": "TLZ", "uk less extra-regio": "UKX",
    "united kingdom less extra-regio": "UKX", "england and wales": "K04000001",
    **{k.lower(): v for k, v in SCOTTISH_CITY_REGIONS.items()},
}  # fmt: skip

LAD_PREFIXES = ("E06", "E07", "E08", "E09", "W06", "S12", "N09")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _region_of_rows(bd: pd.DataFrame) -> dict[str, str]:
    """The business-demography file lists each region/nation row followed by its counties and LADs."""
    out, current = {}, None
    for code, geo in bd[["areacd", "geography"]].drop_duplicates("areacd").itertuples(index=False):
        if code in ITL1_OF_REGION:
            current = ITL1_OF_REGION[code]
        elif geo not in ("Country", "Nation") and current:
            out[code] = current
    return out


def build(data: Path) -> None:
    gva3 = _read(data / "ons_regional_gva/Table_3c_ITL3_current_price_estimates_pounds_million_2024.csv")
    gva2 = _read(data / "ons_regional_gva/Table_2c_ITL2_current_price_estimates_pounds_million_2024.csv")
    bd = _read(data / "ons_els/business-demography.csv")
    gv = _read(data / "ons_els/gross-value-added.csv")
    fdi = _read(data / "ons_els/foreign-direct-investment.csv")
    exp = _read(data / "ons_els/total-value-of-uk-exports.csv")
    wdi = pd.read_csv(data / "wdi/API_BX.KLT.DINV.CD.WD_DS2_en_csv_v2_5995288.csv", skiprows=4, dtype=str)

    areas: list[dict] = [
        dict(code="WLD", name="World", level="world", parent="", status="current"),
        dict(code="UK", name="United Kingdom", level="uk", parent="WLD", status="current"),
        dict(code="GB", name="Great Britain", level="gb", parent="UK", status="current"),
        dict(code="TLB", name="England", level="nation", parent="UK", status="current"),
        dict(code="MID", name="Midlands", level="midlands", parent="UK", status="current"),
        dict(code="K04000001", name="England and Wales", level="aggregate", parent="UK", status="current"),
        dict(code="UKX", name="UK less Extra-Regio", level="aggregate", parent="UK", status="current"),
        dict(code="TLZ", name="Extra-Regio", level="aggregate", parent="UK", status="current"),
    ]
    itl1 = gv[gv.geography == "ITL Level 1"].drop_duplicates("areacd")
    for code, name in itl1[["areacd", "areanm"]].itertuples(index=False):
        if code.startswith("TL") and code != "TLB":
            areas.append(dict(code=code, name=name, level="itl1", parent="MID" if code in ("TLF", "TLG") else "UK",
                              status="current"))  # fmt: skip
    for code, name in gva2[["ITL code", "Region name"]].drop_duplicates().itertuples(index=False):
        areas.append(dict(code=code, name=name, level="itl2", parent=code[:3], status="current"))
    itl3_2021 = dict(gva3[["ITL code", "Region name"]].drop_duplicates().itertuples(index=False))
    for code, name in itl3_2021.items():
        areas.append(dict(code=code, name=name, level="itl3", parent=code[:4], status="current"))
    itl2021 = {a["code"] for a in areas if a["level"] in ("itl1", "itl2", "itl3")}

    # ITL 2025 codes as used in the ELS FDI file (ITL2) and the 2023 rows of the exports file (ITL2, ITL3).
    used = pd.concat([
        fdi[fdi.geography == "ITL Level 2"][["areacd", "areanm"]],
        exp[(exp.period.str[:4] >= "2023") & exp.geography.isin(["ITL Level 2", "ITL Level 3"])][["areacd", "areanm"]],
    ]).drop_duplicates("areacd")  # fmt: skip
    aliases: list[dict] = []
    for code, name in sorted(used.itertuples(index=False)):
        same = code in ITL2025_SAME_AREA or (
            len(code) == 5 and code in itl2021 and code not in ITL2025_DIFFERENT_AREA
        )
        if same:
            if code not in itl2021:
                raise SystemExit(f"{code} marked same-area but not an ITL 2021 code")
            aliases.append(dict(system="itl2025", code=code, canonical=code))
            continue
        parent = code[:-1]
        parent = parent if parent in ITL2025_SAME_AREA or len(parent) == 3 else f"{parent}-2025"
        lvl = "itl2" if len(code) == 4 else "itl3"
        areas.append(dict(code=f"{code}-2025", name=name, level=lvl, parent=parent, status="itl2025"))
        aliases.append(dict(system="itl2025", code=code, canonical=f"{code}-2025"))
    for code in sorted({c for c in itl2021 if len(c) == 3} | {"TLB"}):
        aliases.append(dict(system="itl2025", code=code, canonical=code))

    # Counties (E10 shire, E11 metropolitan, E13 inner/outer London) and combined authorities.
    region = _region_of_rows(bd)
    names = {}
    for df in (bd, gv, fdi, exp):
        names.update(dict(df[["areacd", "areanm"]].drop_duplicates("areacd").itertuples(index=False)))
    for code in sorted(c for c in names if c[:3] in ("E10", "E11", "E13")):
        parent = "TLI" if code.startswith("E13") else region[code]
        areas.append(dict(code=code, name=names[code].replace(" (Met County)", ""), level="county", parent=parent,
                          status="current"))  # fmt: skip
    for code in sorted(c for c in names if c[:3] in ("E47", "N34", "W42")):
        areas.append(dict(code=code, name=names[code], level="combined_authority",
                          parent=COMBINED_AUTHORITY_PARENT[code], status="current"))  # fmt: skip
    for name, code in SCOTTISH_CITY_REGIONS.items():
        areas.append(dict(code=code, name=name, level="combined_authority", parent="TLM", status="current"))

    # LADs: every code in business demography and GVA.
    lad_itl3 = {lad: itl3 for itl3, lads in MIDLANDS_LAD_ITL3.items() for lad in lads}
    lad_codes = sorted({c for df in (bd, gv) for c in df.areacd if c.startswith(LAD_PREFIXES)})
    lads = []
    for code in lad_codes:
        reg = region[code]
        if reg in ("TLF", "TLG"):
            if code not in lad_itl3:
                raise SystemExit(f"Midlands LAD {code} {names[code]} has no ITL3")
            parent = lad_itl3[code]
            if parent[:3] != reg:
                raise SystemExit(f"{code}: ITL3 {parent} outside region {reg}")
        else:
            parent = reg
        status = "terminated" if code in TERMINATED_LADS else "current"
        lads.append(dict(code=code, name=names[code], parent=parent, status=status,
                         successor=TERMINATED_LADS.get(code, "")))  # fmt: skip
    missing = set(lad_itl3) - set(lad_codes)
    if missing:
        raise SystemExit(f"lookup LADs not in the files: {sorted(missing)}")
    empty = [c for c in MIDLANDS_LAD_ITL3 if c not in itl3_2021]
    if empty:
        raise SystemExit(f"unknown ITL3 in lookup: {empty}")

    economies = []
    for code, name in wdi[["Country Code", "Country Name"]].itertuples(index=False):
        if code in ("GBR", "WLD"):
            continue
        economies.append(
            dict(code=code, name=name, level="aggregate" if code in WDI_AGGREGATES else "country")
        )
    economies += [dict(code=c, name=n, level="country") for c, n in UNCTAD_ONLY_ECONOMIES.items()]
    aliases += [
        dict(system="iso3", code="GBR", canonical="UK"),
        dict(system="iso3", code="WLD", canonical="WLD"),
    ]
    aliases += [dict(system="name", code=k, canonical=v) for k, v in NAME_ALIASES.items()]

    _write(HERE / "areas.csv", areas, ["code", "name", "level", "parent", "status"], AREAS_HEADER)
    _write(HERE / "lads.csv", lads, ["code", "name", "parent", "status", "successor"], LADS_HEADER)
    _write(HERE / "economies.csv", economies, ["code", "name", "level"], ECONOMIES_HEADER)
    _write(HERE / "aliases.csv", aliases, ["system", "code", "canonical"], ALIASES_HEADER)
    print(f"areas {len(areas)}, lads {len(lads)}, economies {len(economies)}, aliases {len(aliases)}")


AREAS_HEADER = """\
# Areas above LAD level. Built by build.py from ONS Regional GVA Tables 2c/3c (ITL 2021 codes and names,
# 2024 release), ONS Explore Local Statistics files (ITL1 names, counties, combined authorities) and the
# ITL 2025 codes used in the ELS FDI and exports files (status itl2025: areas that differ from any ITL 2021
# area, canonical code "<code>-2025"). parent is the next level up in the tree; status "current" areas
# form the summing tree (see geography.py for which parent->children sets are exact partitions)."""
LADS_HEADER = """\
# Local Authority Districts (GSS codes) appearing in ONS ELS business-demography.csv and gross-value-added.csv.
# Midlands (E12000004/E12000005) LADs: parent = ITL3 (2021) from the ONS "Local Authority District
# (December 2023) to ITL3 (January 2021) Lookup in the UK" (ONS Open Geography Portal, 2024), written from
# that lookup and checked by build.py. All other LADs: parent = their ITL1 region, taken from the region row
# that lists them in business-demography.csv (W06 -> TLL, S12 -> TLM, N09 -> TLN, E09 -> TLI). status
# "terminated": district abolished by a reorganisation (successor = the unitary that replaced it)."""
ECONOMIES_HEADER = """\
# World Bank WDI economies and aggregates from API_BX.KLT.DINV.CD.WD_DS2_en_csv_v2_5995288.csv (WDI of
# 2023-10-26). level aggregate = WDI region/income/lending group (blank Region in WDI Metadata_Country);
# parent of every row is WLD; GBR and WLD are mapped in aliases.csv (GBR -> UK). The last rows are
# economies UNCTAD reports that WDI does not list (ISO3 codes; unctad_m49.csv maps UNCTAD's M49 codes)."""
# Economies in UNCTAD's FDI statistics (WIR 2025) without a WDI row: ISO 3166-1 alpha-3 -> UNCTAD label.
UNCTAD_ONLY_ECONOMIES = {
    "AIA": "Anguilla",
    "COK": "Cook Islands",
    "GUF": "French Guiana",
    "MSR": "Montserrat",
    "MYT": "Mayotte",
    "REU": "Reunion",
    "TWN": "China, Taiwan Province of",
}
ALIASES_HEADER = """\
# Non-identity code mappings: system,code -> canonical. itl2025: every ITL 2025 code used in ONS ELS files;
# iso3: GBR, WLD; name: place names of transcribed tables (matched case-insensitively). gss, itl2021,
# nuts2016 and the remaining iso3 codes are resolved by rules in geography.py."""


def _write(path: Path, rows: list[dict], cols: list[str], header: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(header + "\n")
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[3].parent / "shared" / "data")
