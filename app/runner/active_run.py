"""One run inside a worker process: pace, pause/step/stop, frame throttling, its final event.

Kept apart from the process loop (app/runner/worker.py) so the rules of a run read in one
place. It drives a Trainer (app/trainer.py) but imports no TensorFlow itself.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from app.runner import messages as stream_text
from app.runner.viewers import Viewers

log = logging.getLogger("kp.worker")
BACKLOG = 0.25  # seconds of missed epochs a paced run may catch up in a burst
Emit = Callable[[str, str, str, dict[str, Any]], None]  # run id, event name, JSON text, meta for the web


def dumps(payload: Any) -> str:
    """Compact JSON; NaN and infinities (not JSON) become null."""
    try:
        return json.dumps(payload, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_finite(payload), separators=(",", ":"), allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def diverged_message(epoch: int, learning_rate: float, exploded: bool = False) -> str:
    """What a learner reads when the loss blows up (NaN) or explodes (worse than guessing, and staying there)."""
    data = {"reason": "diverged", "cause": "exploded" if exploded else "nan", "epoch": epoch,
            "learning_rate": learning_rate}
    return stream_text.message(data) or ""


class ActiveRun:
    """A run being trained by this worker; every method runs in the worker's one loop."""

    def __init__(self, run_id: str, trainer: Any, emit: Emit, budget: float, paused: bool = False,
                 steps: int = 0) -> None:
        now = time.monotonic()
        self.id = run_id
        self.trainer = trainer
        self._emit = emit
        self.paused = paused
        self.steps = steps
        self.next_due = now
        self.deadline = now + budget
        self.interval = self._interval(trainer.config.pace)
        self.unsent = 0  # epochs trained since the last frame
        self.last_frame = 0.0
        self.ended = False
        self.viewers = Viewers()  # open streams: grids or weights, and the frame rate they ask for

    @staticmethod
    def _interval(pace: float | str) -> float:
        return 0.0 if pace == "max" else 1.0 / float(pace)

    def emit(self, name: str, payload: dict[str, Any], meta: dict[str, Any] | None = None) -> None:
        self._emit(self.id, name, dumps(payload), meta or {})

    @property
    def fresh(self) -> bool:
        """No frame sent yet: the scheduler gives this run its first epoch and frame first."""
        return self.last_frame == 0.0

    def due_at(self) -> float | None:
        """When the next epoch should run (-inf: a step is waiting), or None while paused or ended."""
        if self.ended:
            return None
        if self.paused:
            return -math.inf if self.steps else None
        return self.next_due

    def tick(self, frame_interval: float) -> float:
        """Train one epoch, then send a frame if one is due, or end the run; returns frame seconds."""
        stepping = self.paused
        self.trainer.train_epoch()
        self.unsent += 1
        now = time.monotonic()
        if stepping:
            self.steps -= 1
        elif self.interval:
            self.next_due = max(self.next_due + self.interval, now - BACKLOG)
        else:
            self.next_due = now  # "max": behind every paced run that is due
        if self.trainer.diverged:
            return self.fail_diverged()
        reason = self.trainer.stop_reason
        if reason:
            return self.finish(reason)
        if stepping:
            return self.send_frame(exact=True)
        if now - self.last_frame >= max(frame_interval, self.viewers.min_interval):
            return self.send_frame()
        return 0.0

    def send_frame(self, exact: bool = False) -> float:
        """Send the current frame (history since the previous one); returns its cost in seconds.

        `exact`: a frame the learner dwells on (pause, step, an edit, the last one), so every figure in it is
        fresh; frames in between may repeat the last confusion matrices (app/engine/drawing.confusion_due).
        """
        start = time.monotonic()
        grids = self.viewers.grids_due(start)
        self.emit("frame", self.trainer.frame(grids=grids, exact=exact), {"epoch": self.trainer.epoch})
        self.unsent = 0
        self.last_frame = time.monotonic()
        return self.last_frame - start

    def pause(self) -> None:
        if self.paused:
            return
        self.paused = True
        # The learner sees the epoch the run really stopped at, with fresh confusion matrices (a Trainer's
        # stale_confusion; test fakes may lack it).
        if self.unsent or getattr(self.trainer, "stale_confusion", False):
            self.send_frame(exact=True)
        self.emit("state", {"state": "paused", "epoch": self.trainer.epoch}, {"state": "paused"})

    def resume(self) -> None:
        self.steps = 0
        if not self.paused:
            return
        self.paused = False
        self.next_due = time.monotonic()
        self.emit("state", {"state": "running", "epoch": self.trainer.epoch}, {"state": "running"})

    def step(self) -> None:
        self.pause()
        self.steps += 1

    def set(self, values: dict[str, Any]) -> None:
        """Live changes: pace here; learning rate, regularization, optimizer parameters and stop conditions
        in the trainer (app/live.py)."""
        trained = {k: v for k, v in values.items() if k != "pace"}
        if trained:
            self.trainer.set_live(trained)
        if "pace" in values:
            self.interval = self._interval(values["pace"])
            self.next_due = time.monotonic()

    def edit(self, args: dict[str, Any]) -> None:
        """Set one weight or bias live, then show it; an edit that does not fit the network is ignored."""
        try:
            if args.get("kind") == "bias":
                self.trainer.set_bias(args["layer"], args["node"], args["value"])
            else:
                self.trainer.set_weight(args["layer"], args["source"], args["target"], args["value"])
        except Exception as exc:  # an index outside this network: the run goes on unchanged
            log.warning("run %s: edit %s ignored (%s)", self.id, args, exc)
            return
        self.send_frame(exact=True)

    def view(self, args: dict[str, Any]) -> None:
        """A stream opened or closed: what it wants (app/runner/viewers.py)."""
        self.viewers.update(args)

    def regenerate(self, args: dict[str, Any]) -> None:
        """New data from another seed; the network and epoch counter stay (TF Playground's Regenerate)."""
        self.trainer.regenerate(int(args["seed"]))
        self.send_frame(exact=True)

    def finish(self, reason: str) -> float:
        """Last frame (if any epoch is unseen), then done; the model goes back to the cache."""
        cost = self.send_frame(exact=True) if self.unsent else 0.0
        summary = self.trainer.summary()
        self.emit("done", {**summary, "reason": reason})
        self._end()
        return cost

    def fail_diverged(self) -> float:
        """The learner sees the broken boundary, then an error that says what to change."""
        cost = self.send_frame(exact=True)
        lr = self.trainer.config.learning_rate
        try:
            lr = self.trainer.learning_rate
        except AttributeError:
            pass
        exploded = getattr(getattr(self.trainer, "explosion", None), "exploded", False)
        message = diverged_message(self.trainer.epoch, lr, exploded)
        self.emit("error", {"reason": "diverged", "cause": "exploded" if exploded else "nan", "message": message,
                            "epoch": self.trainer.epoch, "learning_rate": float(lr)})
        self._end()
        return cost

    def fail(self, exc: BaseException) -> None:
        """An unexpected exception: this run ends with an error; the worker serves the others on."""
        self.ended = True
        data = {"reason": "internal", "detail": f"{type(exc).__name__}: {exc}", "epoch": self.trainer.epoch}
        self.emit("error", {**data, "message": stream_text.message(data)})
        # The compiled model is shared by the process's other runs of this shape (app/engine/compiled.py), each of
        # which loads its own state into it: this run lets go of it rather than stay its owner for good.
        try:
            self.trainer.close()
        except Exception:
            log.exception("run %s could not let go of its compiled model", self.id)

    def _end(self) -> None:
        self.ended = True
        self.trainer.close()
