"""Stratified k-fold splits and the per-fold Pipeline (StandardScaler, then the Keras model).

The scaler is part of the pipeline, so it is fitted on each fold's training rows only:
the test fold's mean and spread never leak into training (tests/test_lab.py checks it).
This module imports no TensorFlow; run_fold() does, through KerasMLP.fit, in a lab worker.
"""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

SONAR = Path(__file__).resolve().parents[1] / "data" / "sonar.csv"


@lru_cache(maxsize=1)
def _sonar() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    from app.data import csv_table as csvdata

    table = csvdata.parse(SONAR.read_bytes())
    return table.x, table.y, tuple(table.classes)


def load(dataset: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features, class indices and class names of "sonar" or "upload:<id>" (LookupError when gone)."""
    if dataset == "sonar":
        x, y, classes = _sonar()
        return x, y, list(classes)
    from app.data import upload_store

    x, y, meta = upload_store.load(dataset.removeprefix("upload:"))
    return x, y, list(meta["classes"])


def splits(y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row indices of each fold; every fold keeps the class proportions."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros((len(y), 1)), y))


def pipeline(estimator: BaseEstimator) -> Pipeline:
    """StandardScaler fitted inside the fold, then the model."""
    return Pipeline([("scale", StandardScaler()), ("model", estimator)])


def run_fold(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray,
             estimator: BaseEstimator) -> tuple[dict[str, Any], Pipeline]:
    """Fit a fresh pipeline on the training rows; its accuracy on the held-out rows."""
    start = time.perf_counter()
    fitted = pipeline(estimator).fit(x[train], y[train])
    result = {
        "accuracy": round(float(fitted.score(x[test], y[test])), 4),
        "train_accuracy": round(float(fitted.score(x[train], y[train])), 4),
        "test_rows": int(len(test)),
        "seconds": round(time.perf_counter() - start, 2),
    }
    model = fitted.named_steps["model"]
    if getattr(model, "epochs_run_", None) is not None and model.epochs_run_ < model.epochs:
        result["epochs"] = model.epochs_run_  # stopped by the fold's wall-time budget (KP_LAB_FOLD_MAX_SECONDS)
    return result, fitted
