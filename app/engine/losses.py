"""Loss functions by name: Keras' own, and the project's custom losses (the course's custom-loss API).

A custom loss is a plain Python function of (y_true, y_pred), as Keras accepts it.
Learners choose one by name; the page shows its source (app/losscode.py reads it
without importing TensorFlow). No user code ever runs here.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import ops


def square(y_true, y_pred):
    """TF Playground's error: 0.5 * (output - target)^2, targets ±1 with a tanh output."""
    return 0.5 * ops.mean(ops.square(y_pred - y_true), axis=-1)


def focal(y_true, y_pred, gamma: float = 2.0):
    """Focal loss (Lin et al. 2017): cross-entropy down-weighted on easy, confident points."""
    p = ops.clip(y_pred, 1e-7, 1 - 1e-7)
    p_true = y_true * p + (1 - y_true) * (1 - p)
    return ops.mean(-ops.power(1 - p_true, gamma) * ops.log(p_true), axis=-1)


def weighted_bce(y_true, y_pred, positive_weight: float = 3.0):
    """Binary cross-entropy where mistakes on class 1 (blue) cost `positive_weight` times more."""
    p = ops.clip(y_pred, 1e-7, 1 - 1e-7)
    per_point = -(positive_weight * y_true * ops.log(p) + (1 - y_true) * ops.log(1 - p))
    return ops.mean(per_point, axis=-1)


NAMED: dict[str, Callable | str] = {
    "binary_crossentropy": "binary_crossentropy",
    "hinge": "hinge",
    "focal": focal,
    "weighted_bce": weighted_bce,
    "square": square,
    "categorical_crossentropy": "sparse_categorical_crossentropy",  # class indices as targets
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "huber": "huber",
}


def get(name: str) -> Callable:
    """The callable Keras loss for a name (see app/options.LOSS_TABLE)."""
    fn = NAMED[name]
    return fn if callable(fn) else keras.losses.get(fn)
