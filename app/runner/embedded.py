"""The embedded runner: a pool of warm worker processes inside the web process, no external service.

Admission: a run goes to the least-loaded worker with a free slot (KP_RUNS_PER_WORKER), else
waits in a short queue (KP_QUEUE_SIZE) whose position it hears as `queued` events, else
RunFull (429). A dispatcher thread forwards worker output into per-run buffers; a monitor
thread stops abandoned runs, recycles worn workers and replaces dead ones.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

from app.config.run_config import RunConfig
from app.config.text import gettext
from app.runner.base import Event, RunFull, Runner, RunnerSettings, UnknownRun
from app.runner.landscape_client import LandscapeRequests
from app.runner.messages import lost_event
from app.runner.pool import WorkerHandle
from app.runner.records import FRAMES, RunRecord
from app.runner.supervise import STOPPED, Supervision

log = logging.getLogger(__name__)
NEXT_STATE = {"pause": "paused", "step": "paused", "resume": "running", "stop": "done"}


class EmbeddedRunner(LandscapeRequests, Supervision, Runner):
    """Runs on a pool of spawned worker processes; see the module docstring."""

    def __init__(self, settings: RunnerSettings | None = None) -> None:
        self.settings = settings or RunnerSettings()
        self._lock = threading.RLock()
        self._runs: dict[str, RunRecord] = {}
        self._queue: deque[RunRecord] = deque()
        self._workers: dict[int, WorkerHandle] = {}
        self._next_wid = 0
        self._spawn_after = 0.0
        self._completed = 0
        self._closing = False
        self._stopped = threading.Event()  # the threads end
        self._shut = threading.Event()  # shutdown() has finished
        with self._lock:
            self._ensure_workers()
        self._threads = [
            threading.Thread(target=self._dispatch_loop, name="kp-dispatch", daemon=True),
            threading.Thread(target=self._monitor_loop, name="kp-monitor", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------------ the Runner interface

    def submit(self, config: RunConfig, weights: list[dict[str, Any]] | None = None,
               start: str = "running") -> dict[str, Any]:
        s = self.settings
        with self._lock:
            if self._closing:
                raise RunFull(s.retry_after, gettext("The server is restarting; try again in a few seconds."))
            worker = None if self._queue else self._pick()
            if worker is None and len(self._queue) >= s.queue_size:
                raise RunFull(s.retry_after, gettext(
                    "All %(slots)s training slots are busy and the queue is full; try again in %(seconds)s s.",
                    slots=self._capacity(), seconds=s.retry_after))
            record = RunRecord(secrets.token_urlsafe(9), config, s.event_buffer, weights)
            record.paused, record.steps = start != "running", int(start == "step")
            self._runs[record.id] = record
            if worker is not None:
                self._assign(record, worker)
            else:
                self._queue.append(record)
                self._announce_positions()
            return {"id": record.id, "state": record.state}

    def control(self, run_id: str, action: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        record = self._get(run_id)
        args = args or {}
        with self._lock:
            if record.ended:
                return {"id": run_id, "state": record.state}
            if action == "set":
                record.config = record.config.model_copy(update=args)
            if action == "view":  # kept for the start, or a restart on another worker
                record.views[str(args.get("viewer"))] = args
                if args.get("gone"):
                    del record.views[str(args.get("viewer"))]
            if record.worker is None:  # still queued: remember it for the start
                if action == "stop":
                    self._stop_queued(record)
                elif action in ("pause", "step", "resume"):
                    record.paused = action != "resume"
                    record.steps = record.steps + 1 if action == "step" else 0 if action == "resume" else record.steps
                return {"id": run_id, "state": record.state}
            if action == "stop":
                record.stop_requested = True
            worker = self._workers.get(record.worker)
            if worker is not None:
                worker.send(("control", run_id, action, args))
            return {"id": run_id, "state": NEXT_STATE.get(action, record.state)}

    def events(self, run_id: str, last_event_id: int | None = None) -> Iterator[Event | None]:
        try:
            record = self._get(run_id)
        except UnknownRun:
            if not last_event_id:
                raise
            return iter([lost_event(last_event_id)])  # a reconnect after a restart: the learner hears what to do
        return self._follow(record, last_event_id or 0)

    def _follow(self, record: RunRecord, last: int) -> Iterator[Event | None]:
        record.connect()
        try:
            while True:
                batch, ended = record.wait(last, self.settings.heartbeat)
                for event in batch:
                    last = event.id
                    yield event
                if ended and last >= record.last_id:
                    return
                if not batch:
                    yield None
        finally:
            record.disconnect()

    def status(self, run_id: str) -> dict[str, Any]:
        return self._get(run_id).view()

    def result(self, run_id: str) -> dict[str, Any] | None:
        return self._get(run_id).result()

    def initial_weights(self, run_id: str) -> list[dict[str, Any]] | None:
        return self._get(run_id).initial_weights

    def health(self) -> dict[str, Any]:
        with self._lock:
            workers = [w for w in self._workers.values() if w.state != "gone"]
            return {
                "state": "stopping" if self._closing else "ok" if any(w.ready for w in workers) else "starting",
                "workers": [w.view() for w in workers],
                "runs": {
                    "active": sum(len(w.runs) for w in workers),
                    "queued": len(self._queue),
                    "completed": self._completed,
                    "capacity": self._capacity(),
                    "queue_size": self.settings.queue_size,
                },
                "frames_total": FRAMES.value,
            }

    def shutdown(self, timeout: float = 10.0) -> None:
        with self._lock:
            already = self._closing
            self._closing = True
        if already:  # another thread is shutting down (SIGTERM hook, then atexit): wait for it, unlocked
            self._shut.wait(timeout + 10)
            return
        with self._lock:
            while self._queue:
                self._stop_queued(self._queue[0])
            for worker in self._workers.values():
                if worker.state == "starting":
                    worker.process.terminate()  # still importing TensorFlow: nothing to stop cleanly
                elif worker.state != "gone":
                    worker.send(("exit",))
                    worker.state = "exiting"
        self._wait_workers_gone(timeout)
        for worker in self._snapshot():
            worker.stop_process(0)
        self._wait_workers_gone(3.0)
        self._stopped.set()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=3)
        for worker in self._snapshot():
            self._worker_lost(worker)
            self._close_handle(worker)
        with self._lock:
            for record in self._runs.values():
                record.add_json("done", {**STOPPED, "epochs": record.epoch})
        self._shut.set()

    def _wait_workers_gone(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(w.state != "gone" for w in self._snapshot()):
            self._stopped.wait(0.05)

    # ------------------------------------------------------------------ admission (the lock held)

    def _pick(self) -> WorkerHandle | None:
        """The least-loaded warm worker with a free slot; a warming one only while none is warm (start-up).

        A run given to a replacement that is still importing TensorFlow would wait its whole warm-up (over 30 s on
        a loaded 2-core machine) while a warm worker frees a slot in a second: it waits in the queue instead, and
        the replacement takes runs from the queue once it says it is ready (issue 25).
        """
        accepting = [w for w in self._workers.values() if w.accepting]
        warm = any(w.ready for w in accepting)
        free = [w for w in accepting if len(w.runs) < w.slots and (w.ready or not warm)]
        return min(free, key=lambda w: (not w.ready, len(w.runs), w.id), default=None)

    def _capacity(self) -> int:
        """Runs the accepting workers take at once now (their measured slots)."""
        return sum(w.slots for w in self._workers.values() if w.accepting)

    def _assign(self, record: RunRecord, worker: WorkerHandle) -> None:
        record.worker, record.position, record.state = worker.id, None, "starting"
        record.admitted = time.monotonic()
        worker.runs.add(record.id)
        worker.runs_total += 1
        options = {"paused": record.paused, "steps": record.steps, "weights": record.weights,
                   "views": list(record.views.values())}
        worker.send(("start", record.id, record.config.model_dump(mode="json"), options))
        # The weights stay with the record until the run has started: a worker lost before may need them again.
        if worker.runs_total >= self.settings.worker_max_runs:
            worker.state = "draining"  # no new runs; replaced now, retired when its runs end
            self._ensure_workers()

    def _admit(self) -> None:
        while self._queue and (worker := self._pick()) is not None:
            self._assign(self._queue.popleft(), worker)
        self._announce_positions()

    def _announce_positions(self) -> None:
        for i, record in enumerate(self._queue, start=1):
            if record.position != i:
                record.position = i
                record.add_json("queued", {"position": i})

    def _stop_queued(self, record: RunRecord) -> None:
        with suppress(ValueError):
            self._queue.remove(record)
        record.stop_requested = True
        record.add_json("done", STOPPED)
        self._announce_positions()

    def _ensure_workers(self) -> None:
        """Start workers until KP_WORKERS of them accept runs (draining ones do not count)."""
        if self._closing or time.monotonic() < self._spawn_after:
            return
        while sum(w.accepting for w in self._workers.values()) < self.settings.workers:
            worker = WorkerHandle(self._next_wid, self.settings)
            self._workers[worker.id] = worker
            self._next_wid += 1
            log.info("started training worker %s (pid %s)", worker.id, worker.pid)

    def _retire_idle(self) -> None:
        for worker in self._workers.values():
            if worker.state == "draining" and not worker.runs:
                worker.send(("exit",))
                worker.state = "exiting"

    # ------------------------------------------------------------------ threads

    def _snapshot(self) -> list[WorkerHandle]:
        with self._lock:
            return list(self._workers.values())

    def _get(self, run_id: str) -> RunRecord:
        with self._lock:
            record = self._runs.get(run_id)
        if record is None:
            raise UnknownRun(run_id)
        return record
