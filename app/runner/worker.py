"""The training worker process: warm TensorFlow, then interleave the epochs of several runs.

Started with multiprocessing's "spawn" by app/runner/pool.py. TensorFlow is imported in
main() only, after its thread counts are set, so importing this module costs the web
process nothing. One loop serves every run: it waits on the control pipe at most until
the next epoch is due (never longer than 50 ms), so a control takes effect within 100 ms.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from multiprocessing.connection import Connection
from typing import Any

from app.config.run_config import RunConfig
from app.runner import messages as stream_text
from app.runner.active_run import ActiveRun, dumps
from app.runner.base import RunnerSettings
from app.runner.compile_ahead import STOPPED_BEFORE_START, CompileAhead
from app.runner.landscape_keeper import LandscapeKeeper
from app.runner.schedule import pick_due
from app.runner.slots import FLOOR, EpochCost, slots_for
from app.runner.spawn import give_back_free_memory, single_threaded_tensorflow, yield_to_the_web
from app.share.spec import decode_weights, encode_weights

DEFAULT_PACE = float(RunConfig.model_fields["pace"].default)  # epochs/s: a slot keeps FLOOR of it
IDLE_WAIT = 0.05  # seconds: the longest a control waits for the loop
FRAME_SHARE = 0.4  # of a core spent on frames at most before they are thinned
STATS_EVERY = 1.0

log = logging.getLogger("kp.worker")


def main(wid: int, ctrl: Connection, out: Connection, options: dict[str, Any]) -> None:
    """Process entry point: warm up, report ready, serve runs until told to exit or the web goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the web process decides
    yield_to_the_web()
    single_threaded_tensorflow()
    from app.engine import trainer as engine

    cache = engine.ModelCache()  # one compiled model per architecture, shared by its runs
    engine.warm_up(cache)
    give_back_free_memory()  # what tracing and compiling freed
    Worker(wid, ctrl, out, cache, engine, options).serve()


