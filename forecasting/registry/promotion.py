"""The model registry: register a version as challenger, compare versions, promote the champion.

Why aliases (not stages): ``champion`` is what the API serves (``models:/investment-forecaster@champion``),
``challenger`` is the newest candidate. Promotion only moves an alias and records who/when/why in version
tags, so a rollback is one ``invest models promote <old version>``.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from forecasting.errors import InvestError

CHAMPION = "champion"
CHALLENGER = "challenger"
SERIES_METRICS_ARTIFACT = "tables/series_metrics.parquet"
HEADLINE_METRICS = ("mase", "rmsse", "crps", "coverage80", "coverage95")
LOWER_IS_BETTER = ("mase", "rmsse", "smape", "mape", "pinball", "crps", "winkler95")


class PromotionError(InvestError):
    """Unknown model/version/alias, or a comparison that cannot be made."""


@dataclass
class VersionSummary:
    version: str
    aliases: list[str]
    data_vintage: str | None
    experiment: str | None
    run_id: str | None
    created: datetime
    headline: dict[str, float]
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Comparison:
    a: VersionSummary
    b: VersionSummary
    table: pd.DataFrame  # level, n_series, <metric>_a, <metric>_b, <metric>_change (b vs a, relative)
    n_common: int
    metrics: list[str]


def _user() -> str:
    try:
        return os.environ.get("INVEST_USER") or getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _summary(mv: ModelVersion) -> VersionSummary:
    tags = dict(mv.tags or {})
    headline = {}
    for k, v in tags.items():
        if k.startswith("metric."):
            with contextlib.suppress(ValueError):
                headline[k.removeprefix("metric.")] = float(v)
    return VersionSummary(
        version=str(mv.version),
        aliases=sorted(getattr(mv, "aliases", []) or []),
        data_vintage=tags.get("data_vintage"),
        experiment=tags.get("experiment"),
        run_id=mv.run_id,
        created=datetime.fromtimestamp((mv.creation_timestamp or 0) / 1000, UTC),
        headline=headline,
        tags=tags,
    )


def get_version(client: MlflowClient, name: str, ref: str | int) -> ModelVersion:
    """``ref`` is a version number or an alias (``champion``, ``challenger`` ...)."""
    ref = str(ref)
    try:
        if ref.isdigit():
            return client.get_model_version(name, ref)
        return client.get_model_version_by_alias(name, ref)
    except MlflowException as exc:
        known = [s.version for s in list_versions(client, name)] if _model_exists(client, name) else []
        raise PromotionError(
            f"model {name!r} has no version or alias {ref!r}"
            + (f" (versions: {known})" if known else " (no versions yet)")
        ) from exc


def _model_exists(client: MlflowClient, name: str) -> bool:
    try:
        client.get_registered_model(name)
        return True
    except MlflowException:
        return False


def list_versions(client: MlflowClient, name: str) -> list[VersionSummary]:
    """Newest first, with aliases and the tags training wrote (vintage, experiment, headline metrics)."""
    if not _model_exists(client, name):
        return []
    versions = client.search_model_versions(f"name = '{name}'")
    out = [_summary(client.get_model_version(name, mv.version)) for mv in versions]
    return sorted(out, key=lambda s: int(s.version), reverse=True)


def register_version(
    client: MlflowClient,
    name: str,
    model_uri: str,
    run_id: str,
    tags: dict[str, Any],
    alias: str = CHALLENGER,
) -> ModelVersion:
    """Create the version and point ``alias`` at it; on any failure the half-made version is removed."""
    if not _model_exists(client, name):
        try:
            client.create_registered_model(name, description="Midlands investment forecast bundle (pyfunc)")
        except MlflowException:
            if not _model_exists(client, name):  # created concurrently is fine
                raise
    # MLflow 3 logged models live at models:/<model_id>; a server insists on the id being passed too
    model_id = model_uri.removeprefix("models:/") if model_uri.startswith("models:/m-") else None
    mv = client.create_model_version(
        name,
        source=model_uri,
        run_id=run_id,
        tags={k: str(v) for k, v in tags.items() if v is not None},
        model_id=model_id,
    )
    try:
        client.set_registered_model_alias(name, alias, mv.version)
    except BaseException:
        client.delete_model_version(name, mv.version)
        raise
    return client.get_model_version(name, mv.version)


def promote(
    client: MlflowClient, name: str, version: str | int, reason: str = "", user: str | None = None
) -> VersionSummary:
    """Move ``champion`` to ``version``; record promoted_by/at/reason and what it replaced."""
    mv = get_version(client, name, version)
    user = user or _user()
    when = _now()
    previous: ModelVersion | None = None
    try:
        previous = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        previous = None
    if previous is not None and str(previous.version) == str(mv.version):
        raise PromotionError(f"version {mv.version} is already the champion")
    client.set_registered_model_alias(name, CHAMPION, mv.version)
    for key, value in {
        "promoted_by": user,
        "promoted_at": when,
        "promotion_reason": reason or "(none given)",
        "previous_champion": previous.version if previous is not None else "",
    }.items():
        client.set_model_version_tag(name, mv.version, key, str(value))
    if previous is not None:
        client.set_model_version_tag(name, previous.version, "demoted_at", when)
        client.set_model_version_tag(name, previous.version, "superseded_by", str(mv.version))
    if CHALLENGER in (getattr(mv, "aliases", None) or []):
        client.delete_registered_model_alias(name, CHALLENGER)
    return _summary(client.get_model_version(name, mv.version))


def ensure_champion(
    client: MlflowClient, name: str, version: str | int, reason: str = "first champion"
) -> bool:
    """Promote ``version`` only when the model has no champion yet (``invest run``). True if promoted."""
    try:
        client.get_model_version_by_alias(name, CHAMPION)
        return False
    except MlflowException:
        promote(client, name, version, reason=reason)
        return True


def series_metrics(client: MlflowClient, mv: ModelVersion) -> pd.DataFrame:
    """The per-series backtest table logged with the version's training run."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = client.download_artifacts(mv.run_id, SERIES_METRICS_ARTIFACT, tmp)
        except (MlflowException, OSError) as exc:
            raise PromotionError(
                f"version {mv.version}: no {SERIES_METRICS_ARTIFACT} in run {mv.run_id}"
            ) from exc
        return pd.read_parquet(Path(local))


