"""Lab settings: a k-fold job over a dataset and the network configurations it compares (pydantic).

The three presets are the course's dropout article (Sonar, 60 features): a baseline
60-30 relu network with SGD (0.01, momentum 0.8); dropout 0.2 on the inputs with max-norm 3
and a higher rate with more momentum (0.1, 0.9); dropout 0.2 after each hidden layer with
max-norm 3 and the same optimizer. 300 epochs of batch 16, 10 folds.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from flask_babel import gettext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.config.messages import pydantic_message
from app.settings import current

MAX_ERRORS = 20  # validation messages reported at most
MAX_DATASET_NAME = 48  # "upload:" + an upload id (at most 40 characters)
MAX_WORK = 5_000_000  # rows × epochs × folds × configurations of one job (Sonar's three: 1.9 M, ~2 min)
# The time estimate (estimate_seconds): a gradient step's fixed cost, plus the multiply-adds of forward and
# backward passes (≈ 3 × the weights per example). Sonar's three presets: ~180 s estimated, ~2 min measured.
STEP_SECONDS = 0.001
MACS_PER_SECOND = 5e8
FOLD_SECONDS = 120.0  # KP_LAB_FOLD_SECONDS: estimated time of one fold of one configuration, at most
JOB_SECONDS = 900.0  # KP_LAB_JOB_SECONDS: estimated time of the whole job (one lab worker), at most
# KP_LAB_FOLD_MAX_SECONDS: wall time one fold may really take; training stops at the epoch past it (the estimate
# keeps honest jobs far below: this catches an estimate that was wrong or a machine that is overloaded).


class LabModel(BaseModel):
    """One network configuration of the comparison."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("model", min_length=1, max_length=40, description="A short label shown in the results.")
    hidden_layers: list[Annotated[int, Field(ge=1, le=256)]] = Field(
        default_factory=lambda: [60, 30], min_length=1, max_length=4, description="Neurons per hidden layer.")
    activation: Literal["relu", "tanh", "sigmoid"] = Field("relu", description="Hidden activation.")
    input_dropout: float = Field(0.0, ge=0, le=0.9, description="Dropout rate on the inputs.")
    dropout: float = Field(0.0, ge=0, le=0.9, description="Dropout rate after every hidden layer.")
    max_norm: float = Field(0.0, ge=0, le=10, description="MaxNorm constraint on hidden kernels (0 = none).")
    learning_rate: float = Field(0.01, gt=0, le=1, description="SGD learning rate.")
    momentum: float = Field(0.8, ge=0, lt=1, description="SGD momentum.")
    epochs: int = Field(300, ge=1, le=1000, description="Epochs per fold.")
    batch_size: int = Field(16, ge=1, le=256, description="Examples per gradient step.")

    def estimator_params(self) -> dict[str, Any]:
        """Keyword arguments of app.lab.model.KerasMLP."""
        out = self.model_dump(exclude={"name"})
        out["hidden_layers"] = tuple(out["hidden_layers"])
        out["max_seconds"] = current().lab_fold_max_seconds
        return out


PRESETS: list[dict[str, Any]] = [
    {"name": "Baseline", "hidden_layers": [60, 30], "learning_rate": 0.01, "momentum": 0.8},
    {"name": "Dropout on the inputs", "hidden_layers": [60, 30], "input_dropout": 0.2, "max_norm": 3.0,
     "learning_rate": 0.1, "momentum": 0.9},
    {"name": "Dropout on the hidden layers", "hidden_layers": [60, 30], "dropout": 0.2, "max_norm": 3.0,
     "learning_rate": 0.1, "momentum": 0.9},
]


class LabJob(BaseModel):
    """A cross-validation job: dataset, folds, seed and up to four configurations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str = Field("sonar", max_length=MAX_DATASET_NAME,
                         description='"sonar" or an uploaded CSV as "upload:<id>".')
    folds: int = Field(10, ge=2, le=10, description="k of the stratified k-fold split (2–10).")
    seed: int = Field(7, ge=0, le=2**31 - 1, description="Seed of the split and of the models.")
    configs: list[LabModel] = Field(
        default_factory=lambda: [LabModel(**p) for p in PRESETS], min_length=1, max_length=4,
        description="The configurations compared (default: the article's three).")

    @field_validator("dataset")
    @classmethod
    def _dataset(cls, v: str) -> str:
        if v != "sonar" and not v.startswith("upload:"):
            raise ValueError(gettext('choose "sonar" or an uploaded CSV as "upload:<id>"'))
        return v


class LabError(ValueError):
    """Invalid lab settings; ``errors`` is a list of {field, message}."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def parse_job(data: Any) -> LabJob:
    """Validate a JSON object into a LabJob or raise LabError naming each field."""
    if not isinstance(data, dict):
        raise LabError([{"field": "body", "message": gettext("expected a JSON object")}])
    try:
        return LabJob.model_validate(data)
    except ValidationError as exc:
        errors = []
        for e in exc.errors(include_url=False, include_input=False)[:MAX_ERRORS]:
            field = ".".join(str(p) for p in e["loc"])[:80] or "body"
            message = e["msg"].removeprefix("Value error, ")  # our own validators' text is translated already
            if e["type"] != "value_error":  # pydantic's English, in the reader's language (app/error_text.py)
                message = pydantic_message(e["type"], e.get("ctx") or {}, field, message) or message
            errors.append({"field": field, "message": message})
        raise LabError(errors) from None


def weight_count(config: LabModel, n_inputs: int) -> int:
    """Weights and biases of the network (inputs -> hidden layers -> one output per class, counted as one)."""
    sizes = [n_inputs, *config.hidden_layers, 1]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))


def fold_seconds(config: LabModel, rows: int, n_inputs: int) -> float:
    """Estimated seconds of one fold: steps (rows / batch size) and multiply-adds (rows × width), per epoch."""
    steps = math.ceil(rows / config.batch_size)
    macs = 3 * rows * weight_count(config, n_inputs)
    return config.epochs * (steps * STEP_SECONDS + macs / MACS_PER_SECOND)


def check_work(job: LabJob, rows: int, n_inputs: int, fold_budget: float = FOLD_SECONDS,
               job_budget: float = JOB_SECONDS) -> float:
    """The job's estimated seconds; LabError naming the configuration or the job when over a budget.

    Checked before any fold is queued, so one learner's huge job (4 × [256]*4, batch 1, 600 epochs on Sonar:
    about 11,000 s) is refused up front instead of holding the lab's workers for hours.
    """
    total = 0.0
    for index, config in enumerate(job.configs):
        seconds = fold_seconds(config, rows, n_inputs)
        if seconds > fold_budget:
            raise LabError([{"field": f"configs.{index}", "message": gettext(
                "one fold of this configuration would take about %(s)s s; at most %(max)s s: use fewer epochs, a "
                "larger batch size or narrower layers", s=f"{seconds:,.0f}", max=f"{fold_budget:,.0f}")}])
        total += seconds * job.folds
    if total > job_budget:
        raise LabError([{"field": "configs", "message": gettext(
            "this job would take about %(s)s s on the lab's worker; at most %(max)s s: use fewer folds, "
            "configurations or epochs", s=f"{total:,.0f}", max=f"{job_budget:,.0f}")}])
    return total
