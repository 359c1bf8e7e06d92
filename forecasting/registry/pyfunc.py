"""The forecast bundle as an MLflow pyfunc model, logged as *models-from-code*.

Why models-from-code: the logged model is this source file plus the bundle directory (Parquet + JSON);
MLflow pickles nothing. ``load_context`` reads the directory; ``predict`` answers from the precomputed
(reconciled) forecast table and extends past the stored horizon, or to quantiles not stored, from the
fitted model states.

Input: a DataFrame with a ``series_id`` column. Params (declared in the signature): ``horizon`` (int)
and ``quantiles`` (list of floats). Output: one row per series and step with ``q<p>`` columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from mlflow.models import ModelSignature, set_model
from mlflow.pyfunc import PythonModel
from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

from forecasting.errors import InvalidParameter, NotFound
from forecasting.registry.contents import BundleContents
from forecasting.registry.store import find_bundle_dir, load_contents
from forecasting.vocabulary import QUANTILE_GRID, period_label, qcol, shift_periods

ARTIFACT_KEY = "bundle"
# The bundle model imports this project (forecasting.registry), which must be installed where it is loaded.
PIP_REQUIREMENTS = ["mlflow>=3.1", "pandas>=2.2", "pyarrow>=15", "numpy>=1.26", "scipy>=1.13"]
MAX_HORIZON = 120
BASE_COLUMNS = ("series_id", "step", "period", "period_start", "kind", "mean")
TAIL_COLUMNS = ("method", "fallback", "reconciled")


def signature(default_horizon: int) -> ModelSignature:
    """Input ``series_id``; params ``horizon`` and ``quantiles``; output long forecast rows."""
    outputs = [
        ColSpec("string", "series_id"),
        ColSpec("long", "step"),
        ColSpec("string", "period"),
        ColSpec("datetime", "period_start"),
        ColSpec("string", "kind"),
        ColSpec("double", "mean"),
        *[ColSpec("double", qcol(q), required=False) for q in QUANTILE_GRID],
        ColSpec("string", "method"),
        ColSpec("string", "fallback"),
        ColSpec("boolean", "reconciled"),
    ]
    params = ParamSchema(
        [
            ParamSpec("horizon", "long", int(default_horizon)),
            ParamSpec("quantiles", "double", [float(q) for q in QUANTILE_GRID], shape=(-1,)),
        ]
    )
    return ModelSignature(
        inputs=Schema([ColSpec("string", "series_id")]), outputs=Schema(outputs), params=params
    )


def _state_forecast(
    state: dict[str, Any], h: int, quantiles: Sequence[float]
) -> tuple[np.ndarray, dict[float, np.ndarray], str]:
    """Refit-free prediction from a stored JSON state (``models.base.Forecaster.from_state``)."""
    from models.base import Forecaster

    model = Forecaster.from_state(state)
    fc = model.predict(h, quantiles=quantiles)
    return fc.mean, fc.quantiles, fc.method


def parse_params(params: dict[str, Any] | None, default_horizon: int) -> tuple[int, list[float]]:
    """Validate predict params; clear errors for a bad horizon or quantile."""
    params = params or {}
    raw_h = params.get("horizon")
    horizon = default_horizon if raw_h is None else int(raw_h)
    if not 1 <= horizon <= MAX_HORIZON:
        raise InvalidParameter(f"horizon must be between 1 and {MAX_HORIZON}, got {horizon}")
    raw_q = params.get("quantiles")
    qs = (
        list(QUANTILE_GRID) if raw_q is None else [float(q) for q in np.ravel(np.asarray(raw_q, dtype=float))]
    )
    bad = [q for q in qs if not 0 < q < 1]
    if bad:
        raise InvalidParameter(f"quantiles must be in (0, 1), got {bad}")
    return horizon, sorted(set(qs))


def forecast_frame(
    contents: BundleContents, series_ids: Sequence[str], horizon: int, quantiles: Sequence[float]
) -> pd.DataFrame:
    """Forecast rows for ``series_ids``: stored (reconciled) steps first, later steps from model states."""
    ids = list(dict.fromkeys(str(s) for s in series_ids))
    known = set(contents.catalogue["series_id"])
    unknown = [s for s in ids if s not in known]
    if unknown:
        raise NotFound(f"unknown series_id {unknown[:10]}{' ...' if len(unknown) > 10 else ''}")
    qs = [float(q) for q in quantiles]
    cols = [qcol(q) for q in qs]
    fc = contents.forecasts
    stored = fc[fc["series_id"].isin(ids) & (fc["step"] <= horizon)]
    missing_q = [c for c in cols if c not in fc.columns]
    parts: list[pd.DataFrame] = []
    if not missing_q:
        parts.append(stored.loc[:, [*BASE_COLUMNS, *cols, *TAIL_COLUMNS]])
    stored_steps = stored.groupby("series_id")["step"].max().to_dict() if not missing_q else {}
    freq = contents.catalogue.set_index("series_id")["frequency"].to_dict()
    last_start = contents.history.groupby("series_id")["period_start"].max().to_dict()
    for sid in ids:
        first = int(stored_steps.get(sid, 0)) + 1
        if first > horizon:
            continue
        state = contents.states.get(sid)
        if not state:
            raise InvalidParameter(
                f"{sid}: no fitted state in this bundle to forecast beyond step {first - 1}"
            )
        mean, qd, method = _state_forecast(state, horizon, qs)
        steps = list(range(first, horizon + 1))
        starts = shift_periods(last_start[sid], freq[sid], steps)
        row = {
            "series_id": sid,
            "step": steps,
            "period": [period_label(t, freq[sid]) for t in starts],
            "period_start": starts,
            "kind": "forecast",  # beyond the stored steps: past the present
            "mean": mean[first - 1 :],
            **{qcol(q): qd[q][first - 1 :] for q in qs},
            "method": method,
            "fallback": "",
            "reconciled": False,
        }
        parts.append(pd.DataFrame(row))
    if not parts:
        return pd.DataFrame(columns=[*BASE_COLUMNS, *cols, *TAIL_COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    order = {s: i for i, s in enumerate(ids)}
    out = (
        out.assign(_o=out["series_id"].map(order))
        .sort_values(["_o", "step"], kind="stable")
        .drop(columns="_o")
    )
    out["step"] = out["step"].astype("int64")
    out["reconciled"] = out["reconciled"].astype(bool)
    out["fallback"] = out["fallback"].fillna("").astype(str)
    return out.reset_index(drop=True)


class ForecastBundleModel(PythonModel):
    """State is only the bundle directory MLflow hands over in ``context.artifacts``."""

    def load_context(self, context: Any) -> None:
        self.contents = load_contents(find_bundle_dir(context.artifacts[ARTIFACT_KEY]))
        self.default_horizon = self.contents.metadata.max_horizon

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        if isinstance(model_input, pd.DataFrame):
            if "series_id" not in model_input.columns:
                raise InvalidParameter("input needs a 'series_id' column")
            ids = model_input["series_id"].astype(str).tolist()
        elif isinstance(model_input, dict):
            ids = [str(s) for s in np.ravel(model_input["series_id"])]
        else:
            ids = [str(s) for s in np.ravel(model_input)]
        horizon, qs = parse_params(params, self.default_horizon)
        return forecast_frame(self.contents, ids, horizon, qs)


set_model(ForecastBundleModel())