def compare(
    client: MlflowClient,
    name: str,
    a: str | int = CHAMPION,
    b: str | int = CHALLENGER,
    metrics: list[str] | None = None,
) -> Comparison:
    """Backtest metrics of two versions side by side per hierarchy level, on the series both forecast."""
    mva, mvb = get_version(client, name, a), get_version(client, name, b)
    ma, mb = series_metrics(client, mva), series_metrics(client, mvb)
    wanted = metrics or [m for m in HEADLINE_METRICS if m in ma.columns and m in mb.columns]
    common = sorted(set(ma["series_id"]) & set(mb["series_id"]))
    if not common:
        raise PromotionError(f"versions {mva.version} and {mvb.version} have no series in common")
    ma = ma[ma["series_id"].isin(common)].set_index("series_id").loc[common]
    mb = mb[mb["series_id"].isin(common)].set_index("series_id").loc[common]
    level = ma["level"].astype(str)
    rows = []
    for lev, idx in [("all", ma.index), *[(lv, ma.index[level == lv]) for lv in sorted(level.unique())]]:
        row: dict[str, Any] = {"level": lev, "n_series": len(idx)}
        for m in wanted:
            va, vb = float(ma.loc[idx, m].mean()), float(mb.loc[idx, m].mean())
            row[f"{m}_a"], row[f"{m}_b"] = va, vb
            row[f"{m}_change"] = (vb - va) / abs(va) if va else float("nan")
        rows.append(row)
    return Comparison(_summary(mva), _summary(mvb), pd.DataFrame(rows), len(common), wanted)


@dataclass
class Decision:
    promoted: bool
    reason: str


def auto_promote(
    client: MlflowClient,
    name: str,
    version: str | int,
    metric: str = "mase",
    level: str = "all",
    margin: float = 0.02,
    same_vintage: bool = True,
) -> Decision:
    """Promote ``version`` if it beats the champion by ``margin`` (relative) on ``metric`` at ``level``."""
    try:
        champ = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        promote(client, name, version, reason="auto: no champion yet")
        return Decision(True, "no champion yet")
    chall = get_version(client, name, version)
    if same_vintage and (champ.tags or {}).get("data_vintage") != (chall.tags or {}).get("data_vintage"):
        return Decision(False, f"champion v{champ.version} is on another data vintage; compare by hand")
    cmp = compare(client, name, champ.version, chall.version, metrics=[metric])
    row = cmp.table[cmp.table["level"] == level]
    if row.empty:
        return Decision(False, f"no series at level {level!r} in both versions")
    a, b = float(row[f"{metric}_a"].iloc[0]), float(row[f"{metric}_b"].iloc[0])
    if not a:
        return Decision(False, f"champion {metric}@{level} is 0; nothing to beat by a relative margin")
    better = (a - b) / abs(a) if metric in LOWER_IS_BETTER else (b - a) / abs(a)
    verdict = f"{metric}@{level}: champion v{champ.version} {a:.4f}, challenger v{chall.version} {b:.4f} ({better:+.1%})"
    if better >= margin:
        promote(client, name, chall.version, reason=f"auto: {verdict} >= margin {margin:.1%}")
        return Decision(True, verdict)
    return Decision(False, f"{verdict} < margin {margin:.1%}")
