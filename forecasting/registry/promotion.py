"""The model registry: register a version as challenger, compare versions, promote the champion.

Why aliases (not stages): ``champion`` is what the API serves (``models:/investment-forecaster@champion``),
``challenger`` is the newest candidate. Promotion only moves an alias and records who/when/why in version
tags, so a rollback is one ``invest models promote <old version> --reason ...`` (with ``--force`` when the
old version is on an older vintage: the guard says so, and the override is recorded).

Why guarded: the champion is what every consumer serves, so a promotion must not silently lose what it
serves. ``promote`` refuses (unless ``force``) a version that drops series or hierarchy levels the champion
serves, backtests worse beyond the experiment's ``[promotion]`` margin, or was trained on an older data
vintage; and always refuses a version whose training run did not finish (killed after registering).
Version numbers are never reused (``forecasting.registry.ledger``).
"""

from __future__ import annotations

import contextlib
import getpass
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from forecasting.errors import InvestError
from forecasting.registry.ledger import VersionLedger

CHAMPION = "champion"
CHALLENGER = "challenger"
SERIES_METRICS_ARTIFACT = "tables/series_metrics.parquet"
HEADLINE_METRICS = ("mase", "rmsse", "crps", "coverage80", "coverage95")
LOWER_IS_BETTER = ("mase", "rmsse", "smape", "mape", "pinball", "crps", "winkler95")


# MLflow error codes that mean "no such model / version / alias" (anything else is a store problem).
_NOT_FOUND = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")


class PromotionError(InvestError):
    """Unknown model/version/alias, or a comparison that cannot be made."""


