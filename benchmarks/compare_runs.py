"""Two `invest run` data directories hold the same numbers: the bundle's tables, column by column, the
scorecards' JSON and CSV files, and the warehouse's observations.

Why: a speed change must not change what the numbers are. Build one data directory from the old code and
one from the new (``python benchmarks/invest_run.py --keep DIR``), then compare them. What differs between
two runs by construction (ingest vintage ids, timestamps, run ids, the directories' paths) is masked.
Not a test: it prints what differs and exits 1 when anything does.

    python benchmarks/compare_runs.py OLD_DATA_DIR NEW_DATA_DIR
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

BUNDLE_TABLES = "mlartifacts/*/models/*/artifacts/artifacts/bundle/tables"
TABLES = ("forecasts", "metrics", "level_metrics", "catalogue", "history", "hierarchy", "transmission")
VOLATILE_COLUMNS = {"vintage", "data_vintage", "trained_at", "run_id", "generated_at"}
OBSERVATION_COLUMNS = (
    "measure, geography, cluster, frequency, period, value, source, release, file_sha256, is_synthetic, "
    "reference_year"
)


def compare_tables(old: Path, new: Path) -> bool:
    """Each bundle table: same columns and rows, every non-volatile column equal (``Series.equals``)."""
    same = True
    for name in TABLES:
        a, b = (
            sorted(old.glob(f"{BUNDLE_TABLES}/{name}.parquet")),
            sorted(new.glob(f"{BUNDLE_TABLES}/{name}.parquet")),
        )
        if len(a) != 1 or len(b) != 1:
            print(f"{name}: expected one table per directory, found {len(a)} and {len(b)}")
            same = False
            continue
        x, y = pd.read_parquet(a[0]), pd.read_parquet(b[0])
        if list(x.columns) != list(y.columns) or len(x) != len(y):
            print(f"{name}: shapes or columns differ: {x.shape} against {y.shape}")
            same = False
            continue
        diff = [c for c in x.columns if c not in VOLATILE_COLUMNS and not x[c].equals(y[c])]
        print(f"{name}: {len(x):,} rows x {x.shape[1]} columns; differing columns: {diff or 'none'}")
        same &= not diff
    return same


def _scrub(text: str, dirs: tuple[Path, ...]) -> str:
    text = re.sub(r"\d{8}T\d{6}\d*Z", "<VINTAGE>", text)
    text = re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?", "<TIME>", text)
    text = re.sub(r"[0-9a-f]{32}", "<RUN-ID>", text)
    for d in dirs:
        text = text.replace(str(d), "<DIR>")
    return text


def compare_scorecards(old: Path, new: Path) -> bool:
    """Every JSON and CSV file under reports/scorecards, text-equal once the volatile parts are masked."""
    a, b = old / "reports" / "scorecards", new / "reports" / "scorecards"
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.suffix in (".json", ".csv"))
    missing = [str(f) for f in files if not (b / f).is_file()]
    differ = [
        str(f)
        for f in files
        if str(f) not in missing
        and _scrub((a / f).read_text("utf-8"), (old, new)) != _scrub((b / f).read_text("utf-8"), (old, new))
    ]
    print(
        f"scorecards: {len(files)} JSON/CSV files (vintage ids, timestamps and run ids masked); "
        f"missing: {missing or 'none'}; differing: {differ or 'none'}"
    )
    return not missing and not differ


def compare_warehouses(old: Path, new: Path) -> bool:
    """Observations and file records equal as multisets (vintage ids and ingest paths aside)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{old / 'warehouse.duckdb'}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{new / 'warehouse.duckdb'}' AS b (READ_ONLY)")
    counts = []
    for x, y in (("a", "b"), ("b", "a")):
        for table, cols in (
            ("observations", OBSERVATION_COLUMNS),
            ("files", "sha256, source, release, n_rows, is_synthetic"),
        ):
            sql = f"SELECT count(*) FROM (SELECT {cols} FROM {x}.{table} EXCEPT ALL SELECT {cols} FROM {y}.{table})"
            counts.append(con.execute(sql).fetchone()[0])
    n = con.execute("SELECT count(*) FROM a.observations").fetchone()[0]
    con.close()
    print(f"warehouse: {n:,} observations; rows in one and not the other: {sum(counts)}")
    return sum(counts) == 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    args = ap.parse_args()
    old, new = args.old.resolve(), args.new.resolve()
    same = compare_warehouses(old, new)
    same &= compare_tables(old, new)
    same &= compare_scorecards(old, new)
    print("IDENTICAL" if same else "DIFFERENT")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
