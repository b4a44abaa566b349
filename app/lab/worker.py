"""What a lab worker process runs: one fold of one configuration (TensorFlow is imported here only)."""

from __future__ import annotations

from typing import Any

import numpy as np


def init() -> None:
    """Process start: one TensorFlow thread each, as the training workers (app/runner/worker.py)."""
    from app.runner.worker import single_threaded_tensorflow

    single_threaded_tensorflow()


def fold(dataset: str, train: list[int], test: list[int], params: dict[str, Any]) -> dict[str, Any]:
    """Fit the scaler + model pipeline on the training rows and score the held-out rows."""
    from app.lab.folds import load, run_fold
    from app.lab.model import KerasMLP

    x, y, _ = load(dataset)
    result, _ = run_fold(x, y, np.asarray(train), np.asarray(test), KerasMLP(**params))
    return result
