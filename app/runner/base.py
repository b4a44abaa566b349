"""The runner interface: what the web layer may ask of a training backend (embedded pool or Celery).

The web layer (app/api.py, app/streaming.py) talks only to this interface, so a
backend can change without touching a route, and no route ever imports TensorFlow.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from app.config.live import LIVE_FIELDS
from app.config.run_config import RunConfig
from app.settings import Settings, load

__all__ = ["ACTIONS", "LIVE_FIELDS", "TERMINAL_EVENTS", "Event", "RunFull", "Runner", "RunnerSettings", "UnknownRun"]

ACTIONS = ("pause", "resume", "step", "stop", "set", "edit", "regenerate")
TERMINAL_EVENTS = ("done", "error")


class Event(NamedTuple):
    """One server-sent event of a run: an increasing id, a name and its JSON text."""

    id: int
    name: str
    data: str


class RunFull(Exception):
    """Every worker slot and the queue are taken; ``retry_after`` is a hint in seconds."""

    def __init__(self, retry_after: int, message: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnknownRun(LookupError):
    """No run has this id (never existed, or ended long ago and was forgotten)."""

    def __init__(self, run_id: str) -> None:
        super().__init__(run_id)
        self.run_id = run_id


@dataclass(frozen=True)
class RunnerSettings:
    """Limits of the runner; each is a field of app/settings.py (the KP_* variable in the comment)."""

    workers: int = os.cpu_count() or 1  # KP_WORKERS: training worker processes
    runs_per_worker: int = 32  # KP_RUNS_PER_WORKER: the most runs one worker interleaves (app/runner/slots.py)
    measured_slots: bool = True  # KP_MEASURED_SLOTS: fewer runs when the measured cost says so (false: fixed)
    queue_size: int = 16  # KP_QUEUE_SIZE: runs that may wait for a slot before 429
    run_max_seconds: float = 900.0  # KP_RUN_MAX_SECONDS: wall-time budget of a run
    worker_max_runs: int = 1000  # KP_WORKER_MAX_RUNS: runs before a worker is recycled
    retry_after: int = 5  # KP_RETRY_AFTER: seconds suggested with a 429
    disconnect_grace: float = 3.0  # KP_DISCONNECT_GRACE: a closed stream not reopened by then stops its run
    connect_timeout: float = 30.0  # KP_CONNECT_TIMEOUT: a run nobody streams by then is stopped
    max_fps: float = 25.0  # KP_MAX_FPS: frames per second per run at most
    event_buffer: int = 500  # KP_EVENT_BUFFER: events kept per run for Last-Event-ID resume
    heartbeat: float = 2.0  # KP_HEARTBEAT: seconds between ": hb" comments
    keep_finished: float = 600.0  # KP_KEEP_FINISHED: seconds an ended run stays readable
    startup_timeout: float = 180.0  # KP_STARTUP_TIMEOUT: a worker not warm by then is replaced
    queue_stall: float = 10.0  # KP_QUEUE_STALL: a run waiting this long while slots are free is re-sent, then ended
    stall_timeout: float = 60.0  # KP_STALL_TIMEOUT: a training process silent this long is dead (docs/scale-out.md)

    @classmethod
    def from_settings(cls, settings: Settings) -> RunnerSettings:
        """The runner's share of the service settings (app/settings.py)."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> RunnerSettings:
        """Settings from the environment overridden by KP_* keys of `values`; a bad value names its variable."""
        return cls.from_settings(load(values))


class Runner(ABC):
    """Runs training for the web layer: submit, control, stream, inspect, shut down."""

    settings: RunnerSettings

    @abstractmethod
    def submit(self, config: RunConfig, weights: list[dict[str, Any]] | None = None,
               start: str = "running") -> dict[str, Any]:
        """Start (or queue) a run, optionally from given weights; {"id", "state"}; RunFull when there is no room.

        `start` is "running", "paused" or "step" (paused after exactly one epoch): a pause sent after
        creation races the first epochs of a fast run, so the page's step button asks at creation.
        """

    @abstractmethod
    def control(self, run_id: str, action: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        """One of ACTIONS (args validated by the caller); {"id", "state"}; takes effect within 100 ms."""

    @abstractmethod
    def events(self, run_id: str, last_event_id: int | None = None) -> Iterator[Event | None]:
        """The run's events after ``last_event_id``, live, until done or error; None marks a heartbeat tick.

        Consuming it counts as a connected learner; closing it (generator close) as one gone away.
        """

    @abstractmethod
    def status(self, run_id: str) -> dict[str, Any]:
        """{"id", "state", "epoch", "config", "summary", ...} of a run (summary without weights)."""

    @abstractmethod
    def result(self, run_id: str) -> dict[str, Any] | None:
        """The done summary with full weights (for saving and export), or None before the end."""

    def landscape(self, run_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """The loss landscape of a paused or ended run (app/engine/landscape.py); this backend cannot (503)."""
        from app.config.text import lazy_gettext
        from app.engine.landscape_plan import LandscapeUnavailable

        raise LandscapeUnavailable(503, lazy_gettext(
            "the loss landscape is computed on the embedded backend only; this server trains on Celery workers"))
    def initial_weights(self, run_id: str) -> list[dict[str, Any]] | None:
        """The encoded weights a run started from (for `init_from`), None before it started; UnknownRun if unknown."""
        raise UnknownRun(run_id)

    @abstractmethod
    def health(self) -> dict[str, Any]:
        """Workers and run counts for /healthz."""

    @abstractmethod
    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop every run (done: stopped) and every worker process; idempotent."""
