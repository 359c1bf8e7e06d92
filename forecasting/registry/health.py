"""Interrupted training runs and the versions they left behind.

Why: a training job killed with SIGKILL (or by the OOM killer, or a reboot) never reaches the code that
marks its MLflow run FAILED, so the run stays RUNNING forever, and if the kill came right after
registration its version is READY (without an alias) although the job never finished. Each training run
records which process ran it (host, pid and the pid's start time, so a reused pid is not mistaken for
it); a RUNNING run whose process is gone was interrupted. The next training start marks such runs FAILED,
``invest models doctor`` lists and fixes them, and ``promotion.require_finished`` refuses their versions.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Run, ViewType
from mlflow.exceptions import MlflowException

from forecasting.registry.promotion import model_exists, run_status
from forecasting.registry.store import find_bundle_dir, load_contents, read_manifest, sha256

HOST_TAG = "invest.host"
PID_TAG = "invest.pid"
PID_START_TAG = "invest.pid_start"
FAILURE_TAG = "failure_reason"


def process_start(pid: int) -> str | None:
    """An identity for the process ``pid`` that a later process reusing the pid does not share.

    Linux: its start time in clock ticks since boot (``/proc/<pid>/stat`` field 22). Elsewhere "alive" if
    the pid exists (a reused pid then counts as alive: the safe side). None when there is no such process.
    """
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            text = stat.read_text()
        except OSError:
            return None
        return text.rsplit(")", 1)[1].split()[19]  # fields after "(comm)": state is 3, starttime is 22
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return "alive"
    return "alive"


def process_tags() -> dict[str, str]:
    """Tags a training run carries so a later check can tell whether its process still exists."""
    pid = os.getpid()
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(pid), PID_START_TAG: process_start(pid) or ""}


@dataclass(frozen=True)
class RunCheck:
    run_id: str
    experiment_id: str
    name: str
    started: float  # epoch seconds
    verdict: str  # "interrupted" | "running" | "unknown"
    why: str


def judge(run: Run, older_than_hours: float, now: float | None = None) -> RunCheck:
    """Is this RUNNING run interrupted? Certain when its process on this host is gone; for runs from
    another host or without process tags (older code), only once it is older than ``older_than_hours``."""
    tags = run.data.tags
    now = time.time() if now is None else now
    started = (run.info.start_time or 0) / 1000
    age_h = (now - started) / 3600
    base = dict(
        run_id=run.info.run_id,
        experiment_id=run.info.experiment_id,
        name=run.info.run_name or "",
        started=started,
    )
    host, pid, pid_start = tags.get(HOST_TAG), tags.get(PID_TAG), tags.get(PID_START_TAG)
    if host == socket.gethostname() and pid and pid.isdigit():
        current = process_start(int(pid))
        if current is None or (pid_start and current not in (pid_start, "alive")):
            return RunCheck(**base, verdict="interrupted", why=f"process {pid} on {host} is gone")
        return RunCheck(**base, verdict="running", why=f"process {pid} on {host} is still running")
    where = f"on host {host}" if host else "without process tags"
    if age_h > older_than_hours:
        return RunCheck(
            **base,
            verdict="interrupted",
            why=f"started {age_h:.1f} h ago {where}, older than {older_than_hours:g} h",
        )
    return RunCheck(
        **base, verdict="unknown", why=f"started {age_h:.1f} h ago {where}; cannot check from here"
    )


def running_runs(client: MlflowClient, experiment_ids: Iterable[str]) -> list[Run]:
    ids = list(experiment_ids)
    if not ids:
        return []
    return list(
        client.search_runs(
            ids, filter_string="attributes.status = 'RUNNING'", run_view_type=ViewType.ACTIVE_ONLY
        )
    )


def check_runs(
    client: MlflowClient, experiment_ids: Iterable[str], older_than_hours: float = 24.0
) -> list[RunCheck]:
    """Every RUNNING run of the experiments, judged."""
    return [judge(r, older_than_hours) for r in running_runs(client, experiment_ids)]


def mark_failed(client: MlflowClient, check: RunCheck, found_by: str) -> None:
    """End an interrupted run as FAILED, with why in its ``failure_reason`` tag."""
    client.set_tag(check.run_id, FAILURE_TAG, f"interrupted: {check.why} (found by {found_by})"[:5000])
    client.set_terminated(check.run_id, status="FAILED")


def fail_interrupted(
    client: MlflowClient, experiment_ids: Iterable[str], found_by: str, older_than_hours: float = 24.0
) -> list[RunCheck]:
    """Mark every run judged interrupted FAILED; returns them."""
    done = []
    for check in check_runs(client, experiment_ids, older_than_hours):
        if check.verdict == "interrupted":
            mark_failed(client, check, found_by)
            done.append(check)
    return done


@dataclass(frozen=True)
class VersionCheck:
    version: str
    run_id: str | None
    run_status: str
    aliases: tuple[str, ...]


def unfinished_versions(client: MlflowClient, name: str) -> list[VersionCheck]:
    """Registered versions whose training run is not FINISHED (they cannot be promoted)."""
    if not model_exists(client, name):
        return []
    out = []
    for mv in client.search_model_versions(f"name = '{name}'"):
        full = client.get_model_version(name, mv.version)
        status = run_status(client, full)
        if status != "FINISHED":
            out.append(
                VersionCheck(str(full.version), full.run_id, status, tuple(sorted(full.aliases or [])))
            )
    return sorted(out, key=lambda v: int(v.version))


def experiment_ids(client: MlflowClient, names: Iterable[str] | None = None) -> list[str]:
    """Ids of the named experiments (default: every active one)."""
    if names is None:
        return [e.experiment_id for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY)]
    out = []
    for n in names:
        try:
            exp = client.get_experiment_by_name(n)
        except MlflowException:
            exp = None
        if exp is not None:
            out.append(exp.experiment_id)
    return out


@dataclass(frozen=True)
class ArtifactCheck:
    """One aliased version's bundle, checked file by file against its manifest and then its contract."""

    alias: str
    version: str
    location: str
    problems: tuple[str, ...]

    @property
    def repair(self) -> str:
        return (
            f"restore the folder from a backup of the artifact store, or point {self.alias} at a sound "
            "version (`invest models promote VERSION --reason ...`), or retrain "
            "(`invest train --experiment FILE`) and promote the new version"
        )


