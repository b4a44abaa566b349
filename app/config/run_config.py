"""RunConfig: every setting of one training run, validated once at the edge.

Defaults follow TensorFlow Playground (state.ts) so a learner who knows it feels
at home; bounds are wider where its users asked for more (issue #63 there).
Past this module no code reads a request.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask_babel import gettext, lazy_gettext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.config.fields import N_
from app.config.messages import language, pydantic_message
from app.config.options import (
    ACTIVATIONS,
    INITIALIZERS,
    LOSS_TABLE,
    OPTIMIZERS,
    EarlyStoppingConfig,
    LayerConfig,
    LRScheduleConfig,
    ReduceLRConfig,
    resolve_loss,
)
from app.data.datasets import DATASETS, DatasetInfo, UploadUnusable, lookup
from app.data.features import FEATURE_NAMES

# TF Playground's offered values (index.html); any value in the bounds is accepted.
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REGULARIZATION_RATES = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
TFP_ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")  # the simple panel; app.config.options has them all

MAX_LAYERS = 8  # TF Playground: 6
MAX_NEURONS = 64  # TF Playground: 8
MAX_EPOCHS = 50_000
DEFAULT_PACE = 60.0  # epochs/s: TF Playground's one epoch per animation frame

# The problem types in messages (the API's values stay English).
PROBLEM_NAMES = {"classification": lazy_gettext("classification"), "regression": lazy_gettext("regression")}

FeatureName = Literal[FEATURE_NAMES]  # type: ignore[valid-type]


class RunConfig(BaseModel):
    """The settings of one run. JSON names are the HTTP contract (docs/api.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    problem: Literal["classification", "regression"] = Field(
        "classification", title=N_("Problem type"), description=N_("Classification (two classes) or regression.")
    )
    dataset: str = Field(
        "circle", title=N_("Dataset"), description=N_("Dataset name; must match the problem type.")
    )
    n_samples: int = Field(
        500, ge=20, le=5000, title=N_("Number of points"), description=N_("Number of points generated."),
        json_schema_extra={"page": {"min": 0, "step": 10}},  # the course panel's 0: TF Playground's count
    )
    noise: float = Field(
        0.0, ge=0, le=50, title=N_("Noise"), description=N_("Noise in percent, 0–50, as in TF Playground."),
        json_schema_extra={"page": {"step": 5}},
    )
    train_ratio: int = Field(
        50, ge=10, le=90, title=N_("Ratio of training to test data"),
        description=N_("Percent of points used for training."), json_schema_extra={"page": {"step": 10}},
    )
    seed: int = Field(
        0, ge=0, le=2**31 - 1, title=N_("Seed"), description=N_("Seed for data and initial weights.")
    )
    features: list[FeatureName] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["x1", "x2"], min_length=1, title=N_("Features"),
        description=N_("Input features (non-empty)."),
    )
    hidden_layers: list[Annotated[int, Field(ge=1, le=MAX_NEURONS)]] = Field(
        default_factory=lambda: [4, 2],
        max_length=MAX_LAYERS,
        title=N_("Hidden layers"),
        description=N_("Neurons per hidden layer, one number per layer (none: a linear model)."),
        json_schema_extra={"page": {"max_items": 6, "max": 8}},  # TF Playground's panel: 6 layers of 1–8
    )
    activation: Literal[ACTIVATIONS] = Field(  # type: ignore[valid-type]
        "tanh", title=N_("Activation"), description=N_("Activation of every hidden layer (simple mode)."),
        json_schema_extra={"offered": list(TFP_ACTIVATIONS)},
    )
    learning_rate: float = Field(
        0.03, gt=0, le=10, title=N_("Learning rate"), description=N_("Learning rate (changes live)."),
        json_schema_extra={"offered": list(LEARNING_RATES)},
    )
    batch_size: int = Field(
        10, ge=1, le=256, title=N_("Batch size"), description=N_("Examples per gradient step."),
        json_schema_extra={"page": {"min": 1, "max": 30, "step": 1}},  # TF Playground's slider
    )
    regularization: Literal["none", "l1", "l2", "l1_l2"] = Field(
        "none", title=N_("Regularization"), description=N_("Kernel regularization of every Dense layer."),
        json_schema_extra={"offered": ["none", "l1", "l2"]},  # TF Playground's; l1_l2 in the course panel
    )
    regularization_rate: float = Field(
        0.0, ge=0, le=10, title=N_("Regularization rate"), description=N_("Regularization rate λ."),
        json_schema_extra={"offered": list(REGULARIZATION_RATES)},
    )
    epochs: int = Field(
        1000, ge=1, le=MAX_EPOCHS, title=N_("Stop at epoch"), description=N_("Maximum number of epochs."),
        json_schema_extra={"offered": [100, 500, 1000, 5000, 10_000, MAX_EPOCHS]},
    )
    pace: float | Literal["max"] = Field(
        DEFAULT_PACE, title=N_("Speed"),
        description=N_('Epochs per second, or "max" for as fast as the worker can.'),
        json_schema_extra={"offered": [DEFAULT_PACE, 240.0, "max"], "page": {"min": 1, "max": 10_000}},
    )
    grid_resolution: int = Field(
        50, ge=10, le=100, title=N_("Boundary grid"), description=N_("Boundary grid points per axis."),
        json_schema_extra={"offered": [50, 100]},
    )
    n_classes: int | None = Field(
        None, ge=2, le=10, title=N_("Classes"),
        description=N_("Classes of a multi-class dataset (blobs, spiral_arms: 2–5; null = its default)."),
        json_schema_extra={"page": {"min": 3, "max": 5, "step": 1}},
    )
    mode: Literal["keras", "classic"] = Field(
        "keras",
        title=N_("Maths"),
        description=N_("keras: Keras defaults (sigmoid + cross-entropy, Glorot). classic: TF Playground's own maths "
                       "(tanh output, ±1 targets, square error, U(±0.5) weights, bias 0.1, plain SGD)."),
    )
    loss: Literal[("auto", *LOSS_TABLE)] = Field(  # type: ignore[valid-type]
        "auto", title=N_("Loss"),
        description=N_("Loss: auto (cross-entropy / MSE; square error in classic mode) or a named loss."),
    )
    optimizer: Literal[OPTIMIZERS] = Field(  # type: ignore[valid-type]
        "sgd", title=N_("Optimizer"), description=N_("Optimizer: sgd, adam, rmsprop or adagrad.")
    )
    momentum: float = Field(
        0.0, ge=0, lt=1, title=N_("Momentum"), description=N_("Momentum (sgd, rmsprop); the course: 0.9–0.99."),
        json_schema_extra={"page": {"step": 0.01}},
    )
    nesterov: bool = Field(
        False, title=N_("Nesterov"), description=N_("Nesterov momentum (sgd with momentum > 0).")
    )
    beta_1: float = Field(
        0.9, gt=0, lt=1, title=N_("Beta 1"), description=N_("Adam: decay of the first-moment estimate."),
        json_schema_extra={"page": {"step": 0.01}},
    )
    beta_2: float = Field(
        0.999, gt=0, lt=1, title=N_("Beta 2"), description=N_("Adam: decay of the second-moment estimate."),
        json_schema_extra={"page": {"step": 0.0001}},
    )
    rho: float = Field(
        0.9, gt=0, lt=1, title=N_("Rho"), description=N_("RMSprop: decay of the squared-gradient average."),
        json_schema_extra={"page": {"step": 0.01}},
    )
    initializer: Literal[INITIALIZERS] = Field(  # type: ignore[valid-type]
        "glorot_uniform", title=N_("Initializer"), description=N_("Kernel initializer of every layer (simple mode).")
    )
    input_dropout: float = Field(
        0.0, ge=0, le=0.9, title=N_("Input dropout"), description=N_("Dropout rate on the inputs (0 = none)."),
        json_schema_extra={"page": {"step": 0.1}},
    )
    dropout: float = Field(
        0.0, ge=0, le=0.9, title=N_("Dropout"),
        description=N_("Dropout rate after every hidden layer (simple mode)."),
        json_schema_extra={"page": {"step": 0.1}},
    )
    batch_norm: bool = Field(
        False, title=N_("Batch norm"), description=N_("BatchNormalization in every hidden layer (simple mode).")
    )
    max_norm: float = Field(
        0.0, ge=0, le=10, title=N_("Max-norm"), description=N_("MaxNorm constraint on every kernel (0 = none)."),
        json_schema_extra={"page": {"step": 0.5}},
    )
    layers: list[LayerConfig] | None = Field(
        None, max_length=MAX_LAYERS, title=N_("Layers"),
        description=N_("Advanced mode: per-layer settings (replace hidden_layers etc.)."),
    )
    early_stopping: EarlyStoppingConfig | None = Field(
        None, title=N_("Early stopping"), description=N_("Keras EarlyStopping (null = off).")
    )
    lr_schedule: LRScheduleConfig | None = Field(
        None, title=N_("Learning-rate schedule"), description=N_("LearningRateScheduler preset (null = off).")
    )
    reduce_lr: ReduceLRConfig | None = Field(
        None, title=N_("Reduce on plateau"), description=N_("Keras ReduceLROnPlateau (null = off).")
    )
    target_loss: float | None = Field(
        None, ge=0, le=10, title=N_("Stop at test loss"),
        description=N_("Stop condition: end the run when the test loss reaches this (null = off)."),
    )

    @field_validator("learning_rate", "regularization_rate", "noise", mode="before")
    @classmethod
    def _as_float(cls, v: Any) -> Any:
        # JSON 1 arrives as int; Keras optimizers reject an int learning rate.
        return float(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @model_validator(mode="before")
    @classmethod
    def _units_from_layers(cls, data: Any) -> Any:
        # Advanced mode may give only `layers`; hidden_layers then follows from their units.
        if isinstance(data, dict) and isinstance(data.get("layers"), list) and "hidden_layers" not in data:
            data = {**data, "hidden_layers": [
                item.get("units", LayerConfig.model_fields["units"].default) if isinstance(item, dict) else item
                for item in data["layers"]
            ]}
        return data

    @field_validator("pace", mode="before")
    @classmethod
    def _pace(cls, v: Any) -> Any:
        if v == "max":
            return v
        try:
            value = float(v)
        except (TypeError, ValueError):
            value = float("nan")
        if not 1 <= value <= 10_000:
            raise ValueError(gettext('must be a number of epochs per second from 1 to 10000, or "max"'))
        return value

    @field_validator("features")
    @classmethod
    def _unique_features(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(gettext("each feature may appear only once"))
        return v

    @model_validator(mode="after")
    def _dataset_matches_problem(self) -> RunConfig:
        info = find_dataset(self.dataset)
        if info is None:
            raise ValueError("dataset: " + gettext("unknown dataset '%(name)s'; choose one of %(choices)s",
                                                   name=self.dataset, choices=", ".join(DATASETS)))
        if info.problem != self.problem:
            choices = ", ".join(n for n, d in DATASETS.items() if d.problem == self.problem)
            raise ValueError("dataset: " + gettext(
                "'%(name)s' is a %(kind)s dataset; for %(problem)s choose %(choices)s", name=self.dataset,
                kind=PROBLEM_NAMES[info.problem], problem=PROBLEM_NAMES[self.problem], choices=choices))
        if self.n_classes is not None and not info.multiclass:
            raise ValueError("n_classes: " + gettext(
                "'%(name)s' has two classes; multi-class datasets: %(choices)s", name=self.dataset,
                choices=", ".join(n for n, d in DATASETS.items() if d.multiclass)))
        if info.multiclass and self.n_classes is not None and self.n_classes > 5:
            raise ValueError("n_classes: " + gettext("'%(name)s' makes 2 to 5 classes", name=self.dataset))
        if self.layers is not None and [layer.units for layer in self.layers] != list(self.hidden_layers):
            raise ValueError("hidden_layers: " + gettext("must match the units of `layers` (or leave it out)"))
        loss = self.resolved_loss
        if self.classes > 2 and (loss != "categorical_crossentropy" or self.mode == "classic"):
            raise ValueError("loss: " + gettext("more than two classes need a softmax output with "
                                                "categorical_crossentropy (loss 'auto', mode 'keras')"))
        if self.classes == 2 and loss == "categorical_crossentropy":
            raise ValueError("loss: " + gettext("categorical_crossentropy is for more than two classes; "
                                                "use binary_crossentropy"))
        if LOSS_TABLE[loss][0] != self.problem:
            choices = ", ".join(n for n, (p, _) in LOSS_TABLE.items() if p == self.problem)
            raise ValueError("loss: " + gettext("'%(name)s' is a %(kind)s loss; for %(problem)s choose %(choices)s",
                                                name=loss, kind=PROBLEM_NAMES[LOSS_TABLE[loss][0]],
                                                problem=PROBLEM_NAMES[self.problem], choices=choices))
        if self.nesterov and (self.optimizer != "sgd" or self.momentum == 0):
            raise ValueError("nesterov: " + gettext("Nesterov momentum needs optimizer 'sgd' and a momentum above 0"))
        if self.mode == "classic":
            if self.optimizer != "sgd" or self.momentum:
                raise ValueError("optimizer: " + gettext(
                    "classic mode is TF Playground's plain SGD; use mode 'keras' for others"))
            if loss != "square" and self.problem == "classification":
                raise ValueError("loss: " + gettext(
                    "classic mode uses TF Playground's square error; use mode 'keras' for others"))
        for name in ("early_stopping", "reduce_lr"):
            callback = getattr(self, name)
            if callback is not None and "accuracy" in callback.monitor and self.problem == "regression":
                raise ValueError(f"{name}.monitor: " + gettext("regression has no accuracy; monitor loss or val_loss"))
        return self

    def layer_specs(self) -> list[LayerConfig]:
        """The hidden layers, resolved: advanced-mode `layers`, or the simple panel's settings for each."""
        if self.layers is not None:
            return list(self.layers)
        return [
            LayerConfig(
                units=units,
                activation=self.activation,
                dropout=self.dropout,
                batch_norm=self.batch_norm,
                regularization=self.regularization,
                regularization_rate=self.regularization_rate,
                max_norm=self.max_norm,
                initializer=self.initializer,
            )
            for units in self.hidden_layers
        ]

    @property
    def classes(self) -> int:
        """Number of classes (1 for regression)."""
        if self.problem == "regression":
            return 1
        info = lookup(self.dataset)
        return self.n_classes or info.n_classes  # type: ignore[union-attr]

    @property
    def resolved_loss(self) -> str:
        """The loss actually used ('auto' resolved)."""
        return resolve_loss(self.loss, self.problem, self.mode == "classic", self.classes)


class ConfigError(ValueError):
    """A request's settings are invalid; ``errors`` is a list of {field, message}."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def _describe(err: dict[str, Any]) -> dict[str, str]:
    """Turn one pydantic error into {field, message} with the allowed range spelled out."""
    loc = [str(p) for p in err["loc"]]
    field = ".".join(loc) if loc else "body"
    msg = err["msg"]
    kind = err["type"]
    ctx = err.get("ctx") or {}
    translated = pydantic_message(kind, ctx, field, msg)
    if kind == "extra_forbidden":
        msg = translated or msg
    elif kind == "value_error" and msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
        if ": " in msg and not loc:
            field, msg = msg.split(": ", 1)
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = RunConfig.model_fields.get(loc[0]) if loc else None
        english = language() == "en"  # the field's help text is English documentation
        hint = f" ({bound.description})" if english and bound is not None and bound.description else ""
        msg = f"{translated or msg}{hint}"
    else:
        msg = translated or msg
    return {"field": field, "message": msg}


def find_dataset(name: str) -> DatasetInfo | None:
    """app.data.datasets.lookup, with an unusable upload's message in the reader's language."""
    try:
        return lookup(name)
    except UploadUnusable as exc:
        raise ValueError("dataset: " + gettext(exc.msgid, **exc.params)) from None


def parse_config(data: Any) -> RunConfig:
    """Validate a JSON-like mapping into a RunConfig or raise ConfigError."""
    if not isinstance(data, dict):
        raise ConfigError([{"field": "body", "message": gettext("expected a JSON object of settings")}])
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_describe(e) for e in exc.errors()]) from None


def field_docs() -> dict[str, str]:
    """Name -> help text of every RunConfig field (used by docs and the docs test)."""
    return {name: f.description or "" for name, f in RunConfig.model_fields.items()}
