"""Experiment configs (``experiments/*.toml``): what to train, how to select, reconcile and promote.

Why typed and strict: a training job takes minutes to hours, so an unknown key, a bad value or an unknown
model, measure or geography must be a clear error *before* any work starts. Every section forbids extra
keys; cross-checks against the model/measure/geography registries run in ``validate_references``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from forecasting.errors import InvestError
from forecasting.vocabulary import QUANTILE_GRID

Frequency = Literal["A", "Q", "M"]


class ConfigError(InvestError):
    """An experiment file that cannot be used, with the file and the offending key in the message."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExperimentInfo(_Section):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\- ]*$")
    description: str = ""
    seed: int = Field(default=20261124, ge=0, lt=2**32)
    tracking_experiment: str = Field(default="investment-forecasting", min_length=1)


class DataSelection(_Section):
    measures: list[str] = Field(min_length=1)
    geographies: list[str] = Field(default_factory=list, description="canonical codes; empty = all")
    clusters: list[str] = Field(default_factory=lambda: ["all"], description="empty = all")
    frequencies: list[Frequency] = Field(default_factory=list, description="empty = all")
    derive_aggregates: list[str] = Field(
        default_factory=list,
        description="parent geographies (e.g. MID) summed from their children when absent",
    )
    min_observations: int = Field(default=6, ge=2)
    max_series: int | None = Field(default=None, ge=1, description="cap (for demos); keeps the first by id")
    within: dict[str, str] = Field(
        default_factory=dict,
        description="measure -> area: train that measure's series only inside the area (the area included)",
    )
    lad_within: dict[str, str] = Field(
        default_factory=dict,
        description="measure -> area: train that measure's Local Authority series only inside the area "
        "(its other levels everywhere); the warehouse keeps every series either way",
    )


class ModelSelection(_Section):
    families: list[str] = Field(
        min_length=1,
        description='candidate families (models.base registry names), or ["auto"] for the engine\'s '
        "tuned defaults (forecasting.evaluation.auto.DEFAULTS: methods, selection and windows per frequency)",
    )

    @property
    def auto(self) -> bool:
        return self.families == ["auto"]

    @field_validator("families")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"model families listed twice: {sorted({f for f in v if v.count(f) > 1})}")
        return v


class Backtest(_Section):
    horizon: dict[Frequency, int] = Field(default_factory=lambda: {"A": 5, "Q": 8, "M": 12})
    windows: int = Field(default=3, ge=1, le=50)
    step: int = Field(default=1, ge=1)
    real_time: bool = Field(
        default=False,
        description="backtest each origin on the data as published then (series with several releases)",
    )

    @field_validator("horizon")
    @classmethod
    def _positive(cls, v: dict[str, int]) -> dict[str, int]:
        bad = {k: h for k, h in v.items() if not 1 <= h <= 60}
        if bad:
            raise ValueError(f"horizons must be between 1 and 60, got {bad}")
        return v


class Selection(_Section):
    """best: lowest metric; mean/median: combine the best top_k (all when unset); best_any: either;
    best_group: one family per calibration group (measure x level), switching from the first listed only
    on clear pooled backtest evidence."""

    rule: Literal["best", "mean", "median", "best_any", "best_group"] = "mean"
    metric: Literal["mase", "rmsse", "smape", "mape", "pinball", "crps", "winkler95"] = "mase"
    top_k: int | None = Field(default=None, ge=1, le=10)

    @property
    def engine_selection(self) -> str:
        """The ``forecast_many(selection=...)`` string, e.g. ``mean:2``."""
        return self.rule if self.top_k is None or self.rule == "best_group" else f"{self.rule}:{self.top_k}"


class Reconciliation(_Section):
    method: Literal["none", "bottom_up", "top_down", "ols", "wls_struct", "mint_shrink"] = "mint_shrink"
    non_negative: bool = True
    samples: int = Field(default=1000, ge=100, le=20000, description="joint samples for coherent quantiles")


class ForecastOptions(_Section):
    quantiles: list[float] = Field(default_factory=lambda: list(QUANTILE_GRID))
    calibrate_intervals: bool = True

    @field_validator("quantiles")
    @classmethod
    def _grid(cls, v: list[float]) -> list[float]:
        bad = [q for q in v if not 0 < q < 1]
        if bad:
            raise ValueError(f"quantiles must be in (0, 1), got {bad}")
        missing = [q for q in QUANTILE_GRID if q not in v]
        if missing:
            raise ValueError(
                f"quantiles must include the stored grid {list(QUANTILE_GRID)}; missing {missing}"
            )
        return sorted(set(v))


class Promotion(_Section):
    auto: bool = False
    metric: Literal["mase", "rmsse", "smape", "mape", "pinball", "crps", "winkler95"] = "mase"
    level: str = Field(default="all", description="hierarchy level compared, or 'all'")
    margin: float = Field(default=0.02, ge=0, lt=1, description="relative improvement required (0.02 = 2%)")
    same_vintage: bool = True


