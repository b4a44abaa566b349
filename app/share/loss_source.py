"""Source code of the project's losses, for the page, read without importing TensorFlow."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from app.config.options import CUSTOM_LOSSES, LOSS_TABLE

_KERAS_NAMES = {
    "binary_crossentropy": "keras.losses.BinaryCrossentropy()",
    "categorical_crossentropy": "keras.losses.SparseCategoricalCrossentropy()",
    "hinge": "keras.losses.Hinge()",
    "mse": "keras.losses.MeanSquaredError()",
    "mae": "keras.losses.MeanAbsoluteError()",
    "huber": "keras.losses.Huber()",
}


@cache
def loss_sources() -> dict[str, str]:
    """Loss name -> the code a learner reads: the function for custom losses, the Keras call otherwise."""
    path = Path(__file__).resolve().parents[1] / "engine" / "losses.py"
    text = path.read_text(encoding="utf-8")
    functions = {
        node.name: ast.get_source_segment(text, node)
        for node in ast.parse(text).body
        if isinstance(node, ast.FunctionDef) and node.name in CUSTOM_LOSSES
    }
    return {name: functions.get(name) or f"loss = {_KERAS_NAMES[name]}  # Keras' built-in" for name in LOSS_TABLE}
