"""A sweep in memory: its trials, their curves and results, and its event log (SSE with Last-Event-ID resume)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from app.config.run_config import RunConfig
from app.runner.base import Event
from app.sweeps.plan import table

CURVE_KEYS = ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy")
MAX_CURVE_POINTS = 1000  # per trial: long runs keep every 2nd, 4th... epoch


class Curve:
    """A trial's per-epoch metrics, thinned by halves so a long run stays small."""

    def __init__(self) -> None:
        self.rows: dict[str, list] = {k: [] for k in CURVE_KEYS}
        self.stride = 1
        self._seen = 0

    def extend(self, history: dict[str, list] | None) -> None:
        if not history or not history.get("epoch"):
            return
        for i in range(len(history["epoch"])):
            self._seen += 1
            if (self._seen - 1) % self.stride:
                continue
            for k in CURVE_KEYS:
                column = history.get(k)
                self.rows[k].append(column[i] if column and i < len(column) else None)
        if len(self.rows["epoch"]) > MAX_CURVE_POINTS:
            self.rows = {k: v[::2] for k, v in self.rows.items()}
            self.stride *= 2


class Trial:
    """One run of a sweep: a point (its index), a repeat (seed) and what came of it."""

    def __init__(self, index: int, point_index: int, point: dict[str, Any], config: RunConfig) -> None:
        self.index = index
        self.point_index = point_index
        self.point = point
        self.config = config.model_copy(update={"pace": "max"})
        self.seed = config.seed
        self.state = "pending"  # pending, running, done, error, cancelled
        self.run_id: str | None = None
        self.summary: dict[str, Any] | None = None
        self.message: str | None = None
        self.thumbnail: dict[str, Any] | None = None
        self.curve = Curve()
        self.epoch = 0

    @property
    def ended(self) -> bool:
        return self.state in ("done", "error", "cancelled")

    def view(self, heavy: bool = True) -> dict[str, Any]:
        """JSON of a trial; `heavy` adds the thumbnail and curves."""
        out = {"index": self.index, "point_index": self.point_index, "point": self.point, "seed": self.seed,
               "state": self.state, "run_id": self.run_id, "epoch": self.epoch, "summary": self.summary,
               "message": self.message}
        if heavy:
            out["thumbnail"] = self.thumbnail
            out["curves"] = self.curve.rows
        return out

    @classmethod
    def restore(cls, view: dict[str, Any], base: RunConfig) -> Trial:
        """An ended trial from its stored view (a finished sweep read back from the database)."""
        trial = cls(view["index"], view["point_index"], view["point"], base.model_copy(update={"seed": view["seed"]}))
        trial.state, trial.run_id, trial.epoch = view["state"], view.get("run_id"), view.get("epoch", 0)
        trial.summary, trial.message, trial.thumbnail = view.get("summary"), view.get("message"), view.get("thumbnail")
        trial.curve.rows = view.get("curves") or trial.curve.rows
        return trial


class Sweep:
    """A sweep's trials, its event log (SSE with Last-Event-ID resume) and its state."""

    def __init__(self, sweep_id: str, client: str, kind: str, params: list[str], trials: list[Trial],
                 base: dict[str, Any], lesson: str | None = None) -> None:
        self.id = sweep_id
        self.client = client
        self.kind = kind  # grid, random or lesson
        self.params = params
        self.trials = trials
        self.base = base
        self.lesson = lesson
        self.state = "running"  # running, done, cancelled
        self.created = time.time()
        self.started = time.monotonic()
        self.wall_time: float | None = None
        self.ended_at: float | None = None
        self.cancelled = threading.Event()
        self._cond = threading.Condition()
        self._events: list[Event] = []

    @property
    def ended(self) -> bool:
        return self.state != "running"

    @classmethod
    def restore(cls, view: dict[str, Any]) -> Sweep:
        """A finished sweep from its stored full view; its event log replays every trial, the table and `done`."""
        trials = [Trial.restore(t, RunConfig()) for t in view["trials"]]
        sweep = cls(view["id"], "", view["kind"], view["params"], trials, view.get("base") or {}, view.get("lesson"))
        sweep.created = view.get("created", sweep.created)
        for trial in trials:
            if trial.state in ("done", "error"):
                sweep.publish("trial", trial.view())
        sweep.publish("progress", sweep.progress())
        sweep.wall_time = view.get("wall_time")
        sweep.ended_at = time.monotonic()
        sweep.state = view["state"]
        sweep.publish("done", sweep.progress())
        return sweep

    def counts(self) -> dict[str, int]:
        states = [t.state for t in self.trials]
        return {"total": len(states), **{s: states.count(s) for s in ("pending", "running", "done", "error",
                                                                       "cancelled")}}

    def rows(self) -> list[dict[str, Any]]:
        """The results table (app.sweeps.plan.table) over finished and failed trials; cancelled ones are left out."""
        results = [(t.point_index, t.point, t.summary if t.state == "done" else None)
                   for t in self.trials if t.state in ("done", "error")]
        return table(results)

    def progress(self) -> dict[str, Any]:
        """Light view: state, counts and the table, without thumbnails or curves."""
        rows = self.rows()
        return {"id": self.id, "state": self.state, "kind": self.kind, "lesson": self.lesson, "params": self.params,
                "counts": self.counts(), "wall_time": self.wall_time, "rows": rows,
                "best": next((r["index"] for r in rows if r["best"]), None)}

    def view(self) -> dict[str, Any]:
        """Full view: progress, the shared settings and every trial with its thumbnail and curves."""
        with self._cond:
            return {**self.progress(), "created": self.created, "base": self.base,
                    "trials": [t.view() for t in self.trials]}

    def publish(self, name: str, payload: dict[str, Any]) -> None:
        with self._cond:
            self._events.append(Event(len(self._events) + 1, name, json.dumps(payload, separators=(",", ":"))))
            self._cond.notify_all()

    def changed(self, trial: Trial | None = None) -> None:
        """Tell followers: a trial ended (its full view), and the new progress."""
        if trial is not None:
            self.publish("trial", trial.view())
        self.publish("progress", self.progress())

    def follow(self, last: int, heartbeat: float) -> Iterator[Event | None]:
        """Events after `last`, live, until the sweep has ended; None marks a heartbeat tick."""
        while True:
            with self._cond:
                if len(self._events) <= last and not self.ended:
                    self._cond.wait(heartbeat)
                batch = self._events[last:]
                ended = self.ended
            for event in batch:
                last = event.id
                yield event
            if ended and last >= len(self._events):
                return
            if not batch:
                yield None

    def finish(self, state: str) -> bool:
        """End the sweep once; True for the call that ended it."""
        with self._cond:
            if self.ended:
                return False
            self.wall_time = round(time.monotonic() - self.started, 3)
            self.ended_at = time.monotonic()
            self.state = state
            self.publish("done", self.progress())  # under the lock: a follower sees the end and `done` together
            return True
