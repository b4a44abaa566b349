"""Inside a Celery worker process: warm TensorFlow once, then interleave runs with the embedded worker's loop.

Each prefork process runs the same ``Worker`` loop (app/runner/worker.py) and ``ActiveRun`` rules
(app/runner/active_run.py) as an embedded worker, in a thread, so one process interleaves up to
KP_RUNS_PER_WORKER runs. A Celery task admits one run: it waits for a free slot in its process,
hands the run to the loop and returns (Celery then offers the process the next run). Only the
pipes differ: control messages come from each run's Redis list, events go to its Redis stream.
A thread refreshes the heartbeat key of every run here each second; the web side ends a run
whose heartbeat expired (the process was killed) with an `error`.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import time
from typing import Any

import psutil

from app.runner import messages as stream_text
from app.runner import redis_state
from app.runner.base import TERMINAL_EVENTS
from app.runner.redis_state import RedisState
from app.runner.rescue import claim
from app.settings import current

log = logging.getLogger("kp.celery")
HEARTBEAT_EVERY = 1.0
# Seconds between two reads of the runs' control lists while runs train. Read every loop turn (every epoch) they
# took a fifth of a busy process's loop in Redis round trips and most of Redis' CPU (docs/performance.md); a
# pause or a slider's change 20 ms later is not seen.
CONTROL_EVERY = 0.02
BALANCE_WAIT = 0.25  # seconds a busier process holds a run back so an idler one can take the next
BALANCE_SLACK = 2  # runs a process may train past the least-loaded other one before it holds a run back
STATE: dict[str, Any] = {}  # this process: engine, cache, store, registry key, current run


def worker_timeout() -> int:
    """KP_WORKER_TIMEOUT: seconds without a heartbeat after which a run's process counts as dead."""
    return max(2, int(current().worker_timeout))


def _store() -> RedisState:
    if "store" not in STATE:
        from app.runner.base import RunnerSettings

        s = RunnerSettings.from_settings(current())
        STATE["settings"] = s
        STATE["store"] = RedisState(redis_state.connect(), s.event_buffer, s.run_max_seconds + s.keep_finished,
                               s.keep_finished)
    return STATE["store"]


def process_init() -> None:
    """A new prefork child: register it, import and warm TensorFlow, then report it ready."""
    from app.runner.spawn import give_back_free_memory, single_threaded_tensorflow, yield_to_the_web

    store = _store()
    STATE["key"] = f"{redis_state.WORKER_PREFIX}{socket.gethostname()}:{os.getpid()}"
    STATE["started"] = time.time()
    STATE["stats"] = {"ready": 0, "runs": 0, "runs_total": 0, "pid": os.getpid(), "host": socket.gethostname(),
                      "slots": STATE["settings"].runs_per_worker}
    STATE["alive"] = threading.Event()
    STATE["lock"] = threading.Lock()
    STATE["owned"] = set()  # runs this process trains (admitted by a task, until their end)
    STATE["inbox"] = queue.SimpleQueue()  # tasks hand runs to the loop through it
    STATE["loop_at"] = time.monotonic()  # the training loop's last turn (warm-up counts as one)
    threading.Thread(target=_registry_loop, args=(store,), name="kp-registry", daemon=True).start()
    yield_to_the_web()  # a web process on the same machine stays responsive (app/runner/spawn.py)
    single_threaded_tensorflow()
    from app.engine import trainer as engine

    cache = engine.ModelCache()  # one compiled model per architecture, shared by its runs
    engine.warm_up(cache)
    give_back_free_memory()  # what tracing and compiling freed (app/runner/spawn.py)
    STATE["engine"], STATE["cache"] = engine, cache
    threading.Thread(target=_serve, name="kp-loop", daemon=True).start()
    STATE["stats"]["ready"] = 1
    log.info("training process %s is warm", os.getpid())


def process_shutdown() -> None:
    """The child exits (recycled or stopped): its runs end first (up to their budget), then it leaves the registry."""
    if "key" in STATE:
        STATE["stats"]["ready"] = 0  # no run is balanced onto a leaving process
        wait_for_runs(STATE["settings"].run_max_seconds)
        STATE["alive"].set()
        try:
            _store().r.delete(STATE["key"])
        except Exception:  # the process is going anyway
            pass


