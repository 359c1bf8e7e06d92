"""The typed bundle contract: one pandera schema per table, a pydantic model for the metadata.

Why checked on both sides: training writes a bundle once, but the API, scenarios and scorecards each read
it, and a hand-edited or corrupted table would otherwise surface as a ``KeyError`` or a wrong number deep
inside one of them. Here a bad bundle is refused at the door with the table, the column and the rule it
broke (``BundleFormatError``), whether it is being written or read.
"""

from __future__ import annotations

import math
from typing import Any, Literal, Optional

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from forecasting.errors import InvestError
from forecasting.evaluation.selection import METRICS
from forecasting.vocabulary import FREQUENCIES, QUANTILE_COLUMNS, quantile_columns

SERIES_ID_PATTERN = r"^[a-z0-9_]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9-]+\.[AQM]$"
SCORE_COLUMNS: tuple[str, ...] = METRICS  # the backtest scores the engine computes, one column each


class BundleFormatError(InvestError):
    """A bundle is missing files, breaks its schema, has a file whose checksum changed, or is another format."""


# ---- tables -------------------------------------------------------------------------------------------------
class _Table(pa.DataFrameModel):
    class Config:
        strict = False  # later columns may be added; the ones declared here must be there and hold
        coerce = False


def _finite(s: pd.Series) -> pd.Series:
    return pd.Series(np.isfinite(s.to_numpy(dtype=float)), index=s.index)


class CatalogueTable(_Table):
    series_id: Series[str] = pa.Field(unique=True, str_matches=SERIES_ID_PATTERN)
    measure: Series[str]
    geography: Series[str]
    geography_name: Series[str] = pa.Field(nullable=True)
    geography_level: Series[str] = pa.Field(nullable=True)
    cluster: Series[str]
    frequency: Series[str] = pa.Field(isin=list(FREQUENCIES))
    unit: Series[str]
    aggregation: Series[str] = pa.Field(isin=["sum", "none"])
    non_negative: Series[bool]
    start: Series[str]
    end: Series[str]
    n: Series[int] = pa.Field(ge=1)
    source: Series[str]
    is_synthetic: Series[bool]
    data_vintage: Series[str]
    # units as data (the measure registry): what the numbers are
    currency: Series[str] = pa.Field(isin=["GBP", "USD"], nullable=True)  # None: not a money amount
    price_basis: Series[str] = pa.Field(isin=["current", "chained_volume", "index", "none"])
    seasonal_adjustment: Series[str] = pa.Field(isin=["sa", "nsa", "none"])
    quantity: Series[str] = pa.Field(isin=["stock", "flow", "count", "rate", "index", "ratio"])
    # how current the series is at the bundle's present
    last_observed: Series[str]
    nowcast_periods: Series[int] = pa.Field(ge=0)
    months_behind: Series[int] = pa.Field(ge=0)
    stale: Series[bool]
    history_note: Series[str]
    # why it is stale: where the data end, their age, the release they come from ("" when fresh);
    # optional so bundles written before it still load
    stale_reason: Optional[Series[str]] = pa.Field(nullable=True)  # noqa: UP045 (pandera needs Optional)


