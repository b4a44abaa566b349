"""The embedded runner: W spawn-started worker processes, admission control, per-run event buffers.

Lives in the web process (no TensorFlow here). A dispatcher thread moves worker output
into run buffers; a monitor thread replaces dead or recycled workers, admits queued runs
and stops runs whose learner went away.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from app.runner import worker as worker_module
from app.runner.base import RunFull, UnknownRun

log = logging.getLogger(__name__)

BUFFER = 400  # events kept per run for Last-Event-ID resume
HEARTBEAT_S = 2.0


@dataclass
class Settings:
    """Pool settings (from KP_* environment variables, see app/settings.py)."""

    workers: int = 2
    runs_per_worker: int = 8
    queue_size: int = 16
    run_max_seconds: int = 900
    worker_max_runs: int = 200
    orphan_seconds: float = 30.0  # a run nobody ever connects to
    gone_seconds: float = 3.0  # a run whose stream closed and did not come back
    retry_after: int = 5
    keep_finished_seconds: float = 600.0


@dataclass
class Run:
    """A run as the web process sees it."""

    id: str
    config: Any
    weights: list | None = None
    state: str = "queued"
    worker: int | None = None
    epoch: int = 0
    paused: bool = False
    events: deque = field(default_factory=lambda: deque(maxlen=BUFFER))
    next_id: int = 1
    listeners: int = 0
    ever_listened: bool = False
    left_at: float | None = None
    created: float = field(default_factory=time.monotonic)
    finished_at: float | None = None
    summary: dict | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "error")


@dataclass
class WorkerHandle:
    index: int
    process: Any
    inbox: Any
    pid: int | None = None
    ready: bool = False
    draining: bool = False
    runs: set = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)


class EmbeddedRunner:
    """The Runner on this machine: a bounded pool of warm training workers."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.ctx = multiprocessing.get_context("spawn")
        self.outbox = self.ctx.Queue()
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.runs: dict[str, Run] = {}
        self.queue: deque[str] = deque()
        self.workers: dict[int, WorkerHandle] = {}
        self.next_worker = 0
        self.closed = False
        self.completed = 0
        for _ in range(self.settings.workers):
            self._spawn()
        threading.Thread(target=self._dispatch, name="kp-dispatch", daemon=True).start()
        threading.Thread(target=self._monitor, name="kp-monitor", daemon=True).start()

    # ---------------------------------------------------------------- workers
    def _spawn(self) -> None:
        index = self.next_worker
        self.next_worker += 1
        inbox = self.ctx.Queue()
        settings = {"run_max_seconds": self.settings.run_max_seconds, "worker_max_runs": self.settings.worker_max_runs}
        process = self.ctx.Process(target=worker_module.main, args=(index, inbox, self.outbox, settings),
                                   name=f"kp-worker-{index}", daemon=True)
        process.start()
        self.workers[index] = WorkerHandle(index, process, inbox, pid=process.pid)

    def _free_worker(self) -> WorkerHandle | None:
        candidates = [w for w in self.workers.values()
                      if w.ready and not w.draining and len(w.runs) < self.settings.runs_per_worker]
        return min(candidates, key=lambda w: len(w.runs), default=None)

    def _assign(self, run: Run, handle: WorkerHandle) -> None:
        run.worker = handle.index
        run.state = "paused" if run.paused else "starting"
        handle.runs.add(run.id)
        handle.inbox.put(("start", run.id, run.config.model_dump(mode="json"), run.weights, run.paused))
        run.weights = None

    def _admit_queued(self) -> None:
        """Move queued runs onto free slots and tell the others their new position (lock held)."""
        while self.queue:
            handle = self._free_worker()
            if handle is None:
                break
            run = self.runs.get(self.queue.popleft())
            if run is not None and not run.finished:
                self._assign(run, handle)
        for position, run_id in enumerate(self.queue, start=1):
            run = self.runs.get(run_id)
            if run is not None:
                self._append(run, "queued", json.dumps({"position": position}))

    # ---------------------------------------------------------------- events
    def _append(self, run: Run, name: str, data: str) -> None:
        run.events.append((run.next_id, name, data))
        run.next_id += 1
        self.changed.notify_all()

    def _finish(self, run: Run, state: str) -> None:
        run.state = state
        run.finished_at = time.monotonic()
        if run.id in self.queue:
            self.queue.remove(run.id)

    def _dispatch(self) -> None:
        while not self.closed:
            try:
                message = self.outbox.get(timeout=0.5)
            except queue.Empty:
                continue
            except (EOFError, OSError):
                return
            with self.lock:
                self._on_message(message)

    def _on_message(self, message: tuple) -> None:
        kind = message[0]
        if kind == "ready":
            _, index, pid = message
            if index in self.workers:
                self.workers[index].ready, self.workers[index].pid = True, pid
                self._admit_queued()
        elif kind == "draining":
            if message[1] in self.workers:
                self.workers[message[1]].draining = True
        elif kind == "ended":
            _, index, run_id = message
            if index in self.workers:
                self.workers[index].runs.discard(run_id)
            self.completed += 1
            self._admit_queued()
        elif kind == "event":
            _, run_id, name, data, meta = message
            run = self.runs.get(run_id)
            if run is None:
                return
            if "epoch" in meta:
                run.epoch = meta["epoch"]
            if "state" in meta:
                run.state = meta["state"]
                run.paused = meta["state"] == "paused"
            if name == "done":
                summary = json.loads(data)
                run.summary = summary
                run.epoch = summary.get("epochs", run.epoch)
                self._finish(run, "done")
            elif name == "error":
                run.summary = meta.get("summary")
                self._finish(run, "error")
            self._append(run, name, data)

    def _monitor(self) -> None:
        while not self.closed:
            time.sleep(0.25)  # a polling period, not a synchronisation
            with self.lock:
                if self.closed:
                    return
                self._check_workers()
                self._check_listeners()
                self._forget_old()

    def _check_workers(self) -> None:
        for index, handle in list(self.workers.items()):
            if handle.process.is_alive():
                continue
            lost = [self.runs[r] for r in handle.runs if r in self.runs]
            for run in lost:
                if not run.finished:
                    self._finish(run, "error")
                    self._append(run, "error", json.dumps({
                        "message": "The training worker stopped unexpectedly; this run was lost. "
                                   "Press play to start again.",
                        "reason": "worker_died"}))
            if not handle.draining or lost:
                log.warning("worker %s (pid %s) died; replacing it", index, handle.pid)
            del self.workers[index]
            self._spawn()
        self._admit_queued()

    def _check_listeners(self) -> None:
        now = time.monotonic()
        for run in self.runs.values():
            if run.finished or run.listeners:
                continue
            gone = run.ever_listened and run.left_at is not None and now - run.left_at > self.settings.gone_seconds
            orphan = not run.ever_listened and now - run.created > self.settings.orphan_seconds
            if gone or orphan:
                self._stop(run)

    def _forget_old(self) -> None:
        now = time.monotonic()
        for run_id, run in list(self.runs.items()):
            age = now - (run.finished_at or now)
            if run.finished and not run.listeners and age > self.settings.keep_finished_seconds:
                del self.runs[run_id]

    # ---------------------------------------------------------------- Runner API
    def submit(self, config: Any, weights: list | None = None) -> dict[str, Any]:
        with self.lock:
            active = sum(1 for r in self.runs.values() if not r.finished and r.id not in self.queue)
            capacity = self.settings.workers * self.settings.runs_per_worker
            if active >= capacity and len(self.queue) >= self.settings.queue_size:
                raise RunFull(self.settings.retry_after)
            run = Run(secrets.token_urlsafe(9), config, weights)
            self.runs[run.id] = run
            handle = self._free_worker() if not self.queue else None
            if handle is not None and active < capacity:
                self._assign(run, handle)
            else:
                self.queue.append(run.id)
                self._append(run, "queued", json.dumps({"position": len(self.queue)}))
            return {"id": run.id, "state": run.state}

    def _get(self, run_id: str) -> Run:
        run = self.runs.get(run_id)
        if run is None:
            raise UnknownRun(run_id)
        return run

    def _stop(self, run: Run) -> None:
        if run.finished:
            return
        if run.worker is None or run.id in self.queue:
            self._finish(run, "done")
            self._append(run, "done", json.dumps({"epochs": 0, "reason": "stopped"}))
            return
        handle = self.workers.get(run.worker)
        if handle is not None:
            handle.inbox.put(("control", run.id, "stop", {}))

    def control(self, run_id: str, action: str, args: dict | None = None) -> dict[str, Any]:
        with self.lock:
            run = self._get(run_id)
            if action == "stop":
                self._stop(run)
            elif not run.finished:
                if run.worker is None:  # still queued: remember pause/resume for its start
                    if action in ("pause", "step"):
                        run.paused = True
                    elif action == "resume":
                        run.paused = False
                else:
                    handle = self.workers.get(run.worker)
                    if handle is not None:
                        handle.inbox.put(("control", run.id, action, args or {}))
                    if action in ("pause", "step"):
                        run.state = "paused"
                    elif action == "resume":
                        run.state = "running"
            return {"id": run.id, "state": run.state}

    def events(self, run_id: str, last_event_id: int | None = None) -> Iterator[tuple[int, str, str] | None]:
        with self.lock:
            run = self._get(run_id)
            run.listeners += 1
            run.ever_listened = True
        return self._follow(run, last_event_id or 0)

    def _follow(self, run: Run, last: int) -> Iterator[tuple[int, str, str] | None]:
        try:
            while True:
                with self.lock:
                    pending = [e for e in run.events if e[0] > last]
                    if not pending:
                        if run.finished or self.closed:
                            return
                        self.changed.wait(HEARTBEAT_S)
                        pending = [e for e in run.events if e[0] > last]
                if not pending:
                    yield None
                    continue
                for item in pending:
                    last = item[0]
                    yield item
                    if item[1] in ("done", "error"):
                        return
        finally:
            with self.lock:
                run.listeners -= 1
                run.left_at = time.monotonic()

    def status(self, run_id: str) -> dict[str, Any]:
        with self.lock:
            run = self._get(run_id)
            position = list(self.queue).index(run.id) + 1 if run.id in self.queue else None
            summary = {k: v for k, v in (run.summary or {}).items() if k != "weights"} or None
            return {"id": run.id, "state": run.state, "epoch": run.epoch, "queue_position": position,
                    "config": run.config.model_dump(mode="json"), "summary": summary}

    def result(self, run_id: str) -> dict[str, Any] | None:
        """The done summary with full weights (for saving and export), or None before the end."""
        with self.lock:
            run = self._get(run_id)
            return run.summary if run.state == "done" else None

    def health(self) -> dict[str, Any]:
        import psutil

        with self.lock:
            workers = []
            for w in self.workers.values():
                try:
                    rss = round(psutil.Process(w.pid).memory_info().rss / 2**20, 1) if w.pid else None
                except psutil.Error:
                    rss = None
                workers.append({"index": w.index, "pid": w.pid, "ready": w.ready, "draining": w.draining,
                                "runs": len(w.runs), "rss_mb": rss})
            active = sum(1 for r in self.runs.values() if not r.finished and r.id not in self.queue)
            return {
                "workers": workers,
                "runs": {"active": active, "queued": len(self.queue), "completed": self.completed,
                         "capacity": self.settings.workers * self.settings.runs_per_worker,
                         "queue_size": self.settings.queue_size},
            }

    def shutdown(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
            for handle in self.workers.values():
                try:
                    handle.inbox.put(("shutdown",))
                except (OSError, ValueError):
                    pass
            self.changed.notify_all()
        deadline = time.monotonic() + 3
        for handle in self.workers.values():
            handle.process.join(max(0.1, deadline - time.monotonic()))
            if handle.process.is_alive():
                handle.process.kill()
                handle.process.join(1)