class Worker:
    """The loop of one worker process: messages in, epochs and frames by each run's pace, events out."""

    def __init__(self, wid: int, ctrl: Connection, out: Connection, cache: Any, engine: Any,
                 options: dict[str, Any]) -> None:
        self.id = wid
        self.ctrl = ctrl
        self.out = out
        self.cache = cache
        self.engine = engine
        self.max_fps = float(options.get("max_fps", 25))
        self.budget = float(options.get("budget", 900))
        self.most_runs = int(options.get("slots", RunnerSettings.runs_per_worker))  # the most it offers to take
        self.epoch_cost = EpochCost()  # its own work per epoch, measured: the slots it offers (app/runner/slots.py)
        self.measured_slots = bool(options.get("measured_slots", True))  # KP_MEASURED_SLOTS
        self.warm = [RunConfig(**c) for c in getattr(engine, "WARM_CONFIGS", ())]
        self.runs: dict[str, ActiveRun] = {}
        self.landscapes = LandscapeKeeper()  # each run's weight path, for its loss landscape
        self.exiting = False
        self.frame_cost = 0.002  # seconds, running average
        self.busy = 0.0  # wall seconds of work in this window
        self.cpu = 0.0  # CPU seconds of this process in this window (TF computes in its own threads): slots
        self.window_start = time.monotonic()
        self.epochs = 0
        self.compiler = CompileAhead(getattr(cache, "has", lambda config: True), self._prepare, cache.adopt,
                                     getattr(engine, "architecture_key", repr))

    def send(self, message: tuple) -> None:
        self.out.send(message)

    def emit(self, run_id: str, name: str, data: str, meta: dict[str, Any]) -> None:
        self.send(("event", run_id, name, data, meta))

    # ------------------------------------------------------------------ the loop

    def serve(self) -> None:
        self.send(("ready", os.getpid()))
        while True:
            wait = self._wait_time(time.monotonic())
            try:
                if self.ctrl.poll(wait):
                    self._drain()
            except (EOFError, OSError):
                return  # the web process is gone: nobody to train for
            compiled = self.compiler.ready()
            for pending in compiled:
                self._started(pending)
            if compiled:
                give_back_free_memory()  # what the compile thread's tracing freed
            if self.exiting and not self.runs:
                self.compiler.close()
                self.send(("bye",))
                return
            start, cpu = time.monotonic(), time.process_time()
            self._check_budgets(start)
            run = self._due(start)
            if run is not None:
                self._tick(run)
            elif not self.runs and not self.exiting and not self.compiler.busy:
                self._prewarm()
            end = time.monotonic()
            self.busy += end - start
            if run is not None:  # an epoch's work; the idle-time landscape tracing is not (it skewed the slots)
                self.cpu += time.process_time() - cpu
            if end - self.window_start >= STATS_EVERY:
                self._report(end)

    def _wait_time(self, now: float) -> float:
        times = [t for t in (r.due_at() for r in self.runs.values()) if t is not None]
        if not times:
            return IDLE_WAIT
        return min(max(min(times) - now, 0.0), IDLE_WAIT)

    def _due(self, now: float) -> ActiveRun | None:
        """The run to train now (app/runner/schedule.py: a new run's first frame, then earliest deadline)."""
        return pick_due(self.runs.values(), now)

    def _frame_interval(self) -> float:
        """At most max_fps per run, fewer when frames would take more than FRAME_SHARE of the core."""
        active = sum(1 for r in self.runs.values() if not r.paused)
        return max(1.0 / self.max_fps, active * self.frame_cost / FRAME_SHARE)

    def _tick(self, run: ActiveRun) -> None:
        try:
            cost = run.tick(self._frame_interval())
            self.epochs += 1
            if cost:
                self.frame_cost = 0.9 * self.frame_cost + 0.1 * cost
        except Exception as exc:  # one run's failure must not take the others down
            log.exception("run %s failed", run.id)
            run.fail(exc)
        if run.ended:
            self.runs.pop(run.id, None)
            self.landscapes.retire(run.id)
        else:
            self.landscapes.observe(run.id)

    def _check_budgets(self, now: float) -> None:
        for run in list(self.runs.values()):
            if now >= run.deadline:
                self._guard(run, run.finish, "budget")

    def _guard(self, run: ActiveRun, fn: Any, *args: Any) -> None:
        """Call a run's method; an exception ends that run only."""
        try:
            fn(*args)
        except Exception as exc:
            log.exception("run %s failed", run.id)
            if not run.ended:
                run.fail(exc)
        if run.ended:
            self.runs.pop(run.id, None)
            self.landscapes.retire(run.id)

    # ------------------------------------------------------------------ messages

    def _drain(self) -> None:
        while True:
            message = self.ctrl.recv()
            self._handle(message)
            now = time.monotonic()
            if now - self.window_start >= STATS_EVERY:
                self._report(now)  # several new networks to compile: the web side hears this loop is alive
            if not self.ctrl.poll(0):
                return

    def _handle(self, message: tuple) -> None:
        kind = message[0]
        if kind == "start":
            self._start(*message[1:])
        elif kind == "control":
            _, run_id, action, args = message
            if action == "stop" and self.compiler.drop(run_id):
                self.emit(run_id, "done", dumps(STOPPED_BEFORE_START), {})  # no wait for its compile
                return
            if self.compiler.hold(run_id, message):
                return  # replayed once the run has started
            run = self.runs.get(run_id)
            if run is not None:
                actions = {"pause": run.pause, "resume": run.resume, "step": run.step, "set": run.set,
                           "edit": run.edit, "regenerate": run.regenerate, "view": run.view}
                if action == "stop":
                    self._guard(run, run.finish, "stopped")
                elif action in ("set", "edit", "regenerate", "view"):
                    self._guard(run, actions[action], args)
                elif action in actions:
                    self._guard(run, actions[action])
        elif kind == "landscape":  # (kind, request id, run id, params): computed here, in this loop
            _, request_id, run_id, params = message
            self.send(("reply", request_id, self.landscapes.compute(run_id, params)))
        elif kind == "exit":
            self.exiting = True
            for run_id in list(self.compiler.pending):
                self.compiler.drop(run_id)
                self.emit(run_id, "done", dumps(STOPPED_BEFORE_START), {})
            for run in list(self.runs.values()):
                self._guard(run, run.finish, "stopped")

    def _start(self, run_id: str, config_dict: dict[str, Any], opts: dict[str, Any],
               received: float | None = None) -> None:
        start = time.monotonic() if received is None else received
        trainer = None
        try:
            config = RunConfig.model_validate(config_dict)
            if received is None and self.compiler.needed(config):
                self.compiler.submit(run_id, config, config_dict, opts, start)  # the others train on meanwhile
                return
            trainer = self.engine.Trainer(config, self.cache)
            if opts.get("weights"):
                trainer.set_weights(decode_weights(opts["weights"]))  # a saved or imported model goes on
        except Exception as exc:
            if trainer is not None:
                trainer.close()  # the weights did not fit; the compiled model is fine
            log.exception("run %s could not start", run_id)
            data = {"reason": "internal", "stage": "start", "detail": f"{type(exc).__name__}: {exc}"}
            self.emit(run_id, "error", dumps({**data, "message": stream_text.message(data)}), {})
            return
        paused = bool(opts.get("paused"))
        run = ActiveRun(run_id, trainer, self.emit, self.budget, paused=paused, steps=int(opts.get("steps", 0)))
        for view in opts.get("views") or ():  # streams that opened while the run was queued
            run.view(view)
        self.runs[run_id] = run
        # The initial weights ride on the start's meta (not its JSON): the web keeps them for `init_from`.
        weights = trainer.get_weights()  # read once: the landscape's first point and the web's copy
        initial = encode_weights(weights)
        self.landscapes.begin(run_id, trainer, weights)
        run.emit("started", {"epoch": 0, "config": config_dict, "worker": self.id,
                             "setup_seconds": round(time.monotonic() - start, 3)},
                 {"paused": paused, "initial_weights": initial})
        if paused:
            run.emit("state", {"state": "paused", "epoch": 0}, {"state": "paused"})

    def _started(self, pending: Any) -> None:
        """A run whose architecture has been compiled beside the loop: start it, then its held controls."""
        self._start(pending.run_id, pending.config_dict, pending.opts, pending.received)
        for message in pending.controls:
            self._handle(message)

    def _prepare(self, config: RunConfig) -> Any:
        """Build and trace an architecture's compiled model (the compile thread): one epoch, one frame."""
        trainer = self.engine.Trainer(config, None)
        trainer.train_epoch()
        trainer.frame()
        trainer.close()
        return trainer.compiled

    # ------------------------------------------------------------------ housekeeping

    def _prewarm(self) -> None:
        """While idle, trace the landscape of the common architectures (their models are warm from the start)."""
        self.landscapes.prewarm(self.warm)

    def _report(self, now: float) -> None:
        import psutil

        elapsed = now - self.window_start
        self.epoch_cost.observe(self.cpu, self.epochs)
        cost = self.epoch_cost.seconds
        self.send(("stats", {
            "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
            "busy": round(self.busy / elapsed, 3),
            "epochs_per_s": round(self.epochs / elapsed, 1),
            "frame_ms": round(self.frame_cost * 1000, 2),
            "compiled": len(self.cache),  # architectures compiled in this process
            "slots": slots_for(cost if self.measured_slots else None, FLOOR * DEFAULT_PACE, self.most_runs),
            **({"epoch_ms": round(cost * 1000, 3)} if cost else {}),  # its work per epoch, once measured
        }))
        self.busy, self.cpu, self.epochs, self.window_start = 0.0, 0.0, 0, now
