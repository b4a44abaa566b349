"""A handle on one training worker process: spawn it, talk to it, know its state.

Each worker gets two one-way pipes of its own (no shared queue), so a worker killed
mid-write can corrupt nothing but its own pipe, and its death shows as EOF there.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from app.runner.base import RunnerSettings
from app.runner.spawn import SPAWN, stop_process
from app.runner.worker import main as worker_main  # imports no TensorFlow

log = logging.getLogger(__name__)


class WorkerHandle:
    """The web side of one worker: process, pipes, a sender thread, its runs and figures."""

    def __init__(self, wid: int, settings: RunnerSettings) -> None:
        self.id = wid
        self.state = "starting"  # starting, ready, draining, exiting, gone
        self.ready = False  # warm: TensorFlow imported, common architectures compiled
        self.dead_since: float | None = None
        self.last_seen = time.monotonic()  # its last message: a warm loop reports every second
        self.runs: set[str] = set()
        self.runs_total = 0
        self.started = time.monotonic()
        self.stats: dict[str, Any] = {}
        ctrl_recv, self._ctrl = SPAWN.Pipe(duplex=False)  # web -> worker
        self.out, out_send = SPAWN.Pipe(duplex=False)  # worker -> web
        self.most_runs = settings.runs_per_worker
        options = {"max_fps": settings.max_fps, "budget": settings.run_max_seconds, "slots": settings.runs_per_worker,
                   "measured_slots": settings.measured_slots}
        self.process = SPAWN.Process(
            target=worker_main, args=(wid, ctrl_recv, out_send, options), name=f"kp-worker-{wid}", daemon=True
        )
        self.process.start()
        ctrl_recv.close()  # only the worker holds these ends now: its exit is our EOF
        out_send.close()
        self.pid = self.process.pid
        self._outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send_loop, name=f"kp-send-{wid}", daemon=True)
        self._sender.start()

    @property
    def accepting(self) -> bool:
        """May take new runs (warming workers too: the run starts once warm)."""
        return self.state in ("starting", "ready")

    def send(self, message: tuple) -> None:
        """Queue a message for the worker; never blocks the caller."""
        self._outbox.put(message)

    def _send_loop(self) -> None:
        while (message := self._outbox.get()) is not None:
            try:
                self._ctrl.send(message)
            except (OSError, ValueError):
                break  # the worker is gone; the dispatcher sees its EOF
        self._ctrl.close()

    def close(self) -> None:
        """Stop the sender thread and close the pipes (after the process ended)."""
        self._outbox.put(None)
        self._sender.join(timeout=2)
        self.out.close()

    def stop_process(self, timeout: float) -> None:
        """Wait for the process to exit, then terminate, then kill it."""
        stop_process(self.process, timeout, f"worker {self.id}")

    @property
    def slots(self) -> int:
        """Runs it takes at once: what its loop measures it can keep at half the default pace or better
        (app/runner/slots.py), never more than KP_RUNS_PER_WORKER; that number until its first measurement."""
        measured = self.stats.get("slots")
        return min(self.most_runs, int(measured)) if measured else self.most_runs

    def view(self) -> dict[str, Any]:
        """This worker in /healthz (rss_mb, busy, epochs_per_s... as the worker last reported)."""
        return {
            "index": self.id,
            "pid": self.pid,
            "state": self.state,
            "ready": self.ready,
            "draining": self.state in ("draining", "exiting"),
            "runs": len(self.runs),
            "runs_total": self.runs_total,
            "uptime": round(time.monotonic() - self.started, 1),
            **self.stats,
        }
