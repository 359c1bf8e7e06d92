"""Example bodies for the cluster scorecard routes (documents written by `invest scorecards`).

Their response models (``service.schemas.ClusterList`` ...) describe the shape; these examples are the
realistic bodies shown in the docs, and ``tests/service/test_hardening.py`` validates them against the
models so the two cannot drift.
"""

from __future__ import annotations

from typing import Any

MODEL_PROVENANCE: dict[str, Any] = {
    "model_name": "investment-forecaster",
    "model_version": "3",
    "model_alias": "champion",
    "run_id": "0476a89c89e0405e992982062f2ca3c7",
    "data_vintage": "20261124T232204293745Z",
    "trained_at": "2026-11-24T23:23:50+00:00",
}

CLUSTER_ROW: dict[str, Any] = {
    "id": "automotive",
    "name": "Automotive",
    "score": 47.9,
    "rank": 6,
    "rank_interval": {"median": 6, "p05": 2, "p95": 12, "p_top5": 0.41},
    "tier": 1,
    "band": 1,
    "band_label": "top half",
    "stars": {"size": True, "specialisation": True, "focus": False, "momentum": False, "count": 2},
    "area_scores": {
        "business_population": 55.2,
        "support_environment": 48.1,
        "innovation": 50.0,
        "investment_stocks": 44.7,
        "investment_trends": 41.3,
    },
}

METRIC_ROW: dict[str, Any] = {
    "id": "employment",
    "name": "Employment",
    "area": "business_population",
    "unit": "persons",
    "direction": "higher",
    "value": 70800.0,
    "benchmark": 169760.0,
    "benchmark_label": "Great Britain cluster employment",
    "period": "2021",
    "source": "ONS BRES (open, rounded) via Nomis",
    "vintage": "20261124T232204293745Z",
    "is_synthetic": False,
    "scored": True,
    "provenance": "Sum of the cluster's SIC slices over the six Midlands ITL2 areas.",
}

SCORECARD_PROVENANCE: dict[str, Any] = {
    "data_vintage": "20261124T232204293745Z",
    "model": {**MODEL_PROVENANCE, "label": "investment-forecaster v3 @champion"},
    "seed": 20261124,
    "draws": 1000,
    "normalisation": "minmax",
}

CLUSTERS_EXAMPLE: dict[str, Any] = {
    "provenance": SCORECARD_PROVENANCE,
    "areas": {
        "business_population": "Business population",
        "support_environment": "Cluster support environment",
        "innovation": "Innovation and R&D",
        "investment_stocks": "Investment stocks",
        "investment_trends": "Investment trends",
    },
    "count": 25,
    "items": [CLUSTER_ROW],
}

SCORECARD_EXAMPLE: dict[str, Any] = {
    "provenance": SCORECARD_PROVENANCE,
    "areas": CLUSTERS_EXAMPLE["areas"],
    **CLUSTER_ROW,
    "description": "Motor vehicles, bodies, parts and accessories",
    "sic": ["29", "30300"],
    "indistinguishable_from": [
        {"id": "digital-tech", "name": "Digital technologies"},
        {"id": "financial-services", "name": "Financial services"},
    ],
    "metrics": [METRIC_ROW],
}

SCORECARDS_EXAMPLE: dict[str, Any] = {
    "schema_version": 1,
    "provenance": SCORECARD_PROVENANCE,
    "areas": CLUSTERS_EXAMPLE["areas"],
    "ranking": [CLUSTER_ROW],
    "clusters": [SCORECARD_EXAMPLE],
    "notes": ["Partner metrics use synthetic (demo data) partner files."],
}


def ok(example: dict[str, Any], description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 response entry with a JSON example, for ``responses=``."""
    return {200: {"description": description, "content": {"application/json": {"example": example}}}}
