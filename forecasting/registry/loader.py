"""Load a forecast bundle for serving: from the registry (by alias or version), a run, or a local folder.

Why not just ``mlflow.pyfunc.load_model``: the API needs the tables themselves plus provenance (model
name, version, alias, run id), and a *degraded mode*: with ``cache_dir`` the last bundle loaded is kept on
disk, and if the registry cannot be reached later the API starts from that copy (``source == "cache"``).
The bytes are the same ones ``mlflow.pyfunc.load_model("models:/...@champion")`` reads.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from forecasting.errors import InvestError
from forecasting.registry.contents import BundleContents
from forecasting.registry.store import find_bundle_dir, load_contents

log = logging.getLogger(__name__)
CACHE_CURRENT = "current"
CACHE_INFO = "cache.json"


# Why a registry load failed, so the API can say it in plain words (and never say "unreachable" when
# the registry answered but the artifact was missing):
#   registry_unreachable  the tracking server / database did not answer
#   not_registered        it answered, but has no such model, version or alias
#   artifact_missing      the version exists but its artifact could not be downloaded
#   artifact_corrupt      the artifact downloaded but is not a readable forecast bundle
FailureKind = Literal["registry_unreachable", "not_registered", "artifact_missing", "artifact_corrupt"]


class BundleUnavailable(InvestError):
    """No bundle could be loaded from the registry, and no usable cached copy exists."""

    def __init__(self, message: str, kind: FailureKind | None = None) -> None:
        super().__init__(message)
        self.kind = kind


class _StageError(Exception):
    """A registry load failed at a known stage; ``kind`` says which (see ``FailureKind``)."""

    def __init__(self, kind: FailureKind, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.kind = kind


@dataclass
class LoadedBundle:
    contents: BundleContents
    model_name: str | None
    version: str | None
    alias: str | None
    run_id: str | None
    uri: str
    source: Literal["registry", "run", "path", "cache"]
    # Set when the registry load failed and this is the cached copy: why (held as state, not read from logs).
    fallback_reason: str | None = None
    fallback_kind: FailureKind | None = None

    @property
    def data_vintage(self) -> str:
        return self.contents.metadata.data_vintage

    def forecast(
        self, series_ids: Sequence[str], horizon: int | None = None, quantiles: Sequence[float] | None = None
    ) -> pd.DataFrame:
        """Same answer as the pyfunc model's ``predict`` (stored steps, then model states)."""
        from forecasting.registry.pyfunc import forecast_frame, parse_params

        h, qs = parse_params({"horizon": horizon, "quantiles": quantiles}, self.contents.metadata.max_horizon)
        return forecast_frame(self.contents, series_ids, h, qs)


def _parse_models_uri(uri: str) -> tuple[str, str | None, str | None]:
    """``models:/name@alias`` -> (name, None, alias); ``models:/name/3`` -> (name, "3", None)."""
    rest = uri.removeprefix("models:/").strip("/")
    if "@" in rest:
        name, alias = rest.split("@", 1)
        return name, None, alias
    if "/" in rest:
        name, version = rest.rsplit("/", 1)
        return name, version, None
    return rest, None, None


def _with_provenance(
    contents: BundleContents, name: str | None, version: str | None, alias: str | None, run_id: str | None
) -> BundleContents:
    md = contents.metadata
    contents.metadata = md.model_copy(
        update={
            "model_name": name or md.model_name,
            "model_version": version,
            "model_alias": alias,
            "run_id": run_id or md.run_id,
        }
    )
    return contents


def _write_cache(cache_dir: Path, bundle_dir: Path, info: dict) -> None:
    """Replace ``cache_dir/current`` in one rename so a reader never sees half a bundle."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = cache_dir / f".staging-{uuid.uuid4().hex}"
    shutil.copytree(bundle_dir, staging / "bundle")
    (staging / CACHE_INFO).write_text(json.dumps(info, indent=1), encoding="utf-8")
    current = cache_dir / CACHE_CURRENT
    old = cache_dir / f".old-{uuid.uuid4().hex}"
    if current.exists():
        current.rename(old)
    staging.rename(current)
    shutil.rmtree(old, ignore_errors=True)


def load_cached(cache_dir: Path | str) -> LoadedBundle:
    """The last bundle written by ``load_bundle(..., cache_dir=...)``."""
    current = Path(cache_dir) / CACHE_CURRENT
    if not (current / CACHE_INFO).is_file():
        raise BundleUnavailable(f"no cached bundle in {cache_dir}")
    info = json.loads((current / CACHE_INFO).read_text(encoding="utf-8"))
    contents = _with_provenance(
        load_contents(current / "bundle"),
        info.get("model_name"),
        info.get("version"),
        info.get("alias"),
        info.get("run_id"),
    )
    return LoadedBundle(
        contents,
        info.get("model_name"),
        info.get("version"),
        info.get("alias"),
        info.get("run_id"),
        info.get("uri", str(current)),
        "cache",
    )


def _download(uri: str, tracking_uri: str | None, dst: Path) -> Path:
    import mlflow.artifacts

    from forecasting.registry.target import resolve_target, use_tracking

    with use_tracking(resolve_target(tracking_uri).uri):
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(dst)))


def _is_connection_error(exc: BaseException) -> bool:
    """Whether ``exc`` (or anything it was raised from) is a network or database connection failure."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, ConnectionError | TimeoutError):
            return True
        name = type(e).__name__
        if name in (
            "OperationalError",
            "MaxRetryError",
            "NewConnectionError",
            "ConnectTimeout",
            "ReadTimeout",
        ):
            return True
        if type(e).__module__.startswith("requests") and name in ("ConnectionError", "Timeout"):
            return True
        text = str(e)
        if "Max retries exceeded" in text or "Connection refused" in text:
            return True
        e = e.__cause__ or e.__context__
    return False


