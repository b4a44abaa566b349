"""The embedded runner's two background threads: the dispatcher and the monitor.

A mixin of EmbeddedRunner (app/runner/embedded.py), kept apart so each file reads on its
own: the runner decides admission; these threads move worker output into run buffers,
notice dead, stuck or worn workers and stop runs nobody watches.
"""

from __future__ import annotations

import logging
import time
from multiprocessing.connection import wait as wait_pipes
from typing import Any

from app.runner import messages as stream_text
from app.runner.base import TERMINAL_EVENTS
from app.runner.pool import WorkerHandle

log = logging.getLogger("app.runner.embedded")
MONITOR_EVERY = 0.2
TRIM_AFTER = 30.0  # seconds after its end, a run keeps only its last events
RESPAWN_BACKOFF = 5.0  # seconds before replacing a worker that died before it was warm
WORKER_DIED = stream_text.message({"reason": "worker_died"})
STOPPED = {"epochs": 0, "reason": "stopped", "train_loss": None, "test_loss": None, "train_accuracy": None,
           "test_accuracy": None, "elapsed": 0.0}


class Supervision:
    """Dispatcher and monitor loops; they use the EmbeddedRunner's state under its lock."""

    _lock: Any
    _runs: dict
    _workers: dict
    _stopped: Any
    _closing: bool
    _completed: int
    _spawn_after: float
    settings: Any

    def _dispatch_loop(self) -> None:
        """Forward every worker's output; EOF on a worker's pipe means it has exited."""
        while not self._stopped.is_set():
            handles = {}
            for worker in self._snapshot():
                if worker.state == "gone":
                    self._close_handle(worker)
                else:
                    handles[worker.out] = worker
            if not handles:
                self._stopped.wait(0.1)
                continue
            try:
                ready = wait_pipes(list(handles), timeout=0.2)
            except OSError:
                continue
            for conn in ready:
                worker = handles[conn]
                try:
                    for _ in range(256):  # then let the other workers' pipes have a turn
                        self._on_message(worker, conn.recv())
                        if not conn.poll():
                            break
                except (EOFError, OSError):
                    self._worker_lost(worker)
                except Exception:
                    log.exception("bad message from worker %s", worker.id)

    def _on_message(self, worker: WorkerHandle, message: tuple) -> None:
        kind = message[0]
        worker.last_seen = time.monotonic()
        if kind == "event":
            _, run_id, name, data, meta = message
            with self._lock:
                record = self._runs.get(run_id)
            if record is not None:
                record.add(name, data, meta)
                if name == "started":
                    record.weights = None  # kept until now in case its worker died before starting it
            if name in TERMINAL_EVENTS:
                with self._lock:
                    worker.runs.discard(run_id)
                    self._completed += 1
                    self._retire_idle()
                    self._admit()
        elif kind == "stats":
            worker.stats = message[1]
        elif kind == "ready":
            with self._lock:
                worker.ready = True
                if worker.state == "starting":
                    worker.state = "ready"
                self._admit()
            log.info("training worker %s (pid %s) is warm", worker.id, worker.pid)
        elif kind == "reply":
            self._on_reply(message)  # a loss landscape (app/runner/landscape_client.py)
        elif kind == "bye":
            worker.state = "exiting"

    def _worker_lost(self, worker: WorkerHandle) -> None:
        """A worker process ended: its runs get an error (done while shutting down); a new one starts."""
        with self._lock:
            if worker.state == "gone":
                return
            if worker.state != "exiting":
                log.error("training worker %s (pid %s) died with %s runs", worker.id, worker.pid, len(worker.runs))
                if not worker.ready:
                    self._spawn_after = time.monotonic() + RESPAWN_BACKOFF
            worker.state = "gone"
            requeue = []
            for run_id in worker.runs:
                record = self._runs.get(run_id)
                if record is None:
                    continue
                if self._closing:
                    record.add_json("done", {**STOPPED, "epochs": record.epoch})
                elif record.state == "starting" and not record.resent:
                    requeue.append(record)  # it never trained: another worker takes it, once
                elif record.state == "starting":
                    record.add_json("error", stream_text.error("not_started"))
                else:
                    record.add_json("error", {"reason": "worker_died", "message": WORKER_DIED, "epoch": record.epoch})
            worker.runs.clear()
            for record in reversed(requeue):  # at the head of the queue, in their order
                log.warning("run %s: its worker died before starting it; re-sending it", record.id)
                record.worker, record.state, record.resent, record.position = None, "queued", True, None
                record.admitted = None
                self._queue.appendleft(record)
            self._ensure_workers()
            self._admit()

    def _end_if_stalled(self, record: Any, now: float) -> None:
        """The last resort (the lock held): a run admitted longer ago than its budget plus KP_STALL_TIMEOUT
        (its worker should have ended it) ends with an error and leaves its worker's slots."""
        s = self.settings
        if now - record.admitted < s.run_max_seconds + s.stall_timeout:
            return
        worker = self._workers.get(record.worker)
        log.error("run %s made no progress: ending it", record.id)
        record.add_json("error", stream_text.error("stalled", seconds=round(now - record.admitted), epoch=record.epoch))
        if worker is not None:
            worker.runs.discard(record.id)
            worker.send(("control", record.id, "stop", {}))

    def _close_handle(self, worker: WorkerHandle) -> None:
        with self._lock:
            if self._workers.get(worker.id) is not worker:
                return
            del self._workers[worker.id]
        worker.stop_process(1.0)
        worker.close()

    def _monitor_loop(self) -> None:
        """Stop abandoned runs, forget old ones, retire worn workers, replace dead or stuck ones."""
        s = self.settings
        while not self._stopped.wait(MONITOR_EVERY):
            now = time.monotonic()
            with self._lock:
                for record in list(self._runs.values()):
                    if record.abandoned(now, s.disconnect_grace, s.connect_timeout):
                        log.info("run %s has no watcher: stopping it", record.id)
                        self.control(record.id, "stop")
                    elif record.ended_at is not None and now - record.ended_at > s.keep_finished:
                        del self._runs[record.id]
                    elif record.ended_at is not None and now - record.ended_at > TRIM_AFTER:
                        record.trim()
                    elif not record.ended and record.admitted is not None:
                        self._end_if_stalled(record, now)
                self._retire_idle()
                self._ensure_workers()
                self._admit()
                workers = list(self._workers.values())
            for worker in workers:
                if worker.state == "starting" and now - worker.started > s.startup_timeout:
                    log.error("training worker %s was not warm after %s s: replacing it", worker.id, s.startup_timeout)
                    worker.process.kill()  # its pipe's EOF reports the loss
                elif worker.state in ("ready", "draining") and now - worker.last_seen > s.stall_timeout:
                    log.error("training worker %s (pid %s) silent for %s s: replacing it", worker.id, worker.pid,
                              s.stall_timeout)
                    worker.process.kill()  # a wedged loop: its runs get their error through the pipe's EOF
                elif worker.state != "gone" and worker.process.exitcode is not None:
                    # Normally the pipe's EOF reports an exit first; this catches a pipe that stays open.
                    worker.dead_since = worker.dead_since or now
                    if now - worker.dead_since > 2.0:
                        self._worker_lost(worker)
