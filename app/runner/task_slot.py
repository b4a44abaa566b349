"""One task process of the pool (app/runner/tasks.py) and the web-side thread that feeds, times and replaces it.

Also the pool's errors: every way a task can end without a result has its own class, so the
web layer can answer each with its status (busy: 503 + Retry-After, timeout: 504).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.runner.spawn import SPAWN, stop_process
from app.runner.task_worker import main as task_main

if TYPE_CHECKING:
    from app.runner.tasks import TaskPool

log = logging.getLogger(__name__)
BACKOFF = 5.0  # seconds before starting again a process that failed to start


class TaskError(RuntimeError):
    """A task did not give a result; subclasses say why."""


class TaskBusy(TaskError):
    """Every task process is busy and the queue is full (or the wait for one ran out)."""

    def __init__(self, retry_after: int, message: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TaskTimeout(TaskError):
    """The task ran past its time limit; its process was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the task ran past its limit of {seconds:g} s and was stopped")
        self.seconds = seconds


class TaskFailed(TaskError):
    """The task raised, or its process died under it."""


@dataclass(order=True)
class Task:
    """A queued call: the lowest priority number first, then the oldest."""

    priority: int
    seq: int
    fn: Callable[..., Any] = field(compare=False)
    args: tuple = field(compare=False)
    timeout: float = field(compare=False)
    bounded: bool = field(compare=False)
    future: Future = field(compare=False, default_factory=Future)


class Slot:
    """One task process and the web-side thread that feeds it, times it and replaces it."""

    def __init__(self, pool: TaskPool, index: int) -> None:
        self.pool = pool
        self.index = index
        self.process: Any = None
        self.inbox: Any = None
        self.outbox: Any = None
        self.done = 0  # tasks run by the current process
        self.ready = False  # a warm process is waiting for (or running) tasks
        self.thread = threading.Thread(target=self._loop, name=f"kp-task-{index}", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.pool.closing:
            if (self.process is None or not self.process.is_alive()) and not self._start():
                with self.pool._cond:
                    self.pool._cond.wait(BACKOFF)
                continue
            task = self.pool._take()
            if task is None:
                break
            self._run(task)
            if self.done >= self.pool.settings.max_tasks:
                self._retire()  # the next turn of the loop starts a fresh, warm one before taking a task
        self._retire()

    def _start(self) -> bool:
        """Spawn a process and wait until it is warm."""
        self._retire()
        inbox_recv, self.inbox = SPAWN.Pipe(duplex=False)
        self.outbox, outbox_send = SPAWN.Pipe(duplex=False)
        self.process = SPAWN.Process(target=task_main, args=(inbox_recv, outbox_send, self.pool.warm),
                                     name=f"kp-task-{self.index}", daemon=True)
        self.process.start()
        inbox_recv.close()  # only the child holds these ends now: its exit is our EOF
        outbox_send.close()
        self.done = 0
        deadline = time.monotonic() + self.pool.settings.startup_timeout
        try:
            while not self.pool.closing and time.monotonic() < deadline:
                if self.outbox.poll(0.2):
                    self.ready = self.outbox.recv()[0] == "ready"
                    return self.ready
        except (EOFError, OSError):
            pass
        if not self.pool.closing:
            log.warning("task process %s did not start", self.index)
        self._retire(kill=True)
        return False

    def _run(self, task: Task) -> None:
        try:
            self.inbox.send((task.fn, task.args))
        except Exception as exc:  # unpicklable arguments, or a broken pipe
            self._retire(kill=True)
            task.future.set_exception(TaskFailed(f"could not hand the task over: {type(exc).__name__}: {exc}"))
            return
        deadline = time.monotonic() + task.timeout
        try:
            while not self.outbox.poll(min(max(deadline - time.monotonic(), 0.0), 0.5)):
                if self.pool.closing or time.monotonic() >= deadline:
                    self._retire(kill=True)
                    error = TaskTimeout(task.timeout) if not self.pool.closing else TaskBusy(
                        self.pool.settings.retry_after, "the server is restarting")
                    task.future.set_exception(error)
                    return
            kind, value = self.outbox.recv()
        except (EOFError, OSError):
            self._retire(kill=True)
            task.future.set_exception(TaskFailed("the task process stopped (out of memory?)"))
            return
        self.done += 1
        if kind == "ok":
            task.future.set_result(value)
        else:
            task.future.set_exception(TaskFailed(value))

    def _retire(self, kill: bool = False) -> None:
        """End the current process: ask it to exit (or kill it when it is stuck), then close the pipes."""
        self.ready = False
        if self.process is None:
            return
        if kill:
            self.process.kill()
            self.process.join(5)
        else:
            try:
                self.inbox.send(None)
            except (OSError, ValueError):
                pass
            stop_process(self.process, 5, f"task process {self.index}")
        self.inbox.close()
        self.outbox.close()
        self.process = None
