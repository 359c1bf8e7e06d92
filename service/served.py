"""The immutable in-memory model the API serves, precomputed once per load.

Why precompute: every read endpoint is then a dict lookup plus pre-serialised bytes (the default single
forecast and history bodies) or a cheap slice of JSON-ready dicts, so request latency does not depend on
pandas. A reload builds a new ``ServedModel`` off to the side and swaps one reference.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

import pandas as pd

from forecasting.evaluation.precision import round_forecasts
from forecasting.registry.contents import IDENTITY_FIELDS, BundleContents
from forecasting.registry.summary import outliers, relative_mase, robust_summary
from forecasting.vocabulary import QUANTILE_GRID, interval_levels, qcol, qcol_prob
from service.model_state import ModelState

SUMMARY_DIGITS = 4  # significant digits of the model-level figures shown to people
ACCURACY = ("mase", "rmsse", "crps", "coverage80", "coverage95")
# How much evidence a series' interval rests on (metrics table), carried in its provenance.
EVIDENCE = ("little_evidence", "calibration_errors")
# How current the series is (catalogue), carried in its provenance.
FRESHNESS = ("last_observed", "nowcast_periods", "stale", "stale_reason", "history_note")
CATALOGUE_FIELDS = (
    "series_id",
    *IDENTITY_FIELDS,
    "aggregation",
    "non_negative",
    "start",
    "end",
    "n",
    "source",
    "is_synthetic",
    "data_vintage",
    "currency",
    "price_basis",
    "seasonal_adjustment",
    "quantity",
    *FRESHNESS,
)
# Forecast-table columns the server lays out itself; any other column of a bundle's forecasts table (e.g. a
# per-point ``kind`` nowcast/forecast, or ``last_observed``) flows through to every export as it is.
FORECAST_CORE = frozenset(
    {
        "series_id",
        "step",
        "period",
        "period_start",
        "point",
        "mean",
        "method",
        "fallback",
        "reconciled",
        "base_method",  # per series: the served ``method`` already names it when reconciliation moved it
        "reconciliation_shift",
    }
)


def dumps(obj: Any) -> bytes:
    """Compact JSON bytes (NaN must already be None)."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode()


def jsonable(v: Any) -> Any:
    """Scalars from pandas/numpy -> JSON values; NaN/NaT/NA -> None; timestamps -> ISO date (or datetime)."""
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, pd.Timestamp | datetime):
        return v.date().isoformat() if _is_midnight(v) else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    return v


def _is_midnight(t: datetime) -> bool:
    return t.hour == 0 and t.minute == 0 and t.second == 0 and t.microsecond == 0


