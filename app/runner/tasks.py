"""One way to run TensorFlow work off the web process: a small pool of warm, spawned task processes.

Used by the lab's folds and the `.keras` export (the live runs have their own paced workers,
pool.py + worker.py, which share spawn.py with it). Bounded everywhere: KP_TASK_WORKERS
processes at most, KP_TASK_QUEUE waiting tasks at most (then TaskBusy: 503 + Retry-After), a
run-time limit per task (a process past it is killed: TaskTimeout), and a process is replaced
after KP_TASK_RECYCLE tasks because Keras grows with every model built. Lower priority numbers
run first, so a download never waits behind a queue of lab folds.
"""

from __future__ import annotations

import atexit
import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from app.runner.task_slot import Slot, Task, TaskBusy, TaskError, TaskFailed, TaskTimeout
from app.runner.task_worker import warm_tensorflow

__all__ = ["TaskBusy", "TaskError", "TaskFailed", "TaskPool", "TaskSettings", "TaskTimeout", "shared", "use"]
GRACE = 5.0  # seconds a caller waits past a task's limit for the pool's verdict


@dataclass(frozen=True)
class TaskSettings:
    """Size and limits of the pool; `from_env` reads the KP_TASK_* variables."""

    workers: int = 1
    max_queue: int = 16
    max_tasks: int = 50  # tasks per process before it is replaced
    startup_timeout: float = 180.0
    retry_after: int = 10

    @classmethod
    def from_env(cls, env: Mapping[str, Any] = os.environ) -> TaskSettings:
        """KP_TASK_WORKERS (KP_LAB_WORKERS, its former name, as a fallback), KP_TASK_QUEUE, KP_TASK_RECYCLE."""
        def number(name: str, default: int, low: int, fallback: str | None = None) -> int:
            raw = env.get(name) or (env.get(fallback) if fallback else None) or default
            try:
                value = int(raw)
            except (TypeError, ValueError):
                raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from None
            if value < low:
                raise ValueError(f"environment variable {name} must be at least {low}, got {value}")
            return value

        return cls(workers=number("KP_TASK_WORKERS", 1, 1, "KP_LAB_WORKERS"),
                   max_queue=number("KP_TASK_QUEUE", 16, 0), max_tasks=number("KP_TASK_RECYCLE", 50, 1))


class TaskPool:
    """W warm task processes, each driven by a thread of the web process; see the module docstring."""

    def __init__(self, settings: TaskSettings | None = None,
                 warm: Callable[[], None] | None = warm_tensorflow) -> None:
        self.settings = settings or TaskSettings()
        self.warm = warm
        self.closing = False
        self._cond = threading.Condition()
        self._queue: list[Task] = []
        self._seq = itertools.count()
        self._slots: list[Slot] = []
        self._idle = 0  # slots waiting for a task: a task handed to one does not wait

    def submit(self, fn: Callable[..., Any], *args: Any, timeout: float, priority: int = 1,
               bounded: bool = True) -> Future:
        """Queue fn(*args) (a module-level function) for a task process; TaskBusy if the queue is full.

        `bounded=False` is for callers that bound their own work (the lab admits KP_LAB_MAX_JOBS jobs).
        """
        task = Task(priority, next(self._seq), fn, args, timeout, bounded)
        with self._cond:
            if self.closing:
                raise TaskBusy(self.settings.retry_after, "the server is shutting down")
            if bounded and self._waiting() >= self.settings.max_queue + self._idle:
                raise TaskBusy(self.settings.retry_after, f"all {self.settings.workers} task processes are busy "
                                                          f"and {self.settings.max_queue} tasks are waiting")
            if not self._slots:  # started with the first task: a web process that never needs one spawns none
                self._slots = [Slot(self, i) for i in range(self.settings.workers)]
            heapq.heappush(self._queue, task)
            self._cond.notify()
        return task.future

    def run(self, fn: Callable[..., Any], *args: Any, timeout: float, wait: float, priority: int = 0) -> Any:
        """Submit and wait: TaskBusy if no warm process took it within `wait` s, TaskTimeout past `timeout` s of work.

        A pool still starting (TensorFlow importing) does not use up `wait`, up to the startup timeout.
        """
        future = self.submit(fn, *args, timeout=timeout, priority=priority)
        now = time.monotonic()
        give_up, cold_limit = now + wait, now + wait + self.settings.startup_timeout
        while not future.running() and not future.done():
            now = time.monotonic()
            if not any(s.ready for s in self._slots):
                give_up = min(now + wait, cold_limit)  # the clock starts once a process is warm
            if now >= give_up:
                if future.cancel():  # still queued: give the place back
                    raise TaskBusy(self.settings.retry_after, f"no task process was free within {wait:g} s")
                break
            try:
                return future.result(min(give_up - now, 0.25))
            except FutureTimeout:
                pass
        try:
            return future.result(timeout + GRACE)
        except FutureTimeout:
            raise TaskTimeout(timeout) from None

    def _waiting(self) -> int:
        return sum(1 for t in self._queue if t.bounded and not t.future.cancelled())

    def _take(self) -> Task | None:
        """The next task to run (lowest priority number, then oldest); None when the pool closes."""
        with self._cond:
            self._idle += 1
            try:
                while not self.closing:
                    while self._queue:
                        task = heapq.heappop(self._queue)
                        if task.future.set_running_or_notify_cancel():
                            return task
                    self._cond.wait()
            finally:
                self._idle -= 1
        return None

    def pids(self) -> list[int]:
        """The task processes alive now."""
        return [s.process.pid for s in self._slots if s.process is not None and s.process.is_alive()]

    def shutdown(self, timeout: float = 10.0) -> None:
        """Refuse new tasks, answer waiting ones with TaskBusy, stop running ones and the processes."""
        with self._cond:
            self.closing = True
            waiting, self._queue = self._queue, []
            self._cond.notify_all()
        for task in waiting:
            if task.future.set_running_or_notify_cancel():
                task.future.set_exception(TaskBusy(self.settings.retry_after, "the server is restarting"))
        for slot in self._slots:
            slot.thread.join(timeout)


_shared: TaskPool | None = None
_shared_lock = threading.Lock()


def shared() -> TaskPool:
    """The web process's one task pool, built from the environment on first use."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.closing:
            _shared = TaskPool(TaskSettings.from_env())
            atexit.register(_shared.shutdown)
        return _shared


def use(pool: TaskPool | None) -> TaskPool | None:
    """Install `pool` as the shared one (tests, or a host with its own); returns the previous one."""
    global _shared
    with _shared_lock:
        previous, _shared = _shared, pool
        return previous


def shutdown_shared(timeout: float = 10.0) -> None:
    """Stop the shared pool if it was started (the app's shutdown); the next use builds a fresh one."""
    pool = use(None)
    if pool is not None:
        pool.shutdown(timeout)