class PromotionRefused(PromotionError):
    """The promotion guard found what the champion's consumers would lose; ``problems`` lists each."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class Rule:
    """The experiment's ``[promotion]`` rule, as recorded in the params of the version's training run."""

    metric: str = "mase"
    level: str = "all"
    margin: float = 0.02


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
    note: str = ""  # set when the pair was chosen for the user (no challenger: previous champion)


def _user() -> str:
    """The login name, when the caller passed no ``user`` (``Settings.user``, from the entry point)."""
    try:
        return getpass.getuser()
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
        if exc.error_code not in _NOT_FOUND:
            raise
        known = [s.version for s in list_versions(client, name)] if model_exists(client, name) else []
        raise PromotionError(
            f"model {name!r} has no version or alias {ref!r}"
            + (f" (versions: {known})" if known else " (no versions yet)")
        ) from exc


def model_exists(client: MlflowClient, name: str) -> bool:
    """Only "not found" means absent: any other store error propagates (a broken store is never empty)."""
    try:
        client.get_registered_model(name)
        return True
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        return False


def highest_version(client: MlflowClient, name: str) -> int:
    """The highest version number the store shows for ``name`` (0 when it has none)."""
    if not model_exists(client, name):
        return 0
    return max((int(mv.version) for mv in client.search_model_versions(f"name = '{name}'")), default=0)


def check_ledger(client: MlflowClient, name: str, ledger: VersionLedger, where: str) -> None:
    """Before any training work: a store without the model although versions were issued was reset or
    replaced (``VersionReuse``); a store ahead of the ledger (first use, other machines) updates it.

    A model whose newest versions were deleted shows fewer versions than were issued, but MLflow still
    counts the deleted ones, so only ``register_version`` (after MLflow picks the number) can tell there.
    """
    if not model_exists(client, name):
        ledger.refuse_reuse(name, 1, where)
        return
    shown = highest_version(client, name)
    if shown:
        ledger.record(name, shown)


def list_versions(client: MlflowClient, name: str) -> list[VersionSummary]:
    """Newest first, with aliases and the tags training wrote (vintage, experiment, headline metrics)."""
    if not model_exists(client, name):
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
    ledger: VersionLedger | None = None,
) -> ModelVersion:
    """Create the version and point ``alias`` at it; on any failure the half-made version is removed.

    With ``ledger``, a number at or below the highest ever issued is refused (and the version removed)
    and the new number is recorded before the alias moves.
    """
    if not model_exists(client, name):
        try:
            client.create_registered_model(name, description="Midlands investment forecast bundle (pyfunc)")
        except MlflowException:
            if not model_exists(client, name):  # created concurrently is fine
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
        if ledger is not None:
            ledger.refuse_reuse(name, mv.version, client.tracking_uri)
            ledger.record(name, mv.version)
        client.set_registered_model_alias(name, alias, mv.version)
    except BaseException:
        client.delete_model_version(name, mv.version)
        raise
    return client.get_model_version(name, mv.version)


def run_status(client: MlflowClient, mv: ModelVersion) -> str:
    """Status of the training run that produced ``mv`` (FINISHED, RUNNING, FAILED, KILLED or MISSING)."""
    if not mv.run_id:
        return "MISSING"
    try:
        return str(client.get_run(mv.run_id).info.status)
    except MlflowException as exc:
        if exc.error_code not in _NOT_FOUND:
            raise
        return "MISSING"


def require_finished(client: MlflowClient, mv: ModelVersion) -> None:
    """A version whose run did not finish (killed after registering, or still going) is never promoted:
    its run never logged everything, and nobody can tell what it would serve. ``force`` does not apply."""
    status = run_status(client, mv)
    if status != "FINISHED":
        raise PromotionError(
            f"version {mv.version} cannot be promoted: its training run {mv.run_id or '(none)'} is "
            f"{status}, not FINISHED (the job was interrupted or is still running); retrain, and see "
            "`invest models doctor` for interrupted runs"
        )


def rule_of(client: MlflowClient, mv: ModelVersion) -> Rule:
    """The ``[promotion]`` rule of the experiment that trained ``mv`` (defaults when not recorded)."""
    params: dict[str, str] = {}
    if mv.run_id:
        try:
            params = client.get_run(mv.run_id).data.params
        except MlflowException as exc:
            if exc.error_code not in _NOT_FOUND:
                raise
    default = Rule()
    try:
        return Rule(
            metric=params.get("promotion.metric", default.metric),
            level=params.get("promotion.level", default.level),
            margin=float(params.get("promotion.margin", default.margin)),
        )
    except ValueError:
        return default


def _mean(values: pd.Series) -> float:
    """Mean of the finite values (nan when there are none, without numpy's empty-slice warning)."""
    v = values.to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def _examples(items: list[str], n: int = 5) -> str:
    return ", ".join(items[:n]) + (", ..." if len(items) > n else "")


def guard_problems(
    client: MlflowClient, champion: ModelVersion, challenger: ModelVersion, rule: Rule
) -> list[str]:
    """What promoting ``challenger`` over ``champion`` would lose; empty when nothing.

    Checks: series and hierarchy levels the champion serves, the rule's metric at the rule's level and
    interval coverage (on the series both forecast; coverage as distance from nominal, in points), and
    the data vintage.
    """
    problems: list[str] = []
    old_vintage = (champion.tags or {}).get("data_vintage")
    new_vintage = (challenger.tags or {}).get("data_vintage")
    if old_vintage and new_vintage and new_vintage < old_vintage:
        problems.append(
            f"it was trained on an older data vintage ({new_vintage}) than the champion ({old_vintage})"
        )
    try:
        mc, mn = series_metrics(client, champion), series_metrics(client, challenger)
    except PromotionError as exc:
        return [*problems, f"its backtests cannot be compared with the champion's ({exc})"]
    lost = sorted(set(mc["series_id"]) - set(mn["series_id"]))
    if lost:
        problems.append(
            f"it drops {len(lost):,} of the {mc['series_id'].nunique():,} series the champion serves "
            f"(e.g. {_examples(lost)})"
        )
    levels = sorted(set(mc["level"].astype(str)) - set(mn["level"].astype(str)))
    if levels:
        problems.append(f"it drops hierarchy level(s) {', '.join(levels)} that the champion serves")
    common = sorted(set(mc["series_id"]) & set(mn["series_id"]))
    if not common:
        return problems
    a = mc.drop_duplicates("series_id").set_index("series_id").loc[common]
    b = mn.drop_duplicates("series_id").set_index("series_id").loc[common]
    at = a["level"].astype(str) == rule.level if rule.level != "all" else pd.Series(True, index=a.index)
    where = f"{rule.metric}@{rule.level} on the {int(at.sum()):,} series both forecast"
    if rule.metric in a.columns and rule.metric in b.columns and at.any():
        va, vb = _mean(a.loc[at, rule.metric]), _mean(b.loc[at, rule.metric])
        if np.isfinite(va) and np.isfinite(vb) and va:
            worse = (vb - va) / abs(va) if rule.metric in LOWER_IS_BETTER else (va - vb) / abs(va)
            if worse > rule.margin:
                problems.append(
                    f"its accuracy is worse: {where} is {vb:.4g} vs the champion's {va:.4g} "
                    f"({worse:+.1%} worse; the rule's margin is {rule.margin:.1%})"
                )
        elif np.isfinite(va) and not np.isfinite(vb):
            problems.append(f"it has no {where} to compare (the champion's is {va:.4g})")
    for cov, nominal in (("coverage80", 0.80), ("coverage95", 0.95)):
        if cov not in a.columns or cov not in b.columns or not at.any():
            continue
        va, vb = _mean(a.loc[at, cov]), _mean(b.loc[at, cov])
        if np.isfinite(va) and np.isfinite(vb) and abs(vb - nominal) - abs(va - nominal) > rule.margin:
            problems.append(
                f"its intervals are less well calibrated: {cov} is {vb:.1%} vs the champion's {va:.1%} "
                f"(nominal {nominal:.0%}; further off by {abs(vb - nominal) - abs(va - nominal):.1%} "
                f"points, the rule's margin is {rule.margin:.1%})"
            )
    return problems


def promote(
    client: MlflowClient,
    name: str,
    version: str | int,
    reason: str,
    user: str | None = None,
    *,
    force: bool = False,
) -> VersionSummary:
    """Move ``champion`` to ``version``; record promoted_by/at/reason and what it replaced.

    Refused when ``reason`` is blank, when the version's training run did not finish, and (unless
    ``force``) when ``guard_problems`` finds anything; the refusal lists each problem. A forced promotion
    records what it overrode in the version's tags.
    """
    if not str(reason or "").strip():
        raise PromotionError(
            "a reason is required to promote (--reason '...'): it is recorded with the version"
        )
    mv = get_version(client, name, version)
    previous: ModelVersion | None = None
    try:
        previous = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException as exc:
        if exc.error_code not in _NOT_FOUND:
            raise
        previous = None
    if previous is not None and str(previous.version) == str(mv.version):
        raise PromotionError(f"version {mv.version} is already the champion")
    require_finished(client, mv)
    problems = guard_problems(client, previous, mv, rule_of(client, mv)) if previous is not None else []
    if problems and not force:
        raise PromotionRefused(
            f"refusing to promote v{mv.version} over champion v{previous.version}: "  # type: ignore[union-attr]
            + "; ".join(problems)
            + ". Compare them with `invest models compare "
            + f"{previous.version} {mv.version}`; to promote anyway, add --force",  # type: ignore[union-attr]
            problems,
        )
    user = user or _user()
    when = _now()
    client.set_registered_model_alias(name, CHAMPION, mv.version)
    tags = {
        "promoted_by": user,
        "promoted_at": when,
        "promotion_reason": reason,
        "previous_champion": previous.version if previous is not None else "",
    }
    if problems:
        tags["promotion_forced_over"] = "; ".join(problems)[:5000]
    for key, value in tags.items():
        client.set_model_version_tag(name, mv.version, key, str(value))
    if previous is not None:
        client.set_model_version_tag(name, previous.version, "demoted_at", when)
        client.set_model_version_tag(name, previous.version, "superseded_by", str(mv.version))
    if CHALLENGER in (getattr(mv, "aliases", None) or []):
        client.delete_registered_model_alias(name, CHALLENGER)
    return _summary(client.get_model_version(name, mv.version))


def ensure_champion(
    client: MlflowClient,
    name: str,
    version: str | int,
    reason: str = "first champion",
    user: str | None = None,
) -> bool:
    """Promote ``version`` only when the model has no champion yet (``invest run``). True if promoted."""
    try:
        client.get_model_version_by_alias(name, CHAMPION)
        return False
    except MlflowException as exc:
        if exc.error_code not in _NOT_FOUND:
            raise
        promote(client, name, version, reason=reason, user=user)
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
    """Backtest metrics of two versions side by side per hierarchy level, on the series both forecast.

    With the defaults and no challenger (e.g. right after a promotion), the champion is compared with the
    champion it replaced, and ``Comparison.note`` says so.
    """
    note = ""
    if str(a) == CHAMPION and str(b) == CHALLENGER and not _has_alias(client, name, CHALLENGER):
        champ = get_version(client, name, CHAMPION)
        prev = (champ.tags or {}).get("previous_champion", "")
        if not prev:
            raise PromotionError(
                f"model {name!r} has no challenger, and champion v{champ.version} replaced no earlier "
                "champion: name two versions, e.g. `invest models compare 1 2`"
            )
        a, b = prev, champ.version
        note = f"no challenger: comparing champion v{champ.version} with the champion it replaced, v{prev}"
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
    return Comparison(_summary(mva), _summary(mvb), pd.DataFrame(rows), len(common), wanted, note)


def _has_alias(client: MlflowClient, name: str, alias: str) -> bool:
    try:
        client.get_model_version_by_alias(name, alias)
        return True
    except MlflowException as exc:
        if exc.error_code not in _NOT_FOUND:
            raise
        return False


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
    user: str | None = None,
) -> Decision:
    """Promote ``version`` if it beats the champion by ``margin`` (relative) on ``metric`` at ``level``."""
    try:
        champ = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException as exc:
        if exc.error_code not in _NOT_FOUND:
            raise
        promote(client, name, version, reason="auto: no champion yet", user=user)
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
        try:
            promote(client, name, chall.version, reason=f"auto: {verdict} >= margin {margin:.1%}", user=user)
        except PromotionRefused as exc:
            return Decision(False, f"{verdict}, but the promotion guard refused: {'; '.join(exc.problems)}")
        return Decision(True, verdict)
    return Decision(False, f"{verdict} < margin {margin:.1%}")
