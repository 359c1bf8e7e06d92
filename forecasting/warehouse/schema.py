"""DuckDB table definitions. Observations are append-only: a revision is a new row, never an update."""

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS vintages (
    vintage     VARCHAR PRIMARY KEY,   -- sortable ingest id, e.g. 20261124T224501123456Z
    created_at  TIMESTAMP NOT NULL,
    n_rows      BIGINT NOT NULL,       -- observations this vintage added
    n_files     INTEGER NOT NULL,
    note        VARCHAR
);
CREATE TABLE IF NOT EXISTS files (
    sha256       VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    path         VARCHAR NOT NULL,
    release      VARCHAR NOT NULL,
    vintage      VARCHAR NOT NULL,
    n_rows       BIGINT NOT NULL,
    is_synthetic BOOLEAN NOT NULL,
    PRIMARY KEY (sha256, source)
);
CREATE TABLE IF NOT EXISTS observations (
    measure      VARCHAR NOT NULL,
    geography    VARCHAR NOT NULL,
    cluster      VARCHAR NOT NULL,
    frequency    VARCHAR NOT NULL,
    period       DATE NOT NULL,
    value        DOUBLE NOT NULL,
    source       VARCHAR NOT NULL,
    release      VARCHAR NOT NULL,
    vintage      VARCHAR NOT NULL,
    file_sha256  VARCHAR NOT NULL,
    is_synthetic BOOLEAN NOT NULL,
    reference_year INTEGER             -- chained volumes / indices: the release's reference year, else NULL
);
"""

# Warehouses made before reference years were kept get the column on their next write (old rows NULL:
# a chained-volume series then shows only its releases with a known reference year).
MIGRATIONS_SQL = "ALTER TABLE observations ADD COLUMN IF NOT EXISTS reference_year INTEGER;"

OBSERVATION_COLUMNS = (
    "measure",
    "geography",
    "cluster",
    "frequency",
    "period",
    "value",
    "source",
    "release",
    "vintage",
    "file_sha256",
    "is_synthetic",
    "reference_year",
)

# Every table and its columns, as ``Warehouse`` checks them when it opens a file.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "vintages": ("vintage", "created_at", "n_rows", "n_files", "note"),
    "files": ("sha256", "source", "path", "release", "vintage", "n_rows", "is_synthetic"),
    "observations": OBSERVATION_COLUMNS,
}
