"""Parameter sweeps (grid and random search) expanded into validated run configs, and their results table.

Grid points follow scikit-learn's ParameterGrid order; its ParameterSampler draws random ones; this module adds
bounds, repeats (seeds) and the mean ± std aggregation. Pure: no TensorFlow, no I/O.
"""

from __future__ import annotations

import math
import statistics
from itertools import product
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from app.config.bounds import MAX_ERRORS
from app.config.parse import ConfigError, describe_error, parse_config
from app.config.run_config import RunConfig
from app.config.text import gettext

MAX_RUNS = 60  # trials × repeats in one sweep
SWEEPABLE = ("learning_rate", "batch_size", "activation", "regularization", "regularization_rate", "dropout",
             "hidden_layers", "optimizer", "momentum", "noise", "train_ratio", "features", "loss", "initializer")
MAX_VALUES = 12  # values of one swept parameter
SEED = TypeAdapter(Annotated[int, Field(ge=0, le=2**31 - 1)])
METRICS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "epochs", "elapsed")


class Range(BaseModel):
    """A continuous range for random search; `log` samples evenly in log space (learning rates)."""

    model_config = ConfigDict(extra="forbid")
    low: float = Field(allow_inf_nan=False)
    high: float = Field(allow_inf_nan=False)
    log: bool = False


class SweepSpec(BaseModel):
    """What to sweep: 1–3 parameters, grid lists or random ranges, repeats per point."""

    model_config = ConfigDict(extra="forbid")
    base: dict[str, Any] = Field(default_factory=dict, max_length=len(RunConfig.model_fields),
                                 description="Settings shared by every run.")
    mode: Literal["grid", "random"] = "grid"
    params: dict[str, list[Any] | Range] = Field(..., min_length=1, max_length=3)
    n_trials: int = Field(10, ge=1, le=MAX_RUNS, description="Random search: points drawn.")
    repeats: int = Field(1, ge=1, le=5, description="Runs per point, with seeds 0..repeats-1 added to the base.")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of the random search itself.")

    @field_validator("params", mode="before")
    @classmethod
    def _sizes(cls, params: Any) -> Any:
        # Before pydantic copies them: a list of a million values is refused by its length alone.
        if isinstance(params, dict) and len(params) <= 3:
            for name, values in params.items():
                if isinstance(values, list) and not 1 <= len(values) <= MAX_VALUES:
                    raise ValueError(gettext("'%(name)s': give 1 to 12 values", name=str(name)[:80]))  # MAX_VALUES
        return params

    @field_validator("params")
    @classmethod
    def _known(cls, params: dict[str, Any]) -> dict[str, Any]:
        for name, values in params.items():
            if name not in SWEEPABLE:
                raise ValueError(gettext("'%(name)s' cannot be swept; choose from %(choices)s", name=name[:80],
                                         choices=", ".join(SWEEPABLE)))
            if isinstance(values, Range) and not values.low < values.high:
                raise ValueError(gettext("'%(name)s': low must be below high", name=name))
            if isinstance(values, Range) and values.log and values.low <= 0:
                raise ValueError(gettext("'%(name)s': a log range needs low > 0", name=name))
        return params


def parse_spec(data: dict[str, Any]) -> SweepSpec:
    """Validate a sweep spec or raise ConfigError naming each field (as RunConfig's errors do)."""
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        errors = [describe_error(e) for e in exc.errors()]
        for e in errors:
            e["message"] = e["message"].removeprefix("Value error, ")
        raise ConfigError(errors) from None


def _distribution(values: list[Any] | Range):
    from scipy.stats import loguniform, uniform  # SciPy only when a random sweep is drawn, not at web start

    if isinstance(values, list):
        return values
    if values.log:
        return loguniform(values.low, values.high)
    return uniform(values.low, values.high - values.low)


def points(spec: SweepSpec) -> list[dict[str, Any]]:
    """The parameter points: every combination (grid) or n_trials draws (random)."""
    if spec.mode == "grid":
        if any(isinstance(v, Range) for v in spec.params.values()):
            message = gettext("grid search needs lists of values, not ranges")
            raise ConfigError([{"field": "params", "message": message}])
        # scikit-learn's ParameterGrid order (sorted names, the last varying fastest), without importing it.
        names = sorted(spec.params)
        return [dict(zip(names, values, strict=True)) for values in product(*(spec.params[n] for n in names))]
    from sklearn.model_selection import ParameterSampler  # random search: imported by the request that needs it

    space = {k: _distribution(v) for k, v in spec.params.items()}
    drawn = list(ParameterSampler(space, n_iter=spec.n_trials, random_state=spec.seed))
    return [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in p.items()} for p in drawn]


def expand(spec: SweepSpec) -> list[tuple[int, dict[str, Any], RunConfig]]:
    """(point index, point, config) for every run, validated; ConfigError names the failing point."""
    plan = points(spec)
    if len(plan) * spec.repeats > MAX_RUNS:
        message = gettext("%(points)s points × %(repeats)s repeats is more than %(max)s runs; use fewer values or "
                          "repeats", points=len(plan), repeats=spec.repeats, max=MAX_RUNS)
        raise ConfigError([{"field": "params", "message": message}])
    try:  # the base's seed is added to below, so it is checked first (a string there was a 500)
        base_seed = SEED.validate_python(spec.base.get("seed", 0))
    except ValidationError:
        message = gettext("must be an integer from %(low)s to %(high)s", low=0, high=2**31 - 1)
        raise ConfigError([{"field": "base.seed", "message": message}]) from None
    runs = []
    for index, point in enumerate(plan):
        for repeat in range(spec.repeats):
            try:
                config = parse_config({**spec.base, **point, "seed": base_seed + repeat})
            except ConfigError as exc:
                where = str(point) if len(str(point)) <= 200 else str(point)[:200] + "…"
                raise ConfigError([{"field": f"params ({where})", "message": f"{e['field']}: {e['message']}"}
                                   for e in exc.errors[:MAX_ERRORS]]) from None
            runs.append((index, point, config))
    return runs


def _mean_std(values: list[float | None]) -> tuple[float | None, float | None]:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None, None
    return statistics.fmean(finite), (statistics.stdev(finite) if len(finite) > 1 else 0.0)


def table(results: list[tuple[int, dict[str, Any], dict[str, Any] | None]]) -> list[dict[str, Any]]:
    """Rows per point: mean and std of each metric over its repeats; the lowest mean test loss is `best`."""
    by_point: dict[int, dict[str, Any]] = {}
    for index, point, summary in results:
        row = by_point.setdefault(index, {"index": index, "params": point, "runs": 0, "failed": 0, "_values": {}})
        row["runs"] += 1
        if summary is None:
            row["failed"] += 1
            continue
        for metric in METRICS:
            row["_values"].setdefault(metric, []).append(summary.get(metric))
    rows = []
    for index in sorted(by_point):
        row = by_point[index]
        values = row.pop("_values")
        for metric in METRICS:
            row[metric], row[f"{metric}_std"] = _mean_std(values.get(metric, []))
        rows.append(row)
    scored = [r for r in rows if r["test_loss"] is not None]
    best = min(scored, key=lambda r: r["test_loss"], default=None)
    for row in rows:
        row["best"] = row is best
    return rows
