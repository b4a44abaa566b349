"""Compile a new architecture beside the training loop, not in it.

Building and tracing an architecture a training process has not compiled takes 1.1–1.9 s (XLA); done in
the worker's one loop, every other run of that process gets no epoch for that long (bench/compile_stall.py).
Here a run whose architecture is not compiled yet waits in `pending` while one background thread builds
it and runs one epoch and one frame (which traces and compiles every function); the loop keeps training
the others and starts the run from the cache once the model is ready. Runs of one new shape wait for the
same compile: the compiled model is shared by every run of its shape (app/engine/compiled.py). Controls
that arrive for a run still compiling are kept and replayed after its start, in order. Imports no TensorFlow
itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("kp.worker")
# The `done` of a run stopped before its first epoch (as app/runner/supervise.py STOPPED for a queued run).
STOPPED_BEFORE_START = {"epochs": 0, "reason": "stopped", "train_loss": None, "test_loss": None,
                        "train_accuracy": None, "test_accuracy": None, "elapsed": 0.0}


@dataclass
class PendingStart:
    """A run waiting for its architecture: the start message's parts and the controls sent since."""

    run_id: str
    config: Any  # RunConfig
    config_dict: dict[str, Any]
    opts: dict[str, Any]
    received: float
    future: Future
    controls: list[tuple] = field(default_factory=list)


class CompileAhead:
    """One compile thread per training process and the runs waiting for it."""

    def __init__(self, has: Callable[[Any], bool], prepare: Callable[[Any], Any],
                 keep: Callable[[Any, Any], None], key: Callable[[Any], str] = repr) -> None:
        """`has(config)`: its architecture is compiled; `prepare(config)`: build and trace it (any thread);
        `keep(config, compiled)`: give it to the cache (the loop's thread); `key(config)`: its architecture."""
        self._has = has
        self._prepare = prepare
        self._keep = keep
        self._key = key
        self._compiling: dict[str, Future] = {}  # architecture -> its compile, shared by the runs waiting
        self._pool: ThreadPoolExecutor | None = None
        self.pending: dict[str, PendingStart] = {}
        self._orphans: list[PendingStart] = []  # stopped while compiling: the model still goes to the cache

    @property
    def busy(self) -> bool:
        """A compile is in progress or its copy has not reached the cache yet."""
        return bool(self.pending or self._orphans)

    def needed(self, config: Any) -> bool:
        """True when starting this run now would compile in the loop: its shape is not compiled yet."""
        return not self._has(config)

    def submit(self, run_id: str, config: Any, config_dict: dict[str, Any], opts: dict[str, Any],
               received: float) -> None:
        """Compile this run's architecture in the background; the run waits in `pending`."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kp-compile")
        key = self._key(config)
        future = self._compiling.get(key)
        if future is None:
            future = self._compiling[key] = self._pool.submit(self._prepare, config)
        self.pending[run_id] = PendingStart(run_id, config, config_dict, opts, received, future)

    def hold(self, run_id: str, message: tuple) -> bool:
        """Keep a control for a run still compiling (True), or say it is not one of ours (False)."""
        pending = self.pending.get(run_id)
        if pending is None:
            return False
        pending.controls.append(message)
        return True

    def drop(self, run_id: str) -> bool:
        """Forget a run still compiling (stopped before its start); True if it was one. Its model is kept."""
        pending = self.pending.pop(run_id, None)
        if pending is not None:
            self._orphans.append(pending)
        return pending is not None

    def ready(self) -> list[PendingStart]:
        """The runs whose compile has ended, in arrival order; their compiled models are in the cache."""
        done = [p for p in self.pending.values() if p.future.done()]
        for pending in done:
            del self.pending[pending.run_id]
        orphans = [p for p in self._orphans if p.future.done()]
        self._orphans = [p for p in self._orphans if not p.future.done()]
        for pending in [*orphans, *done]:
            self._compiling = {k: f for k, f in self._compiling.items() if f is not pending.future}
            try:
                self._keep(pending.config, pending.future.result())
            except Exception:  # the run's own start will meet (and report) the same failure
                log.exception("compiling for run %s failed", pending.run_id)
        return done

    def close(self) -> None:
        """Let the thread end (a compile in progress finishes first)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