class Outputs(_Section):
    headline: list[str] = Field(default_factory=list, description="series ids drawn as fan charts")
    series_metrics: bool = True


class Scenarios(_Section):
    transmission: bool = Field(default=True, description="estimate driver -> target links for scenarios")
    drivers: list[str] = Field(
        default_factory=list,
        description="extra driver series ids (beyond forecasting.training.drivers.DEFAULT_DRIVERS)",
    )
    macro: bool = Field(
        default=True,
        description="estimate the macro block (VAR: World FDI, UK FDI, business investment, GDP)",
    )
    shock_years: list[int] = Field(
        default_factory=lambda: [2009, 2020],
        description="years dummied out of the macro block (shared shocks: financial crisis, pandemic)",
    )


class Execution(_Section):
    n_jobs: int = -1
    backend: Literal["joblib", "dask"] = "joblib"
    scheduler: str | None = None


class ExperimentConfig(_Section):
    experiment: ExperimentInfo
    data: DataSelection
    models: ModelSelection
    backtest: Backtest = Backtest()
    selection: Selection = Selection()
    reconciliation: Reconciliation = Reconciliation()
    forecast: ForecastOptions = ForecastOptions()
    promotion: Promotion = Promotion()
    outputs: Outputs = Outputs()
    scenarios: Scenarios = Scenarios()
    execution: Execution = Execution()

    @property
    def seed(self) -> int:
        return self.experiment.seed

    def horizon_for(self, frequency: str) -> int:
        return int(self.backtest.horizon.get(frequency, max(self.backtest.horizon.values())))

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _format_errors(path: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            lines.append(f"  {loc}: unknown key")
        elif err["type"] == "missing":
            lines.append(f"  {loc}: required key missing")
        else:
            got = err.get("input")
            lines.append(f"  {loc}: {err['msg']}" + (f" (got {got!r})" if not isinstance(got, dict) else ""))
    return f"{path}: invalid experiment config\n" + "\n".join(lines)


def validate_references(cfg: ExperimentConfig, path: Path | str = "<config>") -> None:
    """Model families, measures and geography codes must exist in their registries."""
    from models.base import registry

    known_models = registry()
    problems: list[str] = []
    for name in [] if cfg.models.auto else cfg.models.families:
        if name not in known_models:
            problems.append(f"  models: unknown model {name!r}; known: {sorted(known_models)}")
    try:
        from forecasting.reference.measures import load_measures

        measures = load_measures()
    except Exception:  # registry not loadable: nothing to check against
        measures = {}
    if measures:
        for m in cfg.data.measures:
            if m not in measures:
                problems.append(f"  data.measures: unknown measure {m!r}; known: {sorted(measures)}")
        for field in ("within", "lad_within"):
            for m in getattr(cfg.data, field):
                if m not in cfg.data.measures:
                    problems.append(f"  data.{field}: {m!r} is not one of data.measures")
    try:
        from forecasting.reference.geography import load_geography

        geo = load_geography()
    except Exception:
        geo = None
    if geo is not None:
        for code in [
            *cfg.data.geographies,
            *(c.removesuffix("/*") for c in cfg.data.derive_aggregates),
            *cfg.data.within.values(),
            *cfg.data.lad_within.values(),
        ]:
            try:
                geo.level(code)
            except (KeyError, ValueError):
                problems.append(f"  data.geographies: unknown geography code {code!r}")
    try:
        from forecasting.reference.clusters import load_clusters

        cluster_ids = {c.id for c in load_clusters()}
    except Exception:
        cluster_ids = set()
    if cluster_ids:
        for c in cfg.data.clusters:
            if c != "all" and not c.startswith(("sic-", "ind-")) and c not in cluster_ids:
                problems.append(
                    f"  data.clusters: unknown cluster {c!r}; known: all, sic-<code>, {sorted(cluster_ids)}"
                )
    for sid in cfg.outputs.headline:
        if sid.count(".") != 3:
            problems.append(
                f"  outputs.headline: {sid!r} is not a series id (measure.geography.cluster.frequency)"
            )
    if problems:
        raise ConfigError(f"{path}: invalid experiment config\n" + "\n".join(problems))


def parse_config(
    data: dict[str, Any], path: Path | str = "<config>", check_references: bool = True
) -> ExperimentConfig:
    try:
        cfg = ExperimentConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(Path(path), exc)) from None
    if check_references:
        validate_references(cfg, path)
    return cfg


def load_config(path: Path | str, check_references: bool = True) -> ExperimentConfig:
    """Read and validate an experiment TOML; every problem is reported at once, naming the key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"experiment config {path} not found")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return parse_config(data, path, check_references)
