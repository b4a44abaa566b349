"""One run as the web process sees it: its state, its buffered events, who is watching.

Workers send events as JSON text; a record numbers them, keeps the recent ones for
Last-Event-ID resume and wakes the streams waiting on it. No TensorFlow here.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from typing import Any

from app.config.run_config import RunConfig
from app.runner.base import TERMINAL_EVENTS, Event

MAX_BUFFER_BYTES = 8 * 1024 * 1024  # per run; big networks make big frames


class _Counter:
    """A thread-safe count (frames received, for /metrics)."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.value += 1


FRAMES = _Counter()


class RunRecord:
    """A run's state and event buffer; thread-safe (one lock and condition per run)."""

    def __init__(self, run_id: str, config: RunConfig, buffer: int, weights: list | None = None) -> None:
        self.id = run_id
        self.config = config
        self.weights = weights  # start from these (a saved or imported model); dropped once sent
        self.initial_weights: list | None = None  # what it started from (encoded), kept for `init_from`
        self.created = time.monotonic()
        self.state = "queued"  # queued, starting (admitted), running, paused, done, error
        self.epoch = 0  # of the last frame: what the learner has seen
        self.worker: int | None = None  # worker id once admitted
        self.admitted: float | None = None  # when it was last given to a worker
        self.resent = False  # given to a second worker after the first died before starting it
        self.position: int | None = None  # in the queue
        self.paused = False  # asked while queued: start paused
        self.steps = 0  # steps asked while queued
        self.views: dict[str, dict] = {}  # open streams' wishes (app/runner/viewers.py), for a (re)start
        self.ended_at: float | None = None
        self.stop_requested = False
        self._final: str | None = None  # done or error JSON text
        self._events: deque[Event] = deque()
        self._bytes = 0
        self._buffer = buffer
        self._next_id = 1
        self._cond = threading.Condition()
        self.connections = 0
        self.ever_connected = False
        self.idle_since = self.created  # no stream open since then

    @property
    def ended(self) -> bool:
        return self.state in ("done", "error")

    @property
    def last_id(self) -> int:
        return self._next_id - 1

    def add(self, name: str, data: str, meta: dict[str, Any] | None = None) -> Event | None:
        """Append an event (updating the state it implies) and wake the streams; ignored once ended."""
        with self._cond:
            if self.ended:
                return None
            meta = meta or {}
            if name == "started":
                self.state = "paused" if meta.get("paused") else "running"
                self.initial_weights = meta.get("initial_weights") or self.initial_weights
            elif name == "state":
                self.state = meta.get("state", self.state)
            elif name == "frame":
                self.epoch = meta.get("epoch", self.epoch)
                FRAMES.add()
            elif name in TERMINAL_EVENTS:
                self.state = name
                self._final = data
                self.ended_at = time.monotonic()
            event = Event(self._next_id, name, data)
            self._next_id += 1
            self._events.append(event)
            self._bytes += len(data)
            while len(self._events) > 1 and (len(self._events) > self._buffer or self._bytes > MAX_BUFFER_BYTES):
                self._bytes -= len(self._events.popleft().data)
            self._cond.notify_all()
            return event

    def add_json(self, name: str, payload: dict[str, Any]) -> Event | None:
        """Append an event made in the web process (queued, stopped while queued, worker died)."""
        return self.add(name, json.dumps(payload, separators=(",", ":")), payload)

    def wait(self, after: int, timeout: float) -> tuple[list[Event], bool]:
        """Events with id > after (waiting up to timeout for one), and whether the run has ended."""
        with self._cond:
            if self.last_id <= after and not self.ended:
                self._cond.wait(timeout)
            return [e for e in self._events if e.id > after], self.ended

    def connect(self) -> None:
        with self._cond:
            self.connections += 1
            self.ever_connected = True

    def disconnect(self) -> None:
        with self._cond:
            self.connections -= 1
            if self.connections == 0:
                self.idle_since = time.monotonic()

    def abandoned(self, now: float, grace: float, first_connect: float) -> bool:
        """True when nobody has watched this live run for too long (closed tab, or never opened)."""
        with self._cond:
            if self.ended or self.connections or self.stop_requested:
                return False
            limit = grace if self.ever_connected else first_connect
            return now - self.idle_since > limit

    def trim(self) -> None:
        """Drop the buffered frames of an ended run but its last events (memory of old runs)."""
        with self._cond:
            while len(self._events) > 2:
                self._bytes -= len(self._events.popleft().data)

    def view(self) -> dict[str, Any]:
        """The JSON of GET /api/runs/<id> (the summary without the weights)."""
        with self._cond:
            final = json.loads(self._final) if self._final is not None else None
            summary = {k: v for k, v in final.items() if k != "weights"} if final and self.state == "done" else None
            return {
                "id": self.id,
                "state": self.state,
                "epoch": self.epoch,
                "queue_position": self.position if self.state == "queued" else None,
                "worker": self.worker,
                "config": self.config.model_dump(mode="json"),
                "summary": summary,
                "error": final if self.state == "error" else None,
            }

    def result(self) -> dict[str, Any] | None:
        """The done event's data with the full weights, or None unless the run is done."""
        with self._cond:
            return json.loads(self._final) if self.state == "done" and self._final else None