def _registry_loop(store: RedisState) -> None:
    """Every second: this process in the registry (for /healthz), and the current run's heartbeat."""
    me = psutil.Process()
    ttl = worker_timeout()
    while not STATE["alive"].wait(HEARTBEAT_EVERY):
        try:
            pipe = store.r.pipeline()
            stats = {**STATE["stats"], "rss_mb": round(me.memory_info().rss / 2**20, 1),
                     "uptime": round(time.time() - STATE["started"], 1)}
            pipe.hset(STATE["key"], mapping={k: str(v) for k, v in stats.items()})
            pipe.expire(STATE["key"], ttl)
            if time.monotonic() - STATE["loop_at"] < STATE["settings"].stall_timeout:  # a wedged loop: no beat
                for run_id in list(STATE["owned"]):
                    pipe.set(redis_state.hb_key(run_id), os.getpid(), ex=ttl)
            pipe.execute()
        except Exception:
            log.exception("registry update failed")


class ProcessControl:
    """The worker loop's control pipe: runs handed over by tasks (in-process), controls from Redis lists."""

    def __init__(self, store: RedisState, inbox: queue.SimpleQueue) -> None:
        self.r = store.r
        self.inbox = inbox
        self.started: set[str] = set()  # runs whose start the loop has been given: only theirs are polled
        self.pending: list[tuple] = []
        self.swept_at = 0.0  # when the runs' control lists were last read

    def _from_inbox(self, timeout: float) -> bool:
        """A run handed over by a task, waiting up to `timeout` s for one."""
        try:
            message = self.inbox.get(timeout=timeout) if timeout > 0 else self.inbox.get_nowait()
        except queue.Empty:
            return False
        self.started.add(message[1])
        self.pending.append(message)
        return True

    def poll(self, timeout: float = 0.0) -> bool:
        STATE["loop_at"] = time.monotonic()  # the loop polls every turn: its runs' heartbeats go on
        if self.pending or self._from_inbox(0):
            return True
        if not self.started:
            return self._from_inbox(timeout)
        now = time.monotonic()
        if now - self.swept_at < CONTROL_EVERY:  # controls were read moments ago: new runs only
            return self._from_inbox(min(timeout, self.swept_at + CONTROL_EVERY - now))
        self.swept_at = now
        keys = [redis_state.ctrl_key(run_id) for run_id in self.started]
        if timeout <= 0.001:
            pipe = self.r.pipeline(transaction=False)
            for key in keys:
                pipe.lpop(key)
            items = [(key, raw) for key, raw in zip(keys, pipe.execute(), strict=True) if raw is not None]
        else:
            item = self.r.blpop(keys, timeout=timeout)
            items = [item] if item else []
        for key, raw in items:
            action, args = json.loads(raw)
            self.pending.append(("control", key[len("kp:run:"):-len(":ctrl")], action, args))
        return bool(self.pending)

    def recv(self) -> tuple:
        if not self.pending and not self.poll(0):
            raise EOFError("no message")
        return self.pending.pop(0)

    def ended(self, run_id: str) -> None:
        self.started.discard(run_id)


class RedisEvents:
    """The worker loop's output pipe: events to each run's stream, figures to the registry."""

    def __init__(self, store: RedisState, control: ProcessControl) -> None:
        self.store = store
        self.control = control
        self.refused: set[str] = set()  # runs ended elsewhere (by a web monitor, or forgotten by Redis)

    def send(self, message: tuple) -> None:
        kind = message[0]
        if kind == "event":
            _, run_id, name, data, meta = message
            added = self.store.add(run_id, name, data, meta)
            if added is None and name not in TERMINAL_EVENTS and run_id not in self.refused:
                self.refused.add(run_id)  # nobody reads it any more: stop training it, free the slot
                self.control.pending.append(("control", run_id, "stop", {}))
            if name in TERMINAL_EVENTS:
                self.refused.discard(run_id)
                self.control.ended(run_id)
                _release(run_id)
        elif kind == "stats":
            STATE["stats"].update({k: message[1][k] for k in ("busy", "epochs_per_s", "frame_ms", "compiled",
                                                               "epoch_ms", "slots") if k in message[1]})