class HistoryTable(_Table):
    series_id: Series[str]
    period: Series[str]
    period_start: Series[pd.Timestamp] = pa.Field(coerce=True)
    value: Series[float]
    source: Series[str]
    vintage: Series[str]

    @pa.check("value", name="finite")
    def _value_finite(cls, s: pd.Series) -> pd.Series:
        return _finite(s)

    @pa.dataframe_check(name="one row per series and period")
    def _unique(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(["series_id", "period_start"], keep="first")


class ForecastsTable(_Table):
    series_id: Series[str]
    step: Series[int] = pa.Field(ge=1)
    period: Series[str]
    period_start: Series[pd.Timestamp] = pa.Field(coerce=True)
    kind: Series[str] = pa.Field(isin=["nowcast", "forecast"])
    mean: Series[float]
    method: Series[str]
    base_method: Series[str]
    fallback: Series[str]
    reconciled: Series[bool]
    reconciliation_shift: Series[float] = pa.Field(ge=0)

    @pa.check("mean", name="finite")
    def _mean_finite(cls, s: pd.Series) -> pd.Series:
        return _finite(s)

    @pa.dataframe_check(name="one row per series and step")
    def _unique(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(["series_id", "step"], keep="first")

    @pa.dataframe_check(name="quantile columns finite and non-decreasing in probability")
    def _monotone(cls, df: pd.DataFrame) -> pd.Series:
        cols = quantile_columns(df.columns)
        if not cols:
            return pd.Series(True, index=df.index)
        q = df[cols].to_numpy(dtype=float)
        ok = np.all(np.isfinite(q), axis=1)
        if len(cols) > 1:
            ok &= np.all(np.diff(q, axis=1) >= -1e-9 * np.maximum(1.0, np.abs(q[:, 1:])), axis=1)
        return pd.Series(ok, index=df.index)


class MetricsTable(_Table):
    series_id: Series[str] = pa.Field(unique=True)
    level: Series[str]
    method: Series[str]
    mase: Series[float] = pa.Field(nullable=True)
    rmsse: Series[float] = pa.Field(nullable=True)
    smape: Series[float] = pa.Field(nullable=True)
    mape: Series[float] = pa.Field(nullable=True)
    pinball: Series[float] = pa.Field(nullable=True)
    crps: Series[float] = pa.Field(nullable=True)
    coverage80: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    coverage95: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    winkler95: Series[float] = pa.Field(nullable=True)
    mase_reconciled: Series[float] = pa.Field(nullable=True)
    calibrated: Series[bool]
    candidates_json: Series[str]
    # the evidence behind the interval: its calibration group, that group's own errors, and a flag when
    # the interval rests mostly on other groups' errors (or on none)
    calibration_group: Series[str]
    calibration_errors: Series[int] = pa.Field(ge=0)
    little_evidence: Series[bool]
    backtest_horizon: Series[int] = pa.Field(ge=0)
    backtest_windows: Series[int] = pa.Field(ge=0)
    backtest_note: Series[str]

    @pa.dataframe_check(name="backtest scores finite or empty")
    def _scores_finite(cls, df: pd.DataFrame) -> pd.Series:
        cols = [c for c in (*SCORE_COLUMNS, "mase_reconciled") if c in df.columns]
        return pd.Series(~np.isinf(df[cols].to_numpy(dtype=float)).any(axis=1), index=df.index)


class LevelMetricsTable(_Table):
    level: Series[str]
    n_series: Series[int] = pa.Field(ge=0)
    mase_base: Series[float] = pa.Field(nullable=True)
    mase_reconciled: Series[float] = pa.Field(nullable=True)
    helped: Series[bool]


class HierarchyTable(_Table):
    parent_id: Series[str]
    child_id: Series[str]

    @pa.dataframe_check(name="no self edges")
    def _no_self(cls, df: pd.DataFrame) -> pd.Series:
        return df["parent_id"] != df["child_id"]


LINK_FORMS: tuple[str, ...] = ("log", "level", "stock_flow", "exposure", "conversion", "macro", "share")
# The transmission table's columns in the order training writes them: the one definition (training builds
# the table with it, ``TransmissionTable`` below checks it; tests/registry keep the two in step).
# ``own_coefficient``, ``own_se`` and ``weight``: a link's own estimate before shrinkage and the weight it got.
TRANSMISSION_COLUMNS: tuple[str, ...] = (
    "target_id",
    "driver_id",
    "elasticity",
    "se",
    "ci_lo",
    "ci_hi",
    "model",
    "n_obs",
    "used",
    "note",
    "form",
    "coefficient",
    "conversion",
    "pooled",
    "own_coefficient",
    "own_se",
    "weight",
)
# Declared by older bundles only (no longer written); still checked where present.
LEGACY_TRANSMISSION_COLUMNS: tuple[str, ...] = ("identified",)


class TransmissionTable(_Table):
    """One row per estimated (target, driver) link. ``form`` .. ``pooled`` were added with stock-flow
    consistent projections; they are optional so that bundles trained before them still load (consumers
    infer the form from ``model``)."""

    target_id: Series[str]
    driver_id: Series[str]
    elasticity: Series[float]
    se: Series[float] = pa.Field(nullable=True, ge=0)
    ci_lo: Series[float] = pa.Field(nullable=True)
    ci_hi: Series[float] = pa.Field(nullable=True)
    model: Series[str]
    n_obs: Series[int] = pa.Field(ge=0)
    used: Series[bool]
    note: Series[str] = pa.Field(nullable=True)
    form: Optional[Series[str]] = pa.Field(isin=list(LINK_FORMS))  # noqa: UP045 (pandera needs Optional)
    coefficient: Optional[Series[float]]  # noqa: UP045
    identified: Optional[Series[bool]]  # noqa: UP045
    conversion: Optional[Series[str]]  # noqa: UP045
    pooled: Optional[Series[str]]  # noqa: UP045

    @pa.check("elasticity", name="finite")
    def _elasticity_finite(cls, s: pd.Series) -> pd.Series:
        return _finite(s)

    @pa.check("coefficient", name="finite")
    def _coefficient_finite(cls, s: pd.Series) -> pd.Series:
        return _finite(s)


TRACK_KINDS: tuple[str, ...] = ("level", "growth")


class TrackRecordTable(_Table):
    """How past forecasts turned out (``invest track-record``): per series, kind and horizon, the mean
    absolute error of the model, no-change and drift over replayed vintages. Levels in % of the outturn
    (horizon = steps after the last observed period), growth in percentage points of calendar-year growth
    (horizon = years after the release year). Optional: bundles trained before it load without it."""

    series_id: Series[str] = pa.Field(str_matches=SERIES_ID_PATTERN)
    kind: Series[str] = pa.Field(isin=list(TRACK_KINDS))
    horizon: Series[int]
    n: Series[int] = pa.Field(ge=1)
    model: Series[float] = pa.Field(ge=0)
    naive: Series[float] = pa.Field(ge=0)
    drift: Series[float] = pa.Field(ge=0)
    bridge: Optional[Series[float]] = pa.Field(nullable=True, ge=0)  # noqa: UP045 (pandera needs Optional)
    ratio_naive: Series[float] = pa.Field(nullable=True, ge=0)
    coverage80: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    coverage95: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    vintages: Series[int] = pa.Field(ge=1)
    outturn_release: Series[str]
    experiment: Series[str]
    computed_at: Series[str]

    @pa.dataframe_check(name="one row per series, kind and horizon")
    def _unique(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(["series_id", "kind", "horizon"], keep=False)

    @pa.dataframe_check(name="finite errors")
    def _finite_errors(cls, df: pd.DataFrame) -> pd.Series:
        return pd.Series(
            np.isfinite(df[["model", "naive", "drift"]].to_numpy(dtype=float)).all(axis=1), index=df.index
        )


class TrackRecordPointsTable(_Table):
    """Each replayed vintage's scored points: a level forecast for one period, or a calendar-year growth
    rate (percent), beside no-change, drift and the outturn of the newest release."""

    series_id: Series[str] = pa.Field(str_matches=SERIES_ID_PATTERN)
    release: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}-\d{2}$")
    last_observed: Series[str]
    kind: Series[str] = pa.Field(isin=list(TRACK_KINDS))
    horizon: Series[int]
    period: Series[str]
    mean: Series[float] = pa.Field(nullable=True)
    naive: Series[float] = pa.Field(nullable=True)
    drift: Series[float] = pa.Field(nullable=True)
    bridge: Optional[Series[float]] = pa.Field(nullable=True)  # noqa: UP045
    outturn: Series[float] = pa.Field(nullable=True)
    lo80: Series[float] = pa.Field(nullable=True)
    hi80: Series[float] = pa.Field(nullable=True)
    lo95: Series[float] = pa.Field(nullable=True)
    hi95: Series[float] = pa.Field(nullable=True)
    comparable: Series[bool]

    @pa.dataframe_check(name="one row per series, release, kind and period")
    def _unique(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(["series_id", "release", "kind", "period"], keep=False)


TABLE_SCHEMAS: dict[str, type[_Table]] = {
    "catalogue": CatalogueTable,
    "history": HistoryTable,
    "forecasts": ForecastsTable,
    "metrics": MetricsTable,
    "level_metrics": LevelMetricsTable,
    "hierarchy": HierarchyTable,
    "transmission": TransmissionTable,
    "track_record": TrackRecordTable,
    "track_record_points": TrackRecordPointsTable,
}
# Tables that may be empty without their columns (a bundle with no hierarchy or no scenario links).
MAY_BE_EMPTY = ("level_metrics", "hierarchy", "transmission", "track_record", "track_record_points")


def _describe(table: str, exc: pa.errors.SchemaErrors, df: pd.DataFrame) -> str:
    fc = exc.failure_cases.iloc[0]
    column = fc.get("column")
    check = fc.get("check")
    case = fc.get("failure_case")
    idx = fc.get("index")
    where = ""
    if idx is not None and not (isinstance(idx, float) and math.isnan(idx)) and idx in df.index:
        sid = df.at[idx, "series_id"] if "series_id" in df.columns else None
        where = f" at row {idx}" + (f" ({sid})" if sid is not None else "")
    if check == "column_in_dataframe":
        return f"bundle table {table!r}: missing column {case!r} (rule: column_in_dataframe)"
    rows_rule = fc.get("schema_context") == "DataFrameSchema"  # a rule over whole rows, not one column
    col = "rows" if rows_rule else f"column {column!r}"
    n = len(exc.failure_cases)
    more = f" ({n} failures)" if n > 1 else ""
    return f"bundle table {table!r}, {col}: fails rule {check!s}{where}, got {case!r}{more}"


def validate_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Check one table against its schema; raises ``BundleFormatError`` naming table, column and rule."""
    schema = TABLE_SCHEMAS[name]
    if not isinstance(df, pd.DataFrame):
        raise BundleFormatError(f"bundle table {name!r} must be a DataFrame, got {type(df).__name__}")
    if df.empty and name in MAY_BE_EMPTY:
        return df
    try:
        return schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise BundleFormatError(_describe(name, exc, df)) from None


def check_registrable(forecasts: pd.DataFrame, metrics: pd.DataFrame, run_metrics: dict[str, float]) -> None:
    """Before a training run logs or registers anything: every forecast number and every metric is finite.

    Why separately from the table schemas: this names the series, column and value in the words of a
    training job (and the run metrics, which are no table), so the user can go and look at that series.
    """
    cols = ["mean", *quantile_columns(forecasts.columns)]
    values = forecasts[cols].to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = (int(k[0]) for k in np.nonzero(bad))
        n = int(bad.any(axis=1).sum())
        raise BundleFormatError(
            f"training produced non-finite forecasts for {forecasts['series_id'].iloc[bad.any(axis=1)].nunique()} "
            f"series ({n} rows), e.g. {forecasts['series_id'].iloc[i]} step {int(forecasts['step'].iloc[i])}: "
            f"{cols[j]} = {values[i, j]}; refusing to log or register the bundle (check that series' data: "
            "`invest data show ID`)"
        )
    scores = [c for c in (*SCORE_COLUMNS, "mase_reconciled") if c in metrics.columns]
    inf = np.isinf(metrics[scores].to_numpy(dtype=float))
    if inf.any():
        i, j = (int(k[0]) for k in np.nonzero(inf))
        raise BundleFormatError(
            f"training produced non-finite backtest metrics, e.g. {metrics['series_id'].iloc[i]}: "
            f"{scores[j]} = {metrics[scores[j]].iloc[i]}; refusing to log or register the bundle"
        )
    odd = {k: v for k, v in run_metrics.items() if v is not None and math.isinf(float(v))}
    if odd:
        k = sorted(odd)[0]
        raise BundleFormatError(
            f"training produced non-finite run metrics ({len(odd)}), e.g. {k} = {odd[k]}; refusing to log "
            "or register the bundle"
        )


def check_forecast_grid(df: pd.DataFrame) -> None:
    """The stored forecasts carry at least the shared quantile grid."""
    missing = [c for c in QUANTILE_COLUMNS if c not in df.columns]
    if missing:
        raise BundleFormatError(
            f"bundle table 'forecasts': missing quantile columns {missing} (rule: the stored grid "
            f"{list(QUANTILE_COLUMNS)})"
        )


def check_references(tables: dict[str, pd.DataFrame]) -> None:
    """Every series a table mentions is in the catalogue (a dangling id is a broken bundle)."""
    known = set(tables["catalogue"]["series_id"])
    for name, cols in (
        ("history", ("series_id",)),
        ("forecasts", ("series_id",)),
        ("metrics", ("series_id",)),
        ("hierarchy", ("parent_id", "child_id")),
        ("transmission", ("target_id", "driver_id")),
        ("track_record", ("series_id",)),
        ("track_record_points", ("series_id",)),
    ):
        df = tables.get(name)
        if df is None:
            continue
        for col in cols:
            if col not in df.columns or df.empty:
                continue
            bad = sorted(set(df[col].astype(str)) - known)
            if bad:
                raise BundleFormatError(
                    f"bundle table {name!r}, column {col!r}: fails rule 'series in the catalogue', "
                    f"got {bad[:3]}{' ...' if len(bad) > 3 else ''}"
                )


# ---- metadata ---------------------------------------------------------------------------------------------
class _Meta(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReconciliationInfo(_Meta):
    method: str
    non_negative: bool = True
    warnings: list[str] = Field(default_factory=list)


class CalibrationInfo(_Meta):
    """Pooled interval calibrators (``Calibrator.to_dict``) and, per series, [calibrator index, MASE scale]."""

    calibrators: list[dict[str, Any]] = Field(default_factory=list)
    series: dict[str, list[float]] = Field(default_factory=dict)


class DriverInfo(_Meta):
    """A series a scenario may set a path for, with the short name analysts use for it."""

    series_id: str
    alias: str | None = None


class MacroVariable(_Meta):
    """One variable of the macro block: what the VAR sees and which bundle series it moves."""

    name: str  # world_fdi | uk_fdi | uk_bi | uk_gdp
    series_ids: list[str] = Field(min_length=1)  # bundle series it maps to; the first is the driver
    transform: Literal["dlog", "share_of_gdp"]  # 100 x annual log change | 100 x flow / nominal GDP
    unit: str
    description: str = ""


class MacroLink(_Meta):
    """Level response of ``target`` in year ``year`` to a one-unit surprise in ``condition`` (generalised
    impulse response with posterior draws; 95% interval from the draws)."""

    target: str
    condition: str
    coefficient: float
    se: float = Field(ge=0)
    ci_lo: float
    ci_hi: float
    identified: bool
    n_obs: int = Field(ge=0)
    year: int = Field(default=1, ge=1)


class RateInfo(_Meta):
    """US$ per GBP (annual means) and the baseline the scenarios convert with: a random walk from the
    last complete year, log sd ``sd_log_change`` per year."""

    years: list[int]
    usd_per_gbp: list[float]
    source: list[str]
    sd_log_change: float = Field(ge=0)
    series_id: str = "usd_per_gbp.UK.all.A"


class MacroBlock(_Meta):
    """A VAR(p) on annual data, estimated at training time; JSON-safe (lists of floats, no pickles).

    y_t = c + sum_j A_j y_{t-j} + D d_t + u_t, u_t ~ N(0, sigma); ``xtx_inv`` is (X'X)^-1 of the stacked
    regressors [1, y_{t-1} .. y_{t-p}, d_t] (columns in that order), so parameter draws are
    vec(B) | sigma ~ N(vec(B_hat), sigma (x) xtx_inv), sigma ~ inverse Wishart(resid'resid, dof).
    """

    method: Literal["var"] = "var"
    variables: list[MacroVariable]
    lags: int = Field(ge=1)
    years: list[int]  # the estimation sample (years of y_t)
    intercept: list[float]
    coefs: list[list[list[float]]]  # lags x k x k
    exog_names: list[str] = Field(default_factory=list)
    exog_coefs: list[list[float]] = Field(default_factory=list)  # k x n_exog
    sigma: list[list[float]]
    resid_cross: list[list[float]]  # resid'resid (the inverse-Wishart scale)
    xtx_inv: list[list[float]]
    dof: int = Field(ge=1)
    last_year: int
    links: list[MacroLink] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class BundleMetadata(_Meta):
    """Provenance and settings of one bundle; ``model_*``/``run_id`` are filled in from the registry."""

    data_vintage: str
    experiment: str
    seed: int
    # The date forecasts were made as of (the vintage's date): periods begun by then are nowcasts.
    present: str | None = None
    trained_at: str
    max_horizon: int = Field(ge=1)
    as_of: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    horizons: dict[str, int] = Field(default_factory=dict)
    quantiles: list[float] = Field(default_factory=list)
    reconciliation: ReconciliationInfo | None = None
    calibration: CalibrationInfo = Field(default_factory=CalibrationInfo)
    drivers: list[DriverInfo] = Field(default_factory=list)
    # The scenario macro block (World FDI, UK FDI flows, business investment, GDP), when estimated.
    macro: MacroBlock | None = None
    # The US$/GBP rates scenarios convert US$ flows with (and may set as a driver), when training had them.
    rates: RateInfo | None = None
    data_digest: str | None = None
    config_digest: str | None = None
    git_commit: str | None = None
    run_id: str | None = None
    model_name: str | None = None
    model_version: str | None = None
    model_alias: str | None = None

    @field_validator("quantiles")
    @classmethod
    def _probabilities(cls, v: list[float]) -> list[float]:
        bad = [q for q in v if not 0 < q < 1]
        if bad:
            raise ValueError(f"quantiles must be in (0, 1), got {bad}")
        return v

    @property
    def driver_aliases(self) -> dict[str, str]:
        """alias -> series id for the bundle's drivers."""
        return {d.alias: d.series_id for d in self.drivers if d.alias}


def parse_metadata(data: dict[str, Any], where: str) -> BundleMetadata:
    try:
        return BundleMetadata.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise BundleFormatError(f"{where}: metadata field {loc!r}: {err['msg']}") from None
