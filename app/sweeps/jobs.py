"""Sweeps in flight: their trials run through the runner's worker pool, a few at a time.

One scheduler thread starts trials while the pool has room (no learner waits in its queue and
a reserve of slots stays free), at most KP_SWEEP_SLOTS at once over every sweep, taking turns
between sweeps. Each trial is an ordinary run at pace "max" followed by a thread of its own,
which keeps the final metrics, the last boundary (the table's thumbnail) and the curves.
No TensorFlow here: everything goes through the Runner interface (app/runner/base.py). The sweep and its
trials themselves are in app/sweeps/state.py.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from app.config.run_config import RunConfig
from app.runner.base import Event, RunFull, Runner, UnknownRun
from app.settings import Settings, load
from app.sweeps.state import Sweep, Trial

log = logging.getLogger(__name__)
TRIAL_KEYS = ("epochs", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "elapsed", "reason")


@dataclass(frozen=True)
class SweepSettings:
    """Limits of sweeps; each is a field of app/settings.py (docs/sweep.md)."""

    slots: int = 0  # KP_SWEEP_SLOTS: trials running at once over all sweeps (0 = one per training worker)
    reserve: int = 0  # KP_SWEEP_RESERVE: pool slots kept free for learners' own runs (0 = a quarter)
    per_client: int = 2  # KP_SWEEPS_PER_CLIENT: unfinished sweeps one client address may have
    keep: float = 3600.0  # KP_SWEEP_KEEP: seconds a finished sweep stays readable

    @classmethod
    def from_settings(cls, settings: Settings) -> SweepSettings:
        """The sweeps' share of the service settings (app/settings.py)."""
        return cls(settings.sweep_slots, settings.sweep_reserve, settings.sweeps_per_client, settings.sweep_keep)

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> SweepSettings:
        """Settings from the environment overridden by KP_* keys of `values`; a bad value names its variable."""
        return cls.from_settings(load(values))


