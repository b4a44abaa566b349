"""The training process's side of the loss landscape: what it keeps of each run, and the computation on request.

A run's initial weights and a thinned list of weight snapshots (at most MAX_PATH: when full, every other one
is dropped and snapshots are taken half as often) are kept while it trains; when it ends, its final weights
and training data are kept too (numpy, for the last KEEP_ENDED runs), so a finished run's landscape needs
neither its compiled model (given back to the cache) nor a new process. Imports no TensorFlow itself.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.engine.landscape_plan import MAX_PATH, LandscapeRequest

log = logging.getLogger("kp.worker")
KEEP_ENDED = 16  # ended runs whose landscape can still be drawn, per training process


@dataclass
class Kept:
    """One run's weights history; `trainer` while it trains, `final`/`x`/`y` once it has ended."""

    trainer: Any
    initial: list[np.ndarray]
    path: list[tuple[int, list[np.ndarray]]] = field(default_factory=list)
    stride: int = 1
    final: list[np.ndarray] | None = None
    data: tuple[np.ndarray, np.ndarray] | None = None
    config: Any = None
    epoch: int = 0

    def snapshot(self, epoch: int, weights: list[np.ndarray]) -> None:
        """Add a snapshot; thin the list by half (keeping the first) when it is full."""
        self.path.append((epoch, weights))
        if len(self.path) > MAX_PATH:
            self.path = self.path[::2]
            self.stride *= 2


def training_data(trainer: Any) -> tuple[np.ndarray, np.ndarray]:
    """The run's training inputs (features applied) and targets, as the compiled loop sees them."""
    return trainer._x.numpy(), trainer._y.numpy()  # the Trainer's own tensors: no second copy of the data rules


class LandscapeKeeper:
    """Per worker process: keeps each run's path and answers landscape requests for its runs."""

    def __init__(self, keep_ended: int = KEEP_ENDED) -> None:
        self.live: dict[str, Kept] = {}
        self.ended: OrderedDict[str, Kept] = OrderedDict()
        self.keep_ended = keep_ended
        self.warmed = False

    def prewarm(self, configs: list[Any]) -> None:
        """Trace the landscape's compiled call for these architectures, once per process (the worker's idle time)."""
        if self.warmed:
            return
        self.warmed = True
        from app.engine import landscape

        for config in configs:
            landscape.prewarm(config)

    def begin(self, run_id: str, trainer: Any, weights: list[Any] | None = None) -> None:
        """A run starts (after any given weights were set): its initial weights are the path's first point
        (`weights`: those arrays when the caller has already read them)."""
        weights = trainer.get_weights() if weights is None else weights
        self.live[run_id] = Kept(trainer, weights, [(trainer.epoch, weights)])

    def observe(self, run_id: str) -> None:
        """After an epoch: take a snapshot when one is due (every `stride` epochs)."""
        kept = self.live.get(run_id)
        if kept is not None and kept.trainer.epoch - kept.path[-1][0] >= kept.stride:
            kept.snapshot(kept.trainer.epoch, kept.trainer.get_weights())

    def retire(self, run_id: str) -> None:
        """The run has ended: keep its final weights and data (its model may serve another run from now on)."""
        kept = self.live.pop(run_id, None)
        if kept is None:
            return
        try:
            kept.final = kept.trainer.get_weights()
            kept.data = training_data(kept.trainer)
            kept.config, kept.epoch = kept.trainer.config, kept.trainer.epoch
        except Exception:  # a failed run: nothing worth drawing
            log.warning("run %s: no landscape kept", run_id, exc_info=True)
            return
        kept.trainer = None
        self.ended[run_id] = kept
        while len(self.ended) > self.keep_ended:
            self.ended.popitem(last=False)

    def compute(self, run_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """{"result": the landscape} or {"error": "gone"} when this process no longer holds the run."""
        kept = self.live.get(run_id) or self.ended.get(run_id)
        if kept is None:
            return {"error": "gone"}
        from app.engine import landscape  # TensorFlow: only in the training process, only when asked

        if kept.trainer is not None:
            current, (x, y), config = kept.trainer.get_weights(), training_data(kept.trainer), kept.trainer.config
        else:
            current, (x, y), config = kept.final, kept.data, kept.config
        path = list(kept.path)
        epoch = kept.trainer.epoch if kept.trainer is not None else kept.epoch
        if path[-1][0] != epoch:
            path.append((epoch, current))
        try:
            result = landscape.compute(config, x, y, current, kept.initial, path, LandscapeRequest(**params))
        except Exception as exc:
            log.exception("run %s: landscape failed", run_id)
            return {"error": "failed", "detail": f"{type(exc).__name__}: {exc}"}
        return {"result": {**result, "epoch": epoch}}
