"""Imports every family module so its ``@register`` runs. Adding a model = one module + one line here."""

from __future__ import annotations

import importlib

FAMILY_MODULES = (
    "models.baselines",
    "models.ets",
    "models.arima",
    "models.theta",
    "models.prophet_model",
    "models.regression_arima",
    "models.statsforecast_models",
    "models.combination",
    "models.pooled_drift",
    "models.group_share",
)

for _module in FAMILY_MODULES:
    importlib.import_module(_module)