def _serve() -> None:
    """The process's training loop (a thread): the embedded worker's loop over Redis pipes."""
    from app.runner.worker import Worker

    store, s = STATE["store"], STATE["settings"]
    while True:
        control = ProcessControl(store, STATE["inbox"])
        worker = Worker(0, control, RedisEvents(store, control), STATE["cache"], STATE["engine"],
                        {"max_fps": s.max_fps, "budget": s.run_max_seconds, "slots": s.runs_per_worker,
                         "measured_slots": s.measured_slots})
        try:
            worker.serve()
            return
        except Exception:  # Redis went away mid-call, or a bug: end this process's runs, serve again
            log.exception("the training loop failed; its runs end with an error")
            time.sleep(1.0)
            for run_id in list(STATE["owned"]):
                with STATE["lock"]:
                    STATE["owned"].discard(run_id)  # no more heartbeats: the web side ends it if we cannot
                try:
                    store.add_json(run_id, "error", stream_text.error("connection", epoch=0))
                    _release(run_id)
                except Exception:
                    log.exception("run %s: could not report the failure", run_id)


def _release(run_id: str) -> None:
    """A run here ended: free its slot, drop its heartbeat and control list."""
    with STATE["lock"]:
        STATE["owned"].discard(run_id)
        STATE["stats"]["runs"] = runs = len(STATE["owned"])
    pipe = STATE["store"].r.pipeline()
    pipe.delete(redis_state.hb_key(run_id), redis_state.ctrl_key(run_id))
    pipe.hset(STATE["key"], "runs", runs)  # at once, not at the next registry beat: the web admits by it
    pipe.execute()


def _least_other_load(r: Any) -> int | None:
    """The fewest runs any other ready process of this cohort trains (None when there is none)."""
    loads = []
    for key in r.scan_iter(match=f"{redis_state.WORKER_PREFIX}*", count=500):
        if key != STATE["key"]:
            info = r.hmget(key, "ready", "runs")
            if info[0] == "1":
                loads.append(int(info[1] or 0))
    return min(loads, default=None)


def _balanced(load: int, other: int | None) -> bool:
    """This process may take one more run: it trains at most BALANCE_SLACK more than the least-loaded other one.

    Celery hands tasks to whichever child is idle, roughly in turn, and runs end unevenly. Holding a run back at
    the first run of difference made every second admission of a class's opening burst wait (~0.2 s each) and a
    steady class's runs wait 0.05-0.3 s; two runs of slack on ~15 cost no run its pace (a process keeps its
    runs at the full default pace up to its measured slots), while a process handed run after run still leaves
    them to an idler one.
    """
    return other is None or load <= other + BALANCE_SLACK


def train(run_id: str, config: dict[str, Any], options: dict[str, Any]) -> None:
    """Admit one run to this process's loop (a task of app.runner.celery_app); returns once it is handed over.

    A full process waits for a slot. A process busier than the least-loaded other one (`_balanced`) waits up to
    BALANCE_WAIT first: Celery hands tasks to idle processes, so meanwhile new runs go elsewhere.
    """
    store = _store()
    r = store.r
    waited_from = time.monotonic()
    while True:
        state = r.hget(redis_state.run_key(run_id), "state")
        if state != "queued":
            if state in ("done", "error", None):
                r.lrem(redis_state.QUEUE, 0, run_id)
                store.announce_positions()
            return  # stopped while queued, forgotten, or taken by another process (a re-sent or re-delivered task)
        load = len(STATE["owned"])
        if load < int(STATE["stats"]["slots"]) and (  # the loop's measured slots (app/runner/slots.py)
                time.monotonic() - waited_from > BALANCE_WAIT or _balanced(load, _least_other_load(r))):
            break
        time.sleep(0.05)
    worker = STATE["key"][len(redis_state.WORKER_PREFIX):]
    if not claim(store, run_id, worker, os.getpid(), worker_timeout()):
        return  # another process took it meanwhile: one run is never trained twice
    with STATE["lock"]:
        STATE["owned"].add(run_id)
        STATE["stats"]["runs"] = runs = len(STATE["owned"])
        STATE["stats"]["runs_total"] = int(STATE["stats"].get("runs_total", 0)) + 1
    r.hset(STATE["key"], "runs", runs)
    STATE["inbox"].put(("start", run_id, config, {"weights": options.get("weights"),
                                                  "paused": bool(options.get("paused")),
                                                  "steps": int(options.get("steps") or 0)}))
    store.announce_positions()


def wait_for_runs(timeout: float) -> None:
    """Before this process exits (recycled after its N tasks): let its runs end, up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while STATE.get("owned") and time.monotonic() < deadline:
        time.sleep(0.2)
