"""Nested settings of a run: per-layer options and the Keras callbacks (pydantic, no TF).

Kept apart from app/config.py so each stays small; RunConfig composes them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "elu", "selu", "gelu", "swish", "leaky_relu")
INITIALIZERS = ("glorot_uniform", "he_normal", "zeros", "uniform")
REGULARIZATIONS = ("none", "l1", "l2", "l1_l2")
MONITORS = ("loss", "val_loss", "accuracy", "val_accuracy")
OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad")

# Loss name -> (problem, output activation). The functions live in app/losses.py (TF side).
LOSS_TABLE: dict[str, tuple[str, str]] = {
    "binary_crossentropy": ("classification", "sigmoid"),
    "hinge": ("classification", "tanh"),
    "focal": ("classification", "sigmoid"),
    "weighted_bce": ("classification", "sigmoid"),
    "square": ("classification", "tanh"),
    "categorical_crossentropy": ("classification", "softmax"),
    "mse": ("regression", "linear"),
    "mae": ("regression", "linear"),
    "huber": ("regression", "linear"),
}
CUSTOM_LOSSES = ("focal", "weighted_bce", "square")


def resolve_loss(loss: str, problem: str, classic: bool = False, n_classes: int = 2) -> str:
    """The concrete loss for 'auto': BCE or MSE, or TF Playground's square error in classic mode."""
    if loss != "auto":
        return loss
    if n_classes > 2:
        return "categorical_crossentropy"
    if problem == "classification":
        return "square" if classic else "binary_crossentropy"
    return "mse"


def auto_losses() -> list[dict[str, str | bool]]:
    """What 'auto' resolves to for each input of resolve_loss, served to the page (/api/config `auto_loss`).

    One row per (problem, classic mode, more than two classes): the page looks its loss up here and keeps no
    copy of the rule.
    """
    rows: list[dict[str, str | bool]] = []
    for problem in ("classification", "regression"):
        for classic in (False, True):
            for multiclass in ((False, True) if problem == "classification" else (False,)):
                classes = 3 if multiclass else (2 if problem == "classification" else 1)
                rows.append({"problem": problem, "classic": classic, "multiclass": multiclass,
                             "loss": resolve_loss("auto", problem, classic, classes)})
    return rows

Activation = Literal[ACTIVATIONS]  # type: ignore[valid-type]
Initializer = Literal[INITIALIZERS]  # type: ignore[valid-type]
Regularization = Literal[REGULARIZATIONS]  # type: ignore[valid-type]
Monitor = Literal[MONITORS]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LayerConfig(_Strict):
    """One hidden Dense layer in advanced mode; every option maps to a Keras argument or layer."""

    units: int = Field(4, ge=1, le=64, description="Neurons in this layer.")
    activation: Activation = Field("tanh", description="Activation of this layer.")
    dropout: float = Field(0.0, ge=0, le=0.9, description="Dropout rate after this layer (0 = none).")
    batch_norm: bool = Field(False, description="BatchNormalization after the Dense layer, before its activation.")
    regularization: Regularization = Field("none", description="Kernel (weight) regularizer.")
    regularization_rate: float = Field(0.0, ge=0, le=10, description="Kernel regularization rate λ.")
    activity_regularization: Regularization = Field("none", description="Activity (output) regularizer.")
    activity_regularization_rate: float = Field(0.0, ge=0, le=10, description="Activity regularization rate.")
    max_norm: float = Field(0.0, ge=0, le=10, description="MaxNorm kernel constraint (0 = none; the course: 3–5).")
    initializer: Initializer = Field("glorot_uniform", description="Kernel initializer.")


class EarlyStoppingConfig(_Strict):
    """Keras EarlyStopping: stop when `monitor` has not improved for `patience` epochs."""

    monitor: Monitor = Field("val_loss", description="Metric watched; val_* is the test set.")
    patience: int = Field(20, ge=0, le=10_000, description="Epochs without improvement before stopping.")
    min_delta: float = Field(0.0, ge=0, le=1, description="Smallest change that counts as an improvement.")
    mode: Literal["auto", "min", "max"] = Field("auto", description="Whether the metric should fall or rise.")
    restore_best_weights: bool = Field(True, description="Go back to the best epoch's weights at the end.")


class LRScheduleConfig(_Strict):
    """A LearningRateScheduler preset: a function of the epoch and the initial rate."""

    kind: Literal["step", "exponential", "cosine"] = Field("step", description="Shape of the decay.")
    factor: float = Field(0.5, gt=0, le=1, description="step: multiply by this every `every` epochs; "
                          "exponential: the rate's factor per `every` epochs.")
    every: int = Field(100, ge=1, le=10_000, description="Epochs per step (step and exponential).")
    min_ratio: float = Field(0.0, ge=0, le=1, description="cosine: floor as a fraction of the initial rate.")


class ReduceLRConfig(_Strict):
    """Keras ReduceLROnPlateau: multiply the rate by `factor` when `monitor` stalls."""

    monitor: Monitor = Field("val_loss", description="Metric watched.")
    factor: float = Field(0.5, gt=0, lt=1, description="Multiplier applied to the rate on a plateau.")
    patience: int = Field(10, ge=0, le=10_000, description="Epochs without improvement before reducing.")
    min_lr: float = Field(0.00001, ge=0, le=1, description="The rate never goes below this.")
