"""Input feature columns, computed from the two raw coordinates (TF Playground's inputs)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

FeatureFn = Callable[[np.ndarray, np.ndarray], np.ndarray]

# Order is the input-node order of TF Playground: X1, X2, X1^2, X2^2, X1X2, sin X1, sin X2.
FEATURES: dict[str, tuple[str, FeatureFn]] = {
    "x1": ("X₁", lambda a, b: a),
    "x2": ("X₂", lambda a, b: b),
    "x1_squared": ("X₁²", lambda a, b: a * a),
    "x2_squared": ("X₂²", lambda a, b: b * b),
    "x1_x2": ("X₁X₂", lambda a, b: a * b),
    "sin_x1": ("sin(X₁)", lambda a, b: np.sin(a)),
    "sin_x2": ("sin(X₂)", lambda a, b: np.sin(b)),
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)


def ordered(names: list[str] | tuple[str, ...]) -> list[str]:
    """Return the chosen feature names in the canonical input order."""
    chosen = set(names)
    return [n for n in FEATURE_NAMES if n in chosen]


def transform(points: np.ndarray, names: list[str] | tuple[str, ...]) -> np.ndarray:
    """Map (n, 2) raw points to the (n, k) float32 feature matrix for the chosen features."""
    a, b = points[:, 0], points[:, 1]
    cols = [FEATURES[n][1](a, b) for n in ordered(names)]
    return np.column_stack(cols).astype(np.float32)