class SweepManager:
    """Every sweep of this web process and the scheduler that feeds their trials to the pool."""

    def __init__(self, runner: Callable[[], Runner], settings: SweepSettings | None = None,
                 archive: Callable[[Sweep], None] | None = None,
                 lookup: Callable[[str], dict[str, Any] | None] | None = None) -> None:
        """`archive` stores a sweep when it ends; `lookup` reads a stored one back (app.share.store), so a finished
        sweep outlives this process and the hour it stays in memory."""
        self._runner = runner
        self._archive = archive
        self._lookup = lookup
        self.settings = settings or SweepSettings()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._sweeps: dict[str, Sweep] = {}
        self._running: set[Trial] = set()
        self._turn = 0
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()

    # ------------------------------------------------------------------ requests

    def active_for(self, client: str) -> int:
        """Sweeps of this client still running and not being cancelled (the per-client cap counts these)."""
        with self._lock:
            return sum(1 for s in self._sweeps.values()
                       if s.client == client and not s.ended and not s.cancelled.is_set())

    def unfinished_trials(self, client: str) -> int:
        """Trials of this client's live sweeps still pending or running (the per-client trial cap counts these)."""
        with self._lock:
            return sum(1 for s in self._sweeps.values() if s.client == client and not s.ended
                       and not s.cancelled.is_set() for t in s.trials if t.state in ("pending", "running"))

    def create(self, client: str, kind: str, params: list[str], runs: list[tuple[int, dict[str, Any], RunConfig]],
               base: dict[str, Any], lesson: str | None = None) -> Sweep:
        """Register a sweep of the expanded runs; its trials start when the pool has room."""
        trials = [Trial(i, index, point, config) for i, (index, point, config) in enumerate(runs)]
        sweep = Sweep(secrets.token_urlsafe(9), client, kind, params, trials, base, lesson)
        with self._lock:
            self._sweeps[sweep.id] = sweep
            if self._thread is None:
                self._thread = threading.Thread(target=self._schedule_loop, name="kp-sweeps", daemon=True)
                self._thread.start()
        sweep.changed()
        self._wake.set()
        return sweep

    def get(self, sweep_id: str) -> Sweep | None:
        """A sweep of this process, or a finished one read back from the archive."""
        with self._lock:
            sweep = self._sweeps.get(sweep_id)
        if sweep is not None or self._lookup is None:
            return sweep
        view = self._lookup(sweep_id)
        if view is None:
            return None
        sweep = Sweep.restore(view)
        with self._lock:
            return self._sweeps.setdefault(sweep_id, sweep)

    def cancel(self, sweep: Sweep) -> None:
        """Pending trials never start; running ones are stopped now (their workers are free at once)."""
        sweep.cancelled.set()
        with self._lock:
            for trial in sweep.trials:
                if trial.state == "pending":
                    trial.state = "cancelled"
            running = [t.run_id for t in sweep.trials if t.state == "running" and t.run_id]
        runner = self._runner()
        for run_id in running:
            with suppress(UnknownRun):
                runner.control(run_id, "stop")
        self._maybe_finish(sweep)
        self._wake.set()

    # ------------------------------------------------------------------ scheduling

    def _slots(self) -> int:
        return self.settings.slots or self._runner().settings.workers

    def _pool_has_room(self) -> bool:
        """No learner waiting in the queue, and the reserve of slots still free after one more run."""
        runs = self._runner().health()["runs"]
        reserve = self.settings.reserve or max(1, runs["capacity"] // 4)
        return runs["queued"] == 0 and runs["active"] + 1 <= runs["capacity"] - reserve

    def _next_trial(self) -> Trial | None:
        """The next pending trial, the sweeps taking turns."""
        live = [s for s in self._sweeps.values() if not s.ended and not s.cancelled.is_set()]
        if not live:
            return None
        for k in range(len(live)):
            sweep = live[(self._turn + k) % len(live)]
            trial = next((t for t in sweep.trials if t.state == "pending"), None)
            if trial is not None:
                self._turn = (self._turn + k + 1) % len(live)
                return trial
        return None

    def close(self) -> None:
        """End the scheduler thread (runs already started end with the runner's shutdown)."""
        self._closed.set()
        self._wake.set()

    def _schedule_loop(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            if self._closed.is_set():
                return
            try:
                self._schedule()
            except Exception:
                log.exception("sweep scheduler")

    def _schedule(self) -> None:
        self._forget_old()
        while True:
            with self._lock:
                if len(self._running) >= self._slots():
                    return
            if not self._pool_has_room():
                return
            with self._lock:
                trial = self._next_trial()
                if trial is None:
                    return
                trial.state = "running"  # taken: cancel() now stops it rather than skipping it
                self._running.add(trial)
            sweep = self._sweep_of(trial)
            try:
                created = self._runner().submit(trial.config)
            except RunFull:
                with self._lock:
                    trial.state = "cancelled" if sweep.cancelled.is_set() else "pending"
                    self._running.discard(trial)
                self._maybe_finish(sweep)
                return  # try again on the next tick
            trial.run_id = created["id"]
            if sweep.cancelled.is_set():
                self._runner().control(trial.run_id, "stop")
            sweep.changed()
            threading.Thread(target=self._follow_trial, args=(sweep, trial), name="kp-trial", daemon=True).start()

    def _sweep_of(self, trial: Trial) -> Sweep:
        with self._lock:
            return next(s for s in self._sweeps.values() if trial in s.trials)

    def _follow_trial(self, sweep: Sweep, trial: Trial) -> None:
        """Read the trial's run to its end: curves and last boundary from frames, metrics from done."""
        runner = self._runner()
        try:
            events = runner.events(trial.run_id or "")
            try:
                for event in events:
                    if event is None:
                        continue
                    self._on_event(sweep, trial, event)
                    if trial.ended:
                        break
            finally:
                events.close()
        except UnknownRun:
            trial.state, trial.message = "error", "the run was forgotten by the server"
        except Exception as exc:  # a trial must never take the scheduler down
            log.exception("sweep %s trial %s", sweep.id, trial.index)
            trial.state, trial.message = "error", f"{type(exc).__name__}: {exc}"
        finally:
            if not trial.ended:
                trial.state = "cancelled" if sweep.cancelled.is_set() else "error"
            with self._lock:
                self._running.discard(trial)
            sweep.changed(trial)
            self._maybe_finish(sweep)
            self._wake.set()

    @staticmethod
    def _on_event(sweep: Sweep, trial: Trial, event: Event) -> None:
        if event.name not in ("frame", "done", "error"):
            return
        data = json.loads(event.data)
        if event.name == "frame":
            trial.epoch = data.get("epoch", trial.epoch)
            trial.curve.extend(data.get("history"))
            trial.thumbnail = data.get("boundary") or trial.thumbnail
        elif event.name == "done":
            trial.summary = {k: data.get(k) for k in TRIAL_KEYS}
            trial.epoch = data.get("epochs", trial.epoch)
            stopped = data.get("reason") == "stopped"
            trial.state = "cancelled" if stopped and sweep.cancelled.is_set() else "done" if not stopped else "error"
            if trial.state == "error":
                trial.message = "the server stopped this run"
        else:
            trial.state, trial.message = "error", data.get("message") or "the run failed"

    def _maybe_finish(self, sweep: Sweep) -> None:
        if all(t.ended for t in sweep.trials) and sweep.finish("cancelled" if sweep.cancelled.is_set() else "done"):
            if self._archive is not None:
                try:
                    self._archive(sweep)
                except Exception:  # the sweep stays readable in memory for its hour
                    log.exception("sweep %s could not be stored", sweep.id)

    def _forget_old(self) -> None:
        now = time.monotonic()
        with self._lock:
            for sweep_id in [k for k, s in self._sweeps.items()
                             if s.ended_at is not None and now - s.ended_at > self.settings.keep]:
                del self._sweeps[sweep_id]