def lookup_kind(exc: BaseException) -> FailureKind:
    """A failed version lookup: the registry answered "no such thing", or it did not answer at all."""
    if _is_connection_error(exc):
        return "registry_unreachable"
    code = getattr(exc, "error_code", None)
    if code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
        return "not_registered"
    return "registry_unreachable"


def _load_remote(
    uri: str, tracking_uri: str | None, model_name: str | None
) -> tuple[LoadedBundle, Path, Path]:
    from forecasting.registry.target import check_reachable, resolve_target, use_tracking

    target = resolve_target(tracking_uri)
    try:
        check_reachable(target, timeout=3.0)  # a down server fails in seconds, not after MLflow's retries
    except Exception as exc:
        raise _StageError("registry_unreachable", exc) from exc
    name = version = alias = run_id = None
    source: Literal["registry", "run"] = "run"
    if uri.startswith("models:/"):
        name, version, alias = _parse_models_uri(uri)
        try:
            with use_tracking(resolve_target(tracking_uri).uri) as client:
                mv = (
                    client.get_model_version_by_alias(name, alias)
                    if alias
                    else client.get_model_version(name, version)
                )
        except Exception as exc:
            raise _StageError(lookup_kind(exc), exc) from exc
        version, run_id, source = str(mv.version), mv.run_id, "registry"
        uri = f"models:/{name}/{version}"  # pin: the alias may move while we download
    tmp = Path(tempfile.mkdtemp(prefix="bundle-download-"))
    try:
        local = _download(uri, tracking_uri, tmp)
        if not any(p.is_file() for p in Path(local).rglob("*")):  # MLflow copies a missing folder as empty
            raise FileNotFoundError(f"nothing to download at {uri}: the artifact is missing")
    except Exception as exc:
        kind: FailureKind = "registry_unreachable" if _is_connection_error(exc) else "artifact_missing"
        shutil.rmtree(tmp, ignore_errors=True)
        raise _StageError(kind, exc) from exc
    try:
        bundle_dir = find_bundle_dir(local)
        contents = _with_provenance(load_contents(bundle_dir), name or model_name, version, alias, run_id)
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _StageError("artifact_corrupt", exc) from exc
    return LoadedBundle(contents, name or model_name, version, alias, run_id, uri, source), bundle_dir, tmp


def load_bundle(
    uri: str | Path | None = None,
    *,
    alias: str | None = None,
    model_name: str | None = None,
    tracking_uri: str | None = None,
    cache_dir: Path | str | None = None,
) -> LoadedBundle:
    """Load ``uri`` (default ``models:/<model_name>@<alias or champion>``).

    ``uri`` may be a registry URI, ``runs:/...``, any MLflow artifact URI or a local bundle/model folder.
    With ``cache_dir``, a successful registry load refreshes the cache and a failed one falls back to it.
    """
    if uri is None:
        if model_name is None:
            raise ValueError("load_bundle needs a bundle URI or path, or the registered model_name")
        uri = f"models:/{model_name}@{alias or 'champion'}"
    local = Path(uri) if not str(uri).startswith(("models:/", "runs:/")) and "://" not in str(uri) else None
    if local is not None:
        if not local.exists():
            raise BundleUnavailable(f"bundle path {local} does not exist", "artifact_missing")
        contents = _with_provenance(load_contents(find_bundle_dir(local)), model_name, None, alias, None)
        return LoadedBundle(contents, model_name, None, alias, None, str(local), "path")
    tmp: Path | None = None
    try:
        loaded, bundle_dir, tmp = _load_remote(str(uri), tracking_uri, model_name)
        if cache_dir is not None:
            info = {
                "model_name": loaded.model_name,
                "version": loaded.version,
                "alias": loaded.alias,
                "run_id": loaded.run_id,
                "uri": str(uri),
            }
            _write_cache(Path(cache_dir), bundle_dir, info)
        return loaded
    except Exception as exc:
        kind = exc.kind if isinstance(exc, _StageError) else None
        what = str(exc) if isinstance(exc, _StageError) else f"{type(exc).__name__}: {exc}"
        if cache_dir is not None and (Path(cache_dir) / CACHE_CURRENT / CACHE_INFO).is_file():
            log.warning("cannot load %s (%s); serving the cached bundle from %s", uri, what, cache_dir)
            cached = load_cached(cache_dir)
            cached.fallback_reason = f"cannot load {uri} ({kind or 'load failed'}): {what}"
            cached.fallback_kind = kind
            return cached
        raise BundleUnavailable(f"cannot load forecast bundle {uri} ({kind}): {what}", kind) from exc
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
