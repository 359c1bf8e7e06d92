"""Deterministic synthetic partner exports (FDI project list, equity deals, company list) for demos and tests.

The licensed exports cannot be redistributed, so the service ships with look-alike files in the same three
layouts. Every record carries ``record_source = synthetic`` and the files are named ``synthetic_*.csv``; the
adapters report ``is_synthetic`` so the warehouse stores them with source ``synthetic``.

Magnitudes follow published regional totals (DBT inward investment results: West Midlands ~100-200 FDI
projects a year, East Midlands ~70-100; ~20-40 new jobs per project; Beauhurst/BBB: a few hundred equity
deals a year across the Midlands). The same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.reference.geography import load_geography
from forecasting.sources.partner.common import RECORD_SOURCE, SYNTHETIC_MARK, source_labels

YEARS = tuple(range(2010, 2025))
# Expected projects a year (DBT-like path: growth to 2017, Brexit/COVID dip, partial recovery).
FDI_PER_YEAR = {
    "TLG": (110, 120, 135, 150, 165, 180, 190, 195, 175, 160, 120, 130, 140, 135, 130),
    "TLF": (72, 75, 80, 85, 90, 95, 98, 92, 88, 85, 70, 76, 84, 80, 78),
}
EQUITY_PER_YEAR = (150, 170, 190, 220, 250, 280, 300, 320, 350, 370, 340, 410, 380, 330, 320)
N_COMPANIES = 4000
AS_AT = "2024-12-31"

# Relative pull of the larger economies (everything else weight 1).
LAD_WEIGHT = {
    "E08000025": 14.0, "E08000026": 5.0, "E08000029": 4.0, "E08000031": 2.5, "E08000027": 2.0, "E08000028": 2.5,
    "E08000030": 2.0, "E06000018": 5.0, "E06000016": 5.0, "E06000015": 4.0, "E06000021": 2.5, "E06000062": 4.0,
    "E06000061": 3.0, "E07000222": 3.0, "E07000220": 2.0, "E06000020": 2.0, "E06000051": 2.0, "E07000134": 2.5,
    "E07000130": 2.0, "E07000039": 2.0, "E07000176": 2.0, "E07000193": 2.0,
}  # fmt: skip
FDI_SECTORS = {
    "Automotive OEM": (3.0, ["Automobiles", "Heavy duty trucks"]),
    "Automotive Components": (6.0, ["Engine & transmission", "Electronic components", "Interior systems"]),
    "Aerospace": (2.0, ["Aircraft parts", "Aircraft engines"]),
    "Software & IT services": (
        9.0,
        ["Custom computer programming", "Software publishers", "Data processing"],
    ),
    "Business services": (7.0, ["Professional, scientific & technical", "Employment services"]),
    "Financial services": (4.0, ["Banking", "Insurance"]),
    "Food & Beverages": (4.0, ["Food products", "Beverages"]),
    "Industrial equipment": (5.0, ["Industrial machinery", "Material handling"]),
    "Transportation & Warehousing": (6.0, ["Warehousing & storage", "Freight"]),
    "Pharmaceuticals": (2.0, ["Pharmaceutical preparations"]),
    "Medical devices": (2.0, ["Surgical & medical instruments"]),
    "Alternative/Renewable energy": (3.0, ["Solar electric power", "Biomass power"]),
    "Consumer products": (3.0, ["Household goods"]),
    "Real estate": (2.0, ["Real estate services"]),
    "Metals": (2.0, ["Iron & steel mills", "Fabricated metal products"]),
    "Ceramics & glass": (1.0, ["Ceramics"]),
    "Non-Automotive Transport OEM": (1.0, ["Railroad", "Aircraft"]),
    "Space & defence": (1.0, ["Defence"]),
    "Textiles": (1.0, ["Clothing & clothing accessories"]),
    "Hotels & tourism": (1.5, ["Accommodation"]),
}
ACTIVITIES = ("Manufacturing", "Sales, Marketing & Support", "Business Services", "Logistics, Distribution & Transportation",
              "Research & Development", "Headquarters", "Design, Development & Testing", "ICT & Internet Infrastructure")  # fmt: skip
SOURCES = {"United States": 30, "Germany": 10, "France": 6, "Japan": 6, "China": 6, "India": 7, "Ireland": 4,
           "Netherlands": 4, "Canada": 4, "Spain": 3, "Italy": 3, "Sweden": 2, "Australia": 3, "Switzerland": 3}  # fmt: skip
STAGES = ((2e5, "Seed"), (2e6, "Venture"), (1e7, "Growth"), (float("inf"), "Established"))
WORDS = ("Aston", "Trent", "Severn", "Peak", "Forge", "Vale", "Arden", "Mercia", "Wrekin", "Soar", "Charnwood",
         "Malvern", "Derwent", "Tame", "Avon", "Lickey", "Cannock", "Sherwood", "Rockingham", "Welland")  # fmt: skip
SUFFIXES = (
    "Ltd",
    "Technologies Ltd",
    "Engineering Ltd",
    "Holdings Ltd",
    "Systems Ltd",
    "Labs Ltd",
    "Group plc",
)

FDI_COLUMNS = (RECORD_SOURCE, "Project date", "Investing company", "Parent company", "Source country",
               "Destination country", "Destination state/province", "Destination city", "Local authority code",
               "Industry sector", "Sub-sector", "Business activity", "Jobs created", "Jobs estimated",
               "Capital investment (USD m)", "Capex estimated")  # fmt: skip
EQUITY_COLUMNS = (RECORD_SOURCE, "Deal date", "Company name", "Companies House number", "Local authority code",
                  "Amount raised (GBP)", "Stage", "Investors")  # fmt: skip
COMPANY_COLUMNS = (RECORD_SOURCE, "Companies House number", "Company name", "Local authority code", "Postcode",
                   "Estimated employees", "Cluster tags", "As at")  # fmt: skip


def _lads() -> pd.DataFrame:
    geo = load_geography()
    rows = [(c, geo.name(c), geo.ancestors(c)[2]) for c in geo.descendants("MID", "lad")]
    out = pd.DataFrame(rows, columns=["code", "name", "itl1"])
    out["weight"] = out["code"].map(LAD_WEIGHT).fillna(1.0)
    return out


def _pick(rng: np.random.Generator, items, weights, size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(np.asarray(items, dtype=object), size=size, p=p / p.sum())


def _name(rng: np.random.Generator) -> str:
    return f"{WORDS[rng.integers(len(WORDS))]} {WORDS[rng.integers(len(WORDS))]} {SUFFIXES[rng.integers(len(SUFFIXES))]}"


def _dates(rng: np.random.Generator, year: int, n: int) -> list[pd.Timestamp]:
    days = 366 if year % 4 == 0 else 365
    return sorted(pd.Timestamp(year, 1, 1) + pd.Timedelta(days=int(d)) for d in rng.integers(0, days, n))


def _fdi_rows(rng: np.random.Generator, lads: pd.DataFrame) -> list[list[str]]:
    sectors = list(FDI_SECTORS)
    rows = []
    for y_i, year in enumerate(YEARS):
        for itl1, region in (("TLG", "West Midlands"), ("TLF", "East Midlands")):
            n = int(rng.poisson(FDI_PER_YEAR[itl1][y_i]))
            pool = lads[lads["itl1"] == itl1]
            las = _pick(rng, pool.index, pool["weight"], n)
            secs = _pick(rng, sectors, [FDI_SECTORS[s][0] for s in sectors], n)
            for date, la, sec in zip(_dates(rng, year, n), las, secs, strict=True):
                subs = FDI_SECTORS[sec][1]
                jobs = max(1, int(round(rng.lognormal(np.log(30) - 0.405, 0.9))))
                capex = rng.lognormal(np.log(8.0), 1.2)
                investor = _name(rng)
                rows.append([
                    SYNTHETIC_MARK, date.strftime("%Y-%m-%d"), investor, investor if rng.random() < 0.6 else _name(rng),
                    str(_pick(rng, list(SOURCES), list(SOURCES.values()), 1)[0]), "United Kingdom", region,
                    str(lads.at[la, "name"]), str(lads.at[la, "code"]), sec, subs[rng.integers(len(subs))],
                    ACTIVITIES[rng.integers(len(ACTIVITIES))], str(jobs), "Yes" if rng.random() < 0.4 else "No",
                    f"{capex:.1f}", "Yes" if rng.random() < 0.5 else "No",
                ])  # fmt: skip
    return rows


def _company_rows(rng: np.random.Generator, lads: pd.DataFrame) -> list[list[str]]:
    tags = source_labels("datacity")
    numbers = rng.choice(np.arange(1_000_000, 14_000_000), size=N_COMPANIES, replace=False)
    las = _pick(rng, lads.index, lads["weight"], N_COMPANIES)
    rows = []
    for no, la in zip(sorted(numbers), las, strict=True):
        k = int(rng.choice([0, 1, 1, 1, 2, 2, 3]))
        chosen = sorted(rng.choice(len(tags), size=k, replace=False)) if k else []
        emp = int(round(rng.lognormal(np.log(12), 1.3)))
        pc = f"{'BCDLNW'[rng.integers(6)]}{rng.integers(1, 30)} {rng.integers(1, 9)}{'ABDEFGHJ'[rng.integers(8)]}{'LNPQRSTU'[rng.integers(8)]}"
        rows.append([
            SYNTHETIC_MARK, f"{no:08d}", _name(rng), str(lads.at[la, "code"]), pc,
            "" if rng.random() < 0.03 else str(emp), "; ".join(tags[i] for i in chosen), AS_AT,
        ])  # fmt: skip
    return rows


def _equity_rows(rng: np.random.Generator, companies: list[list[str]], lads: pd.DataFrame) -> list[list[str]]:
    rows = []
    for y_i, year in enumerate(YEARS):
        n = int(rng.poisson(EQUITY_PER_YEAR[y_i]))
        for date in _dates(rng, year, n):
            if rng.random() < 0.8:
                comp = companies[int(rng.integers(len(companies)))]
                no, name, la = comp[1], comp[2], comp[3]
            else:
                no, name = f"{int(rng.integers(14_000_000, 16_000_000)):08d}", _name(rng)
                la = str(_pick(rng, lads["code"], lads["weight"], 1)[0])
            amount = rng.lognormal(np.log(5e5), 1.5)
            stage = next(s for cap, s in STAGES if amount < cap)
            shown = "" if rng.random() < 0.1 else f"{round(amount, -3):.0f}"
            investors = "; ".join(
                f"{WORDS[rng.integers(len(WORDS))]} Capital" for _ in range(int(rng.integers(1, 4)))
            )
            rows.append([SYNTHETIC_MARK, date.strftime("%d/%m/%Y"), name, no, la, shown, stage, investors])
    return rows


def _write(path: Path, columns: tuple[str, ...], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8"))


def write_synthetic_partner_files(out_dir: Path, seed: int = 0) -> dict[str, Path]:
    """Write ``synthetic_{fdi_projects,equity_deals,company_list}.csv`` into ``out_dir``; same seed, same bytes."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lads = _lads()
    fdi_rng, comp_rng, eq_rng = (np.random.default_rng([seed, k]) for k in range(3))
    companies = _company_rows(comp_rng, lads)
    files = {
        "fdi_projects": (FDI_COLUMNS, _fdi_rows(fdi_rng, lads)),
        "equity_deals": (EQUITY_COLUMNS, _equity_rows(eq_rng, companies, lads)),
        "company_list": (COMPANY_COLUMNS, companies),
    }
    out = {}
    for key, (cols, rows) in files.items():
        out[key] = out_dir / f"synthetic_{key}.csv"
        _write(out[key], cols, rows)
    return out