@dataclass(frozen=True)
class SeriesEntry:
    """One series: catalogue info, stored forecast steps, history and its pre-serialised default bodies."""

    series_id: str
    info: Mapping[str, Any]
    sources: tuple[str, ...]
    steps: tuple[Mapping[str, Any], ...]  # step, period, period_start, mean, q<p>...
    method: str
    fallback: str | None
    reconciled: bool
    accuracy: Mapping[str, Any]
    forecast_json: bytes
    evidence: Mapping[str, Any]
    history_json: bytes
    forecast_etag: str = ""  # model key + content digest of the precomputed bodies
    history_etag: str = ""

    @property
    def max_horizon(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class ServedModel:
    name: str
    version: str | None
    alias: str | None
    run_id: str | None
    uri: str
    origin: str  # registry | cache | path | run | static
    data_vintage: str | None
    trained_at: str | None
    experiment: str | None
    quantiles: tuple[float, ...]
    headline_metrics: Mapping[str, float | None]
    level_metrics: tuple[Mapping[str, Any], ...]
    catalogue: tuple[Mapping[str, Any], ...]
    series: Mapping[str, SeriesEntry]
    loaded_at: str
    key: str  # changes with every model version/content: the ETag base
    metadata: Mapping[str, Any] = field(default_factory=dict)
    warehouse_vintage: str | None = None
    # Extra forecast-table columns carried per point (see FORECAST_CORE), in table order.
    forecast_extras: tuple[str, ...] = ()
    # Set when this is the cached copy served because the registry load failed: why, and which kind of
    # failure (``forecasting.registry.loader.FailureKind``). Held with the model, not read back from logs.
    fallback_reason: str | None = None
    fallback_kind: str | None = None
    # The tables themselves, for routers that compute on demand (scenarios); swapped with everything else.
    contents: BundleContents | None = field(default=None, repr=False, compare=False)
    # Real series whose backtest MASE is far out of the bulk, named (not averaged into the headline).
    headline_outliers: tuple[Mapping[str, Any], ...] = ()
    # What routes derive from this model (scenario engine, reference names, search index, other versions):
    # built on first use, dropped with the model on reload (service/model_state.py).
    state: ModelState = field(default_factory=ModelState, repr=False, compare=False)

    def provenance(self, entry: SeriesEntry | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model_name": self.name,
            "model_version": self.version,
            "model_alias": self.alias,
            "run_id": self.run_id,
            "data_vintage": self.data_vintage,
            "trained_at": self.trained_at,
            "served_from": self.origin,
        }
        if entry is not None:
            out |= {
                "sources": list(entry.sources),
                "method": entry.method,
                "is_synthetic": bool(entry.info.get("is_synthetic") or False),
                **{k: entry.info.get(k) for k in FRESHNESS},
                "present": self.metadata.get("present"),
                **{k: entry.evidence.get(k) for k in EVIDENCE},
            }
        return out

    def forecast_dict(self, entry: SeriesEntry, horizon: int, quantiles: Sequence[float]) -> dict[str, Any]:
        """The forecast body for ``entry`` cut to ``horizon`` steps and the given stored quantiles."""
        keys = [qcol(q) for q in quantiles]
        levels = interval_levels(quantiles)
        pairs = [
            (lv, qcol(round((1 - lv / 100) / 2, 6)), qcol(round(1 - (1 - lv / 100) / 2, 6))) for lv in levels
        ]
        points = []
        extras = self.forecast_extras
        for s in entry.steps[:horizon]:
            point = {
                "step": s["step"],
                "period": s["period"],
                "period_start": s["period_start"],
                "point": s.get("point", s["mean"]),
                "mean": s["mean"],
                "quantiles": {k: s[k] for k in keys},
                "intervals": [{"level": lv, "lower": s[lo], "upper": s[hi]} for lv, lo, hi in pairs],
            }
            for k in extras:
                point[k] = s.get(k)
            points.append(point)
        info = entry.info
        return {
            "series_id": entry.series_id,
            **{k: info.get(k) for k in IDENTITY_FIELDS},
            "method": entry.method,
            "fallback": entry.fallback,
            "reconciled": entry.reconciled,
            "horizon": len(points),
            "max_horizon": entry.max_horizon,
            "quantiles": [float(q) for q in quantiles],
            "interval_levels": levels,
            "points": points,
            "accuracy": dict(entry.accuracy),
            "provenance": self.provenance(entry),
        }


def _etag(key: str, kind: bytes, body: bytes) -> str:
    return f'"{key}-{hashlib.blake2b(kind + body, digest_size=8).hexdigest()}"'


def _split_sources(value: Any) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    return tuple(dict.fromkeys(s.strip() for s in str(value).split(",") if s.strip()))


def _records(df: pd.DataFrame, cols: Sequence[str]) -> list[dict[str, Any]]:
    present = [c for c in cols if c in df.columns]
    rows = df.loc[:, present].to_dict("records")
    return [{c: jsonable(r.get(c)) for c in cols} for r in rows]


def _headline(metrics: pd.DataFrame, catalogue: pd.DataFrame) -> dict[str, float | None]:
    """What ``/v1/models/current`` leads with: the same robust summary as ``invest models list``.

    Why not means: one series with MASE 2e7 (a near-zero in-sample naive error) made the mean MASE 5,520
    while the median was 1.10, and 1,706 synthetic series were averaged into the coverage. So: median and
    geometric-mean MASE with the number of real series behind them, the pooled coverages, the chosen
    method's MASE relative to the no-change rival on the same windows (``mase_rel_naive``: geometric mean
    of ratios, < 1 = better), and the synthetic series apart (``synthetic.*``); far-out series are named
    in ``headline_outliers``, not averaged in."""
    if metrics.empty or "series_id" not in metrics.columns:
        return {"n_series": 0.0}
    fake: set[str] = set()
    if "is_synthetic" in catalogue.columns:
        fake = set(catalogue.loc[catalogue["is_synthetic"].fillna(False).astype(bool), "series_id"])
    is_fake = metrics["series_id"].isin(fake)
    real = metrics[~is_fake]
    out: dict[str, float | None] = {k: _sig(v) for k, v in robust_summary(real).items()}
    out.update({k: _sig(v) for k, v in relative_mase(real).items()})
    if is_fake.any():
        out.update({f"synthetic.{k}": _sig(v) for k, v in robust_summary(metrics[is_fake]).items()})
    return out


def _sig(v: float, digits: int = SUMMARY_DIGITS) -> float | None:
    """``v`` to ``digits`` significant digits (counts stay whole): a backtest score over a few origins
    does not carry sixteen."""
    v = jsonable(v)
    if v is None or not isinstance(v, float) or v.is_integer():
        return v
    return round(v, digits - 1 - math.floor(math.log10(abs(v))))


def _outliers(metrics: pd.DataFrame, catalogue: pd.DataFrame) -> tuple[Mapping[str, Any], ...]:
    """Real series whose backtest MASE is far out (``registry.summary.outliers``), by name."""
    if metrics.empty or "series_id" not in metrics.columns:
        return ()
    fake: set[str] = set()
    if "is_synthetic" in catalogue.columns:
        fake = set(catalogue.loc[catalogue["is_synthetic"].fillna(False).astype(bool), "series_id"])
    real = metrics[~metrics["series_id"].isin(fake)]
    return tuple(MappingProxyType({"series_id": s, "mase": _sig(v)}) for s, v in outliers(real))


def build_served(
    contents: BundleContents,
    *,
    name: str | None,
    version: str | None,
    alias: str | None,
    run_id: str | None,
    uri: str,
    origin: str,
    warehouse_vintage: str | None = None,
    fallback_reason: str | None = None,
    fallback_kind: str | None = None,
) -> ServedModel:
    """Precompute everything the endpoints need from a bundle's tables."""
    md = contents.metadata
    name = name or md.model_name or "investment-forecaster"
    quantiles = tuple(q for q in QUANTILE_GRID if qcol(q) in contents.forecasts.columns)
    # shown to people: each series rounded to the precision its data carry (stored numbers stay exact)
    values = ["point", "mean", *(qcol(q) for q in quantiles)]
    fc = round_forecasts(contents.forecasts, contents.history, values)
    if "point" not in fc.columns:  # bundles from before issue 20: the median is the point forecast
        fc = fc.assign(point=fc["q0.5"] if "q0.5" in fc.columns else fc["mean"])
    catalogue = [r for r in _records(contents.catalogue, CATALOGUE_FIELDS)]
    extras = tuple(str(c) for c in fc.columns if c not in FORECAST_CORE and qcol_prob(str(c)) is None)
    step_cols = [
        "series_id",
        "step",
        "period",
        "period_start",
        "point",
        "mean",
        *[qcol(q) for q in quantiles],
        *extras,
    ]
    fc_sorted = fc.sort_values(["series_id", "step"], kind="stable")
    steps_by: dict[str, list[dict[str, Any]]] = {}
    for r in _records(fc_sorted, step_cols):
        steps_by.setdefault(r.pop("series_id"), []).append(r)
    tail = fc_sorted.drop_duplicates("series_id").set_index("series_id")
    hist_cols = ["series_id", "period", "period_start", "value", "source", "vintage"]
    hist_by: dict[str, list[dict[str, Any]]] = {}
    hist = contents.history.sort_values(["series_id", "period_start"], kind="stable")
    for r in _records(hist, hist_cols):
        hist_by.setdefault(r.pop("series_id"), []).append(r)
    acc_cols = [c for c in ("series_id", *ACCURACY) if c in contents.metrics.columns]
    ev_cols = [c for c in ("series_id", *EVIDENCE) if c in contents.metrics.columns]
    ev_by = (
        {r.pop("series_id"): r for r in _records(contents.metrics, ev_cols)} if "series_id" in ev_cols else {}
    )
    acc_by = (
        {r.pop("series_id"): r for r in _records(contents.metrics, acc_cols)}
        if "series_id" in acc_cols
        else {}
    )

    digest = hashlib.blake2b(digest_size=6)
    digest.update(f"{name}|{version}|{run_id}|{md.trained_at}|{len(fc)}".encode())
    key = f"{name}-v{version or 'local'}-{digest.hexdigest()}"
    model = ServedModel(
        name=name,
        version=version,
        alias=alias,
        run_id=run_id,
        uri=uri,
        origin=origin,
        data_vintage=md.data_vintage,
        trained_at=md.trained_at,
        experiment=md.experiment,
        quantiles=quantiles,
        headline_metrics=MappingProxyType(_headline(contents.metrics, contents.catalogue)),
        headline_outliers=_outliers(contents.metrics, contents.catalogue),
        level_metrics=tuple(_records(contents.level_metrics, list(contents.level_metrics.columns))),
        catalogue=tuple(catalogue),
        series=MappingProxyType({}),
        loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        key=key,
        metadata=MappingProxyType(
            md.model_dump(
                mode="json", include={"max_horizon", "reconciliation", "seed", "git_commit", "present"}
            )
        ),
        warehouse_vintage=warehouse_vintage,
        forecast_extras=extras,
        fallback_reason=fallback_reason,
        fallback_kind=fallback_kind,
        contents=contents,
    )
    series: dict[str, SeriesEntry] = {}
    for info in catalogue:
        sid = info["series_id"]
        steps = steps_by.get(sid, [])
        row = tail.loc[sid] if sid in tail.index else None
        fallback = None if row is None else (jsonable(row.get("fallback")) or None)
        entry = SeriesEntry(
            series_id=sid,
            info=MappingProxyType(info),
            sources=_split_sources(info.get("source")),
            steps=tuple(MappingProxyType(s) for s in steps),
            method="" if row is None else str(jsonable(row.get("method")) or ""),
            fallback=fallback,
            reconciled=bool(row is not None and jsonable(row.get("reconciled"))),
            accuracy=MappingProxyType(acc_by.get(sid, {})),
            evidence=MappingProxyType(ev_by.get(sid, {})),
            forecast_json=b"",
            history_json=b"",
        )
        body = dumps(model.forecast_dict(entry, entry.max_horizon, quantiles))
        history = {
            "series_id": sid,
            "frequency": info.get("frequency"),
            "unit": info.get("unit"),
            "observations": hist_by.get(sid, []),
            "provenance": model.provenance(entry),
        }
        hist_body = dumps(history)
        series[sid] = replace(
            entry,
            forecast_json=body,
            history_json=hist_body,
            forecast_etag=_etag(key, b"forecast", body),
            history_etag=_etag(key, b"history", hist_body),
        )
    return replace(model, series=MappingProxyType(series))
