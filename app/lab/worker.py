"""What a task process runs for the lab: one fold of one configuration (TensorFlow is imported here only).

The process itself is the shared task pool's (app/runner/tasks.py): spawned, TensorFlow single-threaded, warm.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def init() -> None:
    """TensorFlow with one thread of each kind, as every task and training process (bench/lab_sonar.py uses it)."""
    from app.runner.spawn import single_threaded_tensorflow

    single_threaded_tensorflow()


def fold(dataset: str, train: list[int], test: list[int], params: dict[str, Any]) -> dict[str, Any]:
    """Fit the scaler + model pipeline on the training rows and score the held-out rows."""
    from app.lab.folds import load, run_fold
    from app.lab.model import KerasMLP

    x, y, _ = load(dataset)
    result, _ = run_fold(x, y, np.asarray(train), np.asarray(test), KerasMLP(**params))
    return result