def _local_path(location: str) -> Path | None:
    if location.startswith("file:"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(location).path))
    return Path(location) if "://" not in location else None


def bundle_problems(root: Path) -> list[str]:
    """What is wrong with the bundle at or under ``root``: missing files, checksum mismatches (truncated,
    corrupted or re-saved after training, even as valid Parquet), then the typed contract. Empty: sound."""
    from forecasting.registry.schema import BundleFormatError

    if not root.exists():
        return [f"the artifact folder {root} is missing"]
    try:
        bundle = find_bundle_dir(root)
    except BundleFormatError:
        return [f"no forecast bundle under {root}: its files were deleted or moved"]
    try:
        manifest = read_manifest(bundle)
    except (BundleFormatError, OSError, ValueError) as exc:
        return [f"the bundle's manifest cannot be read ({exc})"]
    problems = []
    for rel, digest in sorted(manifest.get("sha256", {}).items()):
        path = bundle / rel
        if not path.is_file():
            problems.append(f"{rel} is missing")
        elif sha256(path) != digest:
            problems.append(
                f"{rel} does not match its checksum ({path.stat().st_size} bytes): truncated, corrupted "
                "or changed after training"
            )
    try:
        load_contents(bundle, verify=False)
    except Exception as exc:  # every way a table or JSON file can break the contract
        problems.append(f"the bundle breaks its contract: {exc}")
    return problems


def check_artifacts(
    client: MlflowClient, name: str, aliases: Iterable[str] = ("champion", "challenger")
) -> list[ArtifactCheck]:
    """The bundle of each aliased version (those that exist), verified where it is stored (a local
    artifact store in place; a remote one through a download)."""
    import shutil
    import tempfile

    out = []
    for alias in aliases:
        try:
            mv = client.get_model_version_by_alias(name, alias)
        except MlflowException:
            continue
        version = str(mv.version)
        try:
            location = client.get_model_version_download_uri(name, version)
        except MlflowException as exc:
            out.append(
                ArtifactCheck(alias, version, "?", (f"the registry has no artifact location ({exc})",))
            )
            continue
        local = _local_path(location)
        if local is not None:
            problems = bundle_problems(local)
        else:
            import mlflow.artifacts

            tmp = Path(tempfile.mkdtemp(prefix="doctor-"))
            try:
                got = Path(mlflow.artifacts.download_artifacts(artifact_uri=location, dst_path=str(tmp)))
                problems = bundle_problems(got)
            except Exception as exc:
                problems = [f"the artifacts at {location} cannot be downloaded ({type(exc).__name__}: {exc})"]
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        out.append(ArtifactCheck(alias, version, location, tuple(problems)))
    return out
