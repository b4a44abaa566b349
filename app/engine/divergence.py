"""When a run has diverged: a NaN or infinite loss, or a loss that exploded and stays there.

A bounded loss (cross-entropy with clipped probabilities, TF Playground's square error on a
tanh output) rarely turns NaN, even at learning rate 10: the network just thrashes, worse than
guessing. So "exploded" means the training loss stayed above EXPLODE_FACTOR times the loss of
the best constant guess (the class frequencies, or the mean target) for EXPLODE_EPOCHS epochs in
a row. Measured on the spiral (docs/parity.md): learning rates up to 1 never trigger it;
10 does within about 30 epochs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

EXPLODE_FACTOR = 1.5
EXPLODE_EPOCHS = 20


def baseline_loss(loss_fn: Callable, y: np.ndarray, classes: int) -> float | None:
    """The loss of always predicting the same thing: the class frequencies (softmax) or the mean target."""
    y = np.asarray(y, dtype=np.float32).reshape(-1, 1)
    if classes > 2:
        freq = np.bincount(y[:, 0].astype(np.int64), minlength=classes) / len(y)
        pred = np.tile(np.clip(freq, 1e-7, 1.0).astype(np.float32), (len(y), 1))
    else:
        pred = np.full_like(y, float(y.mean()))
    try:
        value = float(np.mean(np.asarray(loss_fn(y, pred))))
    except Exception:  # a loss that cannot take a constant guess: no explosion check, NaN still counts
        return None
    return value if math.isfinite(value) and value > 0 else None


class ExplosionWatch:
    """Counts epochs in a row whose training loss is above EXPLODE_FACTOR × the baseline."""

    def __init__(self, baseline: float | None) -> None:
        self.baseline = baseline
        self.above = 0

    def update(self, loss: float | None) -> None:
        """Record one epoch's training loss."""
        high = self.baseline is not None and loss is not None and loss > EXPLODE_FACTOR * self.baseline
        self.above = self.above + 1 if high else 0

    @property
    def exploded(self) -> bool:
        return self.above >= EXPLODE_EPOCHS
