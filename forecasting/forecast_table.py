"""Forecast a table of series: ``read_forecast_input`` (strict CSV reader) and ``forecast_frame``.

Input is long: ``series_id, period, value`` with periods written ``2019`` (year), ``2019Q3`` (quarter),
``2019-07`` (month) or an ISO date (``2019-07-01``; its frequency comes from ``frequency`` or from the
spacing of the series' dates). Every bad input raises ``IngestError`` naming the file, the line and the
series, because these files are hand-made exports and the user needs to know exactly what to fix.
Output is one row per series and step with the point forecast (``point``: the median of the distribution
the bands come from), its mean and one ``lo<L>/hi<L>`` pair per interval level (widths never falling with
the step), then ``band_source`` (own | pooled | extrapolated | model) and ``bound_note``. :func:`for_display`
rounds the numbers to the precision each input series carries, for the CSV written to people.

Guards: the horizon is capped at ``MAX_HORIZON_YEARS`` of the series' frequency (intervals from these
models say nothing decades ahead, and an uncapped ``-h 1000000`` wrote 134 MB); a forecast that is not
finite (inputs near 1e300 overflow double precision) is an error, never ``inf`` or a blank in the file;
``csv_safe`` escapes text cells a spreadsheet would run as a formula.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.errors import InvalidParameter, InvestError
from forecasting.evaluation.auto import forecast_many
from forecasting.evaluation.calibration import Calibrator
from forecasting.evaluation.vectorised import Final
from forecasting.sources.errors import IngestError
from forecasting.vocabulary import FREQ, QUANTILE_GRID, FrequencySpec, SeriesId, level_to_quantiles
from models.base import registry

REQUIRED = ("series_id", "period", "value")
# "year" | "quarter" | "month" (the --frequency words) -> the shared frequency spec
FREQS: dict[str, FrequencySpec] = {spec.noun: spec for spec in FREQ.values()}
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\d{4}$"), "year"),
    (re.compile(r"^\d{4}\s*-?\s*Q[1-4]$", re.IGNORECASE), "quarter"),
    (re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"), "month"),
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ].*)?$")
MIN_POINTS = 3
# Largest |value| forecast: squares and sums of squares of the values (variances, RMSSE scales, ETS
# likelihoods) must stay finite in float64 (max ~1.8e308), so values must stay well below ~1e154.
MAX_MAGNITUDE = 1e100
# Longest horizon forecast_frame accepts, in years of the series' own frequency (30 A, 120 Q, 360 M steps).
MAX_HORIZON_YEARS = 30
# Cells a spreadsheet reads as a formula (OWASP CSV injection): escaped with a leading apostrophe.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ForecastOverflow(InvestError):
    """A forecast came out non-finite (the input is too large for double precision); says which series."""


def max_horizon(kind: str) -> int:
    """The cap on steps ahead for a series of frequency ``kind`` (year, quarter, month)."""
    return MAX_HORIZON_YEARS * 12 // FREQS[kind].months


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting with = + - @ (or tab/CR) get a leading ``'`` so a spreadsheet shows them as
    text instead of running them (a series id ``=HYPERLINK(...)`` is data, not a formula)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = [
                "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in out[col]
            ]
    return out


def read_forecast_input(path: str | Path, *, frequency: str | None = None) -> pd.DataFrame:
    """Parse and validate a CSV; returns ``series_id, period (pd.Period), value, frequency, line``."""
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise IngestError(path, f"input file {what}", expected="a CSV file with series_id,period,value")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as exc:
        raise IngestError(path, "file is empty", expected="a header row series_id,period,value") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise IngestError(path, f"malformed CSV ({exc})", expected="a comma-separated file") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    raw["line"] = np.arange(len(raw)) + 2  # header is line 1
    return validate_frame(raw, frequency=frequency, source=path)


def validate_frame(
    df: pd.DataFrame, *, frequency: str | None = None, source: str | Path = "<frame>"
) -> pd.DataFrame:
    """Checks shared by the CSV reader and ``forecast_frame``; see the module docstring."""
    if frequency is not None and frequency not in FREQS:
        raise InvalidParameter(f"frequency must be one of {sorted(FREQS)} or None, got {frequency!r}")
    for col in REQUIRED:
        if col not in df.columns:
            have = [
                c for c in df.columns if c != "line"
            ]  # "line" is ours (file line numbers), not the file's
            raise IngestError(source, f"missing column {col!r} (have {have})", line=1, column=col)
    df = df.copy()
    if "line" not in df.columns:
        df["line"] = np.arange(len(df)) + 2
    if df.empty:
        raise IngestError(source, "no data rows", line=2, expected="at least one series")
    df["series_id"] = df["series_id"].astype(str).str.strip()
    out = []
    for sid, g in df.groupby("series_id", sort=False):
        out.append(_series(sid, g, frequency, source))
    return pd.concat(out, ignore_index=True)


def _series(sid: str, g: pd.DataFrame, frequency: str | None, source: str | Path) -> pd.DataFrame:
    lines = g["line"].to_numpy(int)
    if not sid:
        raise IngestError(source, "empty series_id", line=int(lines[0]), column="series_id")
    values = []
    for raw, line in zip(g["value"], lines, strict=True):
        try:
            v = float(str(raw).strip().replace(",", "")) if not isinstance(raw, int | float) else float(raw)
        except ValueError:
            v = float("nan")
        if not np.isfinite(v):
            raise IngestError(
                source,
                f"series {sid!r}: value is not a number",
                line=int(line),
                column="value",
                expected="a number",
                got=raw,
            )
        values.append(v)
    kinds, periods = [], []
    for raw, line in zip(g["period"], lines, strict=True):
        kind, period = _parse_period(raw, frequency)
        if kind is None:
            raise IngestError(
                source,
                f"series {sid!r}: cannot parse period",
                line=int(line),
                column="period",
                expected="2019, 2019Q3, 2019-07 or an ISO date like 2019-07-01",
                got=raw,
            )
        kinds.append(kind)
        periods.append(period)
    kind = _series_kind(sid, kinds, periods, lines, frequency, source)
    code = FREQS[kind].pandas
    per = [p if isinstance(p, pd.Period) else pd.Period(p, freq=code) for p in periods]
    frame = pd.DataFrame({"series_id": sid, "period": per, "value": values, "frequency": kind, "line": lines})
    seen: dict[pd.Period, int] = {}
    for p, line in zip(frame["period"], lines, strict=True):
        if p in seen:
            raise IngestError(
                source,
                f"series {sid!r}: period {p} appears twice (first on line {seen[p]})",
                line=int(line),
                column="period",
            )
        seen[p] = int(line)
    frame = frame.sort_values("period", kind="stable").reset_index(drop=True)
    ords = np.array([p.ordinal for p in frame["period"]])
    gaps = np.flatnonzero(np.diff(ords) != 1)
    if gaps.size:
        i = int(gaps[0])
        missing = frame["period"].iloc[i] + 1
        raise IngestError(
            source,
            f"series {sid!r}: period {missing} is missing (gap between {frame['period'].iloc[i]} and {frame['period'].iloc[i + 1]})",
            line=int(frame["line"].iloc[i + 1]),
            column="period",
        )
    if len(frame) < MIN_POINTS:
        raise IngestError(
            source,
            f"series {sid!r}: too short ({len(frame)} points)",
            line=int(lines.min()),
            expected=f"at least {MIN_POINTS} points",
        )
    return frame


def _parse_period(raw: object, frequency: str | None) -> tuple[str | None, pd.Period | pd.Timestamp | None]:
    if isinstance(raw, pd.Period):
        kind = next((n for n, f in FREQS.items() if f.pandas == raw.freqstr[0]), None)
        return kind, raw
    if isinstance(raw, pd.Timestamp):
        return "date", raw
    s = str(raw).strip()
    if isinstance(raw, int | np.integer):
        s = str(int(raw))
    for pat, kind in _PATTERNS:
        if pat.match(s):
            text = re.sub(r"\s*-?\s*[Qq]", "Q", s) if kind == "quarter" else s
            return kind, pd.Period(text, freq=FREQS[kind].pandas)
    if _ISO.match(s):
        try:
            return "date", pd.Timestamp(s)
        except ValueError:
            return None, None
    return None, None


def _series_kind(
    sid: str,
    kinds: list[str],
    periods: list[object],
    lines: np.ndarray,
    frequency: str | None,
    source: str | Path,
) -> str:
    """One frequency per series: labels must agree; ISO dates take ``frequency`` or their spacing."""
    labelled = [k for k in kinds if k != "date"]
    first = labelled[0] if labelled else None
    for k, line in zip(kinds, lines, strict=True):
        if k != "date" and k != first:
            raise IngestError(
                source,
                f"series {sid!r}: mixed frequencies ({first} and {k})",
                line=int(line),
                column="period",
            )
    if first is not None and labelled and len(labelled) != len(kinds):
        line = next(int(ln) for k, ln in zip(kinds, lines, strict=True) if k == "date")
        raise IngestError(
            source,
            f"series {sid!r}: mixed frequencies ({first} labels and ISO dates)",
            line=line,
            column="period",
        )
    if first is not None:
        if frequency is not None and first != frequency:
            raise IngestError(
                source,
                f"series {sid!r}: periods are {first}ly but frequency={frequency!r}",
                line=int(lines[0]),
                column="period",
            )
        return first
    if frequency is not None:
        return frequency
    months = sorted({ts.year * 12 + ts.month - 1 for ts in periods})  # type: ignore[union-attr]
    steps = set(np.diff(months).tolist())
    for kind, step in (("month", 1), ("quarter", 3), ("year", 12)):
        if steps and min(steps) == step:
            return kind
    raise IngestError(
        source,
        f"series {sid!r}: cannot infer the frequency of its dates; pass frequency=year|quarter|month",
        line=int(lines[0]),
        column="period",
    )


def _quantiles_for(levels: Sequence[float]) -> tuple[float, ...]:
    qs = set(QUANTILE_GRID)
    for level in levels:
        if not 0 < float(level) < 100:
            raise InvalidParameter(f"interval levels must be in (0, 100), got {level}")
        qs.update(level_to_quantiles(float(level)))
    return tuple(sorted(qs))


def forecast_frame(
    df: pd.DataFrame,
    horizon: int,
    *,
    frequency: str | None = None,
    method: str = "auto",
    levels: Sequence[float] = (80, 95),
    seed: int = 0,
    n_jobs: int = -1,
    progress=None,
    non_negative: bool = False,
) -> pd.DataFrame:
    """Forecast every series ``horizon`` periods ahead; see the module docstring for the table shapes.

    ``method="auto"`` backtests the default candidates and combines them; any registered model name is
    fitted alone. Either way intervals are calibrated from pooled backtest errors where there are any.
    ``progress(phase, done, total)`` is called as series finish, per pass (``backtests & fits``, then
    ``final fits`` when groups chose a method for their series).
    Forecasts are floored at zero only when asked (``non_negative``) or when a series id names a measure
    the registry declares non-negative, never because the history happens to be positive: net flows can
    turn negative (the EU's 2023 net FDI inflow was -260bn US$).
    """
    if int(horizon) < 1:
        raise InvalidParameter(f"horizon must be >= 1, got {horizon}")
    if method != "auto" and method not in registry():
        raise InvalidParameter(f"unknown method {method!r}; use 'auto' or one of {sorted(registry())}")
    data = validate_frame(df, frequency=frequency)
    kinds = data.groupby("series_id", sort=False)["frequency"].first()
    over = kinds[[int(horizon) > max_horizon(k) for k in kinds]]
    if not over.empty:
        sid, kind = str(over.index[0]), str(over.iloc[0])
        raise InvalidParameter(
            f"horizon {horizon} is beyond the cap of {MAX_HORIZON_YEARS} years ({max_horizon(kind)} "
            f"{kind}s for {kind}ly series such as {sid!r}): these models' intervals say nothing that far "
            "ahead"
        )
    quantiles = _quantiles_for(levels)
    non_negative_default = non_negative
    panel, m_of, last, non_negative = {}, {}, {}, {}
    for sid, g in data.groupby("series_id", sort=False):
        panel[sid] = g["value"].to_numpy(float)
        m_of[sid] = FREQS[g["frequency"].iloc[0]].season_length
        last[sid] = g["period"].iloc[-1]
        non_negative[sid] = non_negative_default or declared_non_negative(str(sid))
    # progress(phase, done, total) per pass: every series' backtests (and fits where no group chooses),
    # then, when groups chose, their series' final fits (each phase's count only goes up)
    phase = {"name": "backtests & fits", "total": len(panel)}

    def on_done(done: int) -> None:
        if progress is not None:
            progress(phase["name"], done, phase["total"])

    def on_final(n: int) -> None:
        phase.update(name="final fits", total=n)

    mapper = _mapper(len(panel), n_jobs, on_done)
    kwargs = {} if method == "auto" else {"methods": [method], "selection": "best"}
    results = forecast_many(
        panel,
        int(horizon),
        season_length=m_of,
        quantiles=quantiles,
        seed=seed,
        non_negative=non_negative,
        mapper=mapper,
        on_final=on_final,
        **kwargs,
    )
    rows = []
    for sid, res in results.items():
        fc = res.forecast
        row = {
            "series_id": sid,
            "period": [str(last[sid] + s) for s in range(1, int(horizon) + 1)],
            "step": np.arange(1, int(horizon) + 1),
            "point": fc.point,  # the median of the distribution the bands come from
            "mean": fc.mean,
        }
        for level in levels:
            lo, hi = level_to_quantiles(float(level))
            row[f"lo{level:g}"], row[f"hi{level:g}"] = _q(fc.quantiles, lo), _q(fc.quantiles, hi)
        row["method"] = res.method
        row["band_source"] = (list(res.band_sources) + ["model"] * int(horizon))[: int(horizon)]
        row["bound_note"] = res.bound_note
        rows.append(pd.DataFrame(row))
    out = pd.concat(rows, ignore_index=True)
    numbers = out.select_dtypes("number").drop(columns=["step"])
    bad = ~np.isfinite(numbers.to_numpy(dtype=float)).all(axis=1)
    if bad.any():
        ids = list(dict.fromkeys(out.loc[bad, "series_id"]))
        raise ForecastOverflow(
            f"forecasts for {len(ids)} series are not finite (e.g. {ids[0]!r}): its values are too large for "
            "double precision (near 1e300); rescale the input (e.g. to millions) and forecast again"
        )
    return out


def for_display(out: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """``forecast_frame``'s output rounded per series to the precision its input values carry."""
    from forecasting.evaluation.precision import round_forecasts

    values = [c for c in out.columns if c in ("point", "mean") or re.fullmatch(r"(lo|hi)[0-9.]+", str(c))]
    band = ("lo80", "hi80") if {"lo80", "hi80"} <= set(out.columns) else None
    return round_forecasts(out, df[["series_id", "value"]], values, band=band)


def declared_non_negative(sid: str) -> bool:
    """True when ``sid`` is a project series id whose measure the registry declares non-negative."""
    from forecasting.reference.measures import load_measures

    try:
        measure = SeriesId.parse(sid).measure
    except ValueError:
        return False
    spec = load_measures().get(measure)
    return bool(spec is not None and spec.non_negative)


def _q(qs: dict[float, np.ndarray], p: float) -> np.ndarray:
    return next(v for q, v in qs.items() if abs(q - p) < 1e-9)


def _mapper(n_items: int, n_jobs: int, progress):
    """forecasting.parallel when present (progress callbacks), else auto's joblib default; serial for tiny inputs."""
    jobs = 1 if n_items < 8 or n_jobs == 1 else n_jobs
    try:
        from forecasting.parallel import map_series
    except ImportError:  # pragma: no cover - the parallel module is written concurrently
        from forecasting.evaluation.auto import default_mapper

        return default_mapper(jobs)

    def run(fn, items):
        return map_series(
            fn, items, backend="serial" if jobs == 1 else "joblib", n_jobs=jobs, progress=progress
        )

    return run


# ---- many annual series: streamed, vectorised (forecasting/evaluation/vectorised.py) ----------------------
CHUNK_SERIES = 2000  # series per unit of work: big enough for vectorised arithmetic, small enough to stream
FAST_MIN_SERIES = 50  # below this the per-series path is as quick and gives the same numbers


class AnnualPanel:
    """A validated CSV of annual series held as arrays (no per-row objects): what the fast path needs.

    ``ids`` in first-appearance order; ``values[i]`` oldest first; ``last_year[i]`` its last period;
    ``decimals[i]`` the decimals its values are published with (``precision.data_decimals``).
    """

    def __init__(self, ids: np.ndarray, values: list[np.ndarray], last_year: np.ndarray) -> None:
        self.ids, self.values, self.last_year = ids, values, last_year
        self.lengths = np.array([v.size for v in values])
        self.decimals = _decimals_rows(values)

    def __len__(self) -> int:
        return len(self.ids)


def read_annual_panel(path: str | Path) -> AnnualPanel | None:
    """The input as an :class:`AnnualPanel` when every period is a 4-digit year and the file is clean;
    None otherwise, so the strict per-series reader (``read_forecast_input``) names any problem in it."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
        return None
    raw.columns = [str(c).strip() for c in raw.columns]
    if raw.empty or any(c not in raw.columns for c in REQUIRED):
        return None
    sid = raw["series_id"].astype(str).str.strip()
    period = raw["period"].astype(str).str.strip()
    if (sid == "").any() or not period.str.fullmatch(r"\d{4}").all():
        return None
    text = raw["value"].astype(str).str.strip().str.replace(",", "", regex=False)
    value = pd.to_numeric(text, errors="coerce").to_numpy(float)
    if not np.isfinite(value).all() or (len(value) and np.abs(value).max() > MAX_MAGNITUDE):
        return None
    codes, uniques = pd.factorize(sid, sort=False)
    year = period.to_numpy(dtype=int)
    order = np.lexsort((year, codes))
    c, y, v = codes[order], year[order], value[order]
    same = c[1:] == c[:-1]
    if np.any(same & (np.diff(y) != 1)):  # duplicates and gaps: the strict reader says which
        return None
    counts = np.bincount(c, minlength=len(uniques))
    if counts.min() < MIN_POINTS:
        return None
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    values = np.split(v, starts[1:])
    last = y[starts + counts - 1]
    return AnnualPanel(np.asarray(uniques, dtype=object), values, last)


def _decimals_rows(values: list[np.ndarray]) -> np.ndarray:
    """``precision.data_decimals`` of every series (all values at once)."""
    from forecasting.evaluation.precision import MAX_DECIMALS

    flat = np.concatenate(values) if values else np.zeros(0)
    first = np.full(flat.size, MAX_DECIMALS)
    tol = 1e-9 * np.maximum(np.abs(flat), 1.0)
    for d in range(MAX_DECIMALS, -1, -1):
        first = np.where(np.abs(flat - np.round(flat, d)) <= tol, d, first)
    owner = np.repeat(np.arange(len(values)), [v.size for v in values])
    out = np.zeros(len(values), dtype=int)
    np.maximum.at(out, owner, first)
    return out


def _chunks_of(panel: AnnualPanel, size: int) -> list[tuple[int, int, np.ndarray]]:
    """Units of work: (chunk, length, series indices): chunks of at most ``size`` series in input order,
    split by length (a unit's series form one array)."""
    out = []
    for chunk, start in enumerate(range(0, len(panel), size)):
        idx = np.arange(start, min(start + size, len(panel)))
        for n in np.unique(panel.lengths[idx]):
            out.append((chunk, int(n), idx[panel.lengths[idx] == n]))
    return out


def _backtest_unit(args: tuple) -> tuple:
    from forecasting.evaluation.vectorised import backtest_panel

    Y, h, nn, method, nw, sw = args
    bt = backtest_panel(Y, h, nn, method, nw, sw)
    return bt.origins, bt.errors, bt.mase, bt.smape


def _final_unit(args: tuple) -> object:
    from forecasting.evaluation.vectorised import final_panel

    Y, h, nn, chosen, cal, probs = args
    return final_panel(Y, h, nn, chosen, cal, probs)


def forecast_csv_stream(
    panel: AnnualPanel,
    horizon: int,
    output: Path,
    *,
    method: str = "auto",
    levels: Sequence[float] = (80, 95),
    non_negative: bool = False,
    chunk_size: int = CHUNK_SERIES,
    n_jobs: int = -1,
    backend: str = "joblib",
    scheduler: str | None = None,
    progress=None,
) -> int | None:
    """Forecast an annual panel and write the CSV chunk by chunk (same rows and numbers as
    ``forecast_frame`` + ``for_display`` + ``csv_safe``); returns the rows written, or None when the
    panel is outside what the vectorised path computes (the caller then takes the per-series path).

    ``progress(phase, done, total)`` is called as units finish (phase ``backtests`` then ``forecasts``).
    """
    from forecasting.evaluation.auto import pool_calibrator
    from forecasting.evaluation.vectorised import choose, errors_frame, supported, windows_for
    from forecasting.parallel import map_series

    h = int(horizon)
    if h < 1:
        raise InvalidParameter(f"horizon must be >= 1, got {horizon}")
    if h > max_horizon("year"):
        sid = str(panel.ids[0])
        raise InvalidParameter(
            f"horizon {horizon} is beyond the cap of {MAX_HORIZON_YEARS} years ({max_horizon('year')} "
            f"years for yearly series such as {sid!r}): these models' intervals say nothing that far ahead"
        )
    if len(panel) < FAST_MIN_SERIES or not supported(method, [1]):
        return None
    quantiles = _quantiles_for(levels)
    nn = np.array([non_negative or declared_non_negative(str(s)) for s in panel.ids], dtype=bool)
    nw, sw = windows_for(len(panel), method)
    units = _chunks_of(panel, chunk_size)
    jobs = 1 if n_jobs == 1 else n_jobs
    be = "serial" if jobs == 1 else backend

    def run(fn, items, phase):
        total = sum(len(u[2]) for u in units)
        sizes = [len(u[2]) for u in units]

        def hook(done_units: int) -> None:
            if progress is not None:
                progress(phase, sum(sizes[:done_units]), total)

        return map_series(
            fn, items, backend=be, scheduler=scheduler, n_jobs=jobs, progress=hook, chunk_size=1
        )

    def matrix(idx: np.ndarray) -> np.ndarray:
        return np.vstack([panel.values[i] for i in idx])

    bts = run(_backtest_unit, [(matrix(idx), h, nn[idx], method, nw, sw) for _, _, idx in units], "backtests")
    from forecasting.evaluation.vectorised import candidates

    names = candidates(method)
    scored = [(b[2], b[3]) for b in bts if b[2]]
    if scored:
        mase = np.vstack([np.column_stack([m[c] for c in names]) for m, _ in scored])
        smape = np.vstack([np.column_stack([s[c] for c in names]) for _, s in scored])
        pick = choose(mase, smape, names)
    else:
        pick = names[0]
    frames = []
    chosen_of: list[str] = []
    for (_, _, idx), (origins, errors, mase_u, _) in zip(units, bts, strict=True):
        chosen = pick if mase_u else names[0]  # too short to backtest: the first candidate
        chosen_of.append(chosen)
        if mase_u:
            frames.append(errors_frame(panel.ids[idx], origins, errors[chosen]))
    errors = pd.concat(frames) if frames else pd.DataFrame()
    if len(errors) < 60:  # forecast_many's min_errors: uncalibrated, left to the per-series path
        return None
    cal = pool_calibrator(errors, quantiles, min_per_step=100)
    del errors, frames, bts
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")  # renamed when complete: never half a file
    try:
        written = _write_chunks(
            partial, units, chosen_of, panel, h, nn, cal, quantiles, levels, be, scheduler, jobs, progress
        )
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return written


def _write_chunks(
    path: Path,
    units: list[tuple[int, int, np.ndarray]],
    chosen_of: list[str],
    panel: AnnualPanel,
    h: int,
    nn: np.ndarray,
    cal: Calibrator,
    quantiles: Sequence[float],
    levels: Sequence[float],
    be: str,
    scheduler: object,
    jobs: int,
    progress: object,
) -> int:
    """Pass 2 of ``forecast_csv_stream``: final fits, a few chunks at a time, appended to ``path``."""
    from forecasting.parallel import map_series

    def matrix(idx: np.ndarray) -> np.ndarray:
        return np.vstack([panel.values[i] for i in idx])

    written = 0
    wave = max(2, 2 * (os.cpu_count() or 1))  # chunks in flight at once: bounded memory, busy workers
    n_chunks = units[-1][0] + 1
    with open(path, "w", newline="", encoding="utf-8") as fh:
        header = True
        done = 0
        for first in range(0, n_chunks, wave):
            part = [k for k, u in enumerate(units) if first <= u[0] < first + wave]
            finals = map_series(
                _final_unit,
                [(matrix(units[k][2]), h, nn[units[k][2]], chosen_of[k], cal, quantiles) for k in part],
                backend=be,
                scheduler=scheduler,
                n_jobs=jobs,
                chunk_size=1,
            )
            frames_of: dict[int, list[pd.DataFrame]] = {}
            for k, fin in zip(part, finals, strict=True):
                chunk, _, idx = units[k]
                frames_of.setdefault(chunk, []).append(
                    _rows(panel, idx, fin, chosen_of[k], levels, h, nn[idx])
                )
            for chunk in sorted(frames_of):  # each chunk's rows back in input order, then written
                frame = pd.concat(frames_of[chunk], ignore_index=True)
                frame = frame.sort_values("_pos", kind="stable").drop(columns="_pos")
                frame.to_csv(fh, index=False, header=header)
                header = False
                written += len(frame)
                done += len(frame) // h
            if progress is not None:
                progress("forecasts", done, len(panel))
    return written


def _rows(
    panel: AnnualPanel,
    idx: np.ndarray,
    fin: Final,
    method: str,
    levels: Sequence[float],
    h: int,
    nn: np.ndarray,
) -> pd.DataFrame:
    """One unit's output rows, rounded for display and made spreadsheet-safe (``for_display``)."""
    from forecasting.evaluation.vectorised import _index

    S = len(idx)
    cols: dict[str, np.ndarray] = {}
    bad = ~np.isfinite(fin.quantiles).all(axis=(1, 2)) | ~np.isfinite(fin.mean).all(axis=1)
    if bad.any():
        raise ForecastOverflow(
            f"forecasts for {int(bad.sum())} series are not finite (e.g. {panel.ids[idx][bad][0]!r}): its "
            "values are too large for double precision (near 1e300); rescale the input (e.g. to millions) "
            "and forecast again"
        )
    cols["point"], cols["mean"] = fin.point, fin.mean
    for level in levels:
        lo, hi = level_to_quantiles(float(level))
        cols[f"lo{level:g}"] = fin.quantiles[:, _index(fin.probs, lo)]
        cols[f"hi{level:g}"] = fin.quantiles[:, _index(fin.probs, hi)]
    dec = panel.decimals[idx]
    if "lo80" in cols:
        w = cols["hi80"] - cols["lo80"]
        w = np.where(np.isfinite(w) & (w > 0), w, np.inf).min(axis=1)
        with np.errstate(divide="ignore"):
            need = np.ceil(-np.log10(1e-3 * w))
        dec = np.where(np.isfinite(need), np.maximum(dec, need), dec)
    dec = np.clip(dec, 0, 10).astype(int)
    for name, arr in cols.items():
        out = arr.astype(float).copy()
        for d in np.unique(dec):
            out[dec == d] = np.round(arr[dec == d], int(d))
        cols[name] = out
    frame = pd.DataFrame(
        {
            "series_id": np.repeat(panel.ids[idx], h),
            "period": (np.repeat(panel.last_year[idx], h) + np.tile(np.arange(1, h + 1), S)).astype(str),
            "step": np.tile(np.arange(1, h + 1), S),
        }
    )
    for name, arr in cols.items():
        frame[name] = arr.reshape(-1)
    frame["method"] = method
    frame["band_source"] = np.tile(np.asarray((list(fin.sources) + ["model"] * h)[:h], dtype=object), S)
    frame["bound_note"] = np.repeat(
        np.where(nn, "never below 0: the measure cannot be negative", ""), h
    ).astype(object)
    frame = csv_safe(frame)
    frame["_pos"] = np.repeat(idx, h)  # input order, restored per chunk before writing
    return frame
