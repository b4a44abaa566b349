"""Frame pieces: the evaluation grid and the compact uint8 grid encoding (numpy only)."""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from app.data.datasets import DOMAIN


def grid_points(resolution: int) -> np.ndarray:
    """(resolution², 2) points over the domain, row-major, bottom row (y = -6) first."""
    axis = np.linspace(DOMAIN[0], DOMAIN[1], resolution, dtype=np.float32)
    xx, yy = np.meshgrid(axis, axis)  # yy varies along rows
    return np.column_stack([xx.ravel(), yy.ravel()])


def encode_grid(values: np.ndarray) -> str:
    """Quantize values in [-1, 1] to bytes (q = (v + 1) * 127.5) and base64 them.

    Values outside [-1, 1] saturate, as TF Playground's colour scale does; NaN maps to 0.
    """
    v = np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    q = np.rint((np.clip(v, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def decode_grid(data: str, resolution: int) -> np.ndarray:
    """Inverse of encode_grid (to within 1/127.5): a (resolution, resolution) array."""
    q = np.frombuffer(base64.b64decode(data), dtype=np.uint8)
    return (q.astype(np.float32) / 127.5 - 1.0).reshape(resolution, resolution)


def clean(x: float | None) -> float | None:
    """A JSON-safe float: NaN and infinities become None (JSON has no NaN)."""
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def round_weights(arrays: list[np.ndarray], digits: int = 4) -> list[Any]:
    """Weight arrays as nested lists, rounded so frames stay small."""
    return [np.round(np.nan_to_num(np.asarray(a, dtype=np.float64)), digits).tolist() for a in arrays]
