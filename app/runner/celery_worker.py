"""Inside a Celery worker process: warm TensorFlow once, then train runs with the embedded worker's loop.

A run is driven by the same ``Worker`` loop (app/runner/worker.py) and ``ActiveRun`` rules
(app/runner/slots.py) as in the embedded pool; only the two pipes are replaced: control
messages come from the run's Redis list, events go to its Redis stream. A heartbeat key,
refreshed every second by a thread, tells the web side this process is alive.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from typing import Any

import psutil

from app.runner import redis_store
from app.runner.redis_store import Store

log = logging.getLogger("kp.celery")
HEARTBEAT_EVERY = 1.0
STATE: dict[str, Any] = {}  # this process: engine, cache, store, registry key, current run


def worker_timeout() -> int:
    """KP_WORKER_TIMEOUT: seconds without a heartbeat after which a run's process counts as dead."""
    return max(2, int(float(os.environ.get("KP_WORKER_TIMEOUT") or 10)))


def _store() -> Store:
    if "store" not in STATE:
        from app.runner.base import RunnerSettings

        s = RunnerSettings.from_mapping(os.environ)
        STATE["settings"] = s
        STATE["store"] = Store(redis_store.connect(), s.event_buffer, s.run_max_seconds + s.keep_finished,
                               s.keep_finished)
    return STATE["store"]


def process_init() -> None:
    """A new prefork child: register it, import and warm TensorFlow, then report it ready."""
    from app.runner.worker import _limit_threads

    store = _store()
    STATE["key"] = f"{redis_store.WORKER_PREFIX}{socket.gethostname()}:{os.getpid()}"
    STATE["started"] = time.time()
    STATE["stats"] = {"ready": 0, "runs": 0, "runs_total": 0, "pid": os.getpid(), "host": socket.gethostname()}
    STATE["alive"] = threading.Event()
    threading.Thread(target=_registry_loop, args=(store,), name="kp-registry", daemon=True).start()
    _limit_threads()
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass
    from app import trainer as engine

    cache = engine.ModelCache(max_entries=16)
    engine.warm_up(cache)
    STATE["engine"], STATE["cache"] = engine, cache
    STATE["stats"]["ready"] = 1
    log.info("training process %s is warm", os.getpid())


def process_shutdown() -> None:
    """The child exits (recycled or stopped): leave the registry at once."""
    if "key" in STATE:
        STATE["alive"].set()
        try:
            _store().r.delete(STATE["key"])
        except Exception:  # the process is going anyway
            pass


def _registry_loop(store: Store) -> None:
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
            if STATE.get("run"):
                pipe.set(redis_store.hb_key(STATE["run"]), os.getpid(), ex=ttl)
            pipe.execute()
        except Exception:
            log.exception("registry update failed")


class RedisControl:
    """The worker loop's control pipe, read from the run's Redis list."""

    def __init__(self, store: Store, run_id: str) -> None:
        self.r = store.r
        self.run_id = run_id
        self.key = redis_store.ctrl_key(run_id)
        self.pending: list[tuple] = []

    def poll(self, timeout: float = 0.0) -> bool:
        if self.pending:
            return True
        if timeout <= 0.001:
            raw = self.r.lpop(self.key)
        else:
            item = self.r.blpop([self.key], timeout=timeout)
            raw = item[1] if item else None
        if raw is None:
            return False
        action, args = json.loads(raw)
        self.pending.append(("control", self.run_id, action, args))
        return True

    def recv(self) -> tuple:
        if not self.pending and not self.poll(0):
            raise EOFError("no control message")
        return self.pending.pop(0)


class RedisEvents:
    """The worker loop's output pipe: events to the run's stream, figures to the registry."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def send(self, message: tuple) -> None:
        kind = message[0]
        if kind == "event":
            _, run_id, name, data, meta = message
            self.store.add(run_id, name, data, meta)
        elif kind == "stats":
            STATE.setdefault("stats", {}).update({k: message[1][k] for k in ("busy", "epochs_per_s", "frame_ms")
                                                  if k in message[1]})


def train(run_id: str, config: dict[str, Any], options: dict[str, Any]) -> None:
    """One run from start to its end, in this process (a task of app.runner.celery_app)."""
    from app.runner.worker import Worker

    store = _store()
    settings = STATE["settings"]
    r = store.r
    r.lrem(redis_store.QUEUE, 0, run_id)
    if r.hget(redis_store.run_key(run_id), "state") in ("done", "error", None):
        store.announce_positions()
        return  # stopped while queued, or forgotten
    r.set(redis_store.hb_key(run_id), os.getpid(), ex=worker_timeout())
    STATE["run"] = run_id
    r.sadd(redis_store.ACTIVE, run_id)
    r.hset(redis_store.run_key(run_id), mapping={"state": "starting", "worker": STATE.get("key", "")[10:]})
    store.announce_positions()
    stats = STATE.setdefault("stats", {})
    stats["runs"], stats["runs_total"] = 1, int(stats.get("runs_total", 0)) + 1
    worker = Worker(0, RedisControl(store, run_id), RedisEvents(store), STATE["cache"], STATE["engine"],
                    {"max_fps": settings.max_fps, "budget": settings.run_max_seconds, "copies": 1})
    try:
        worker._start(run_id, config, {"weights": options.get("weights")})
        worker.exiting = True  # serve() returns once this run has ended
        worker.serve()
    except Exception as exc:  # the loop guards each run; this is Redis gone or a bug in the loop
        log.exception("run %s: the worker loop failed", run_id)
        store.add_json(run_id, "error", {"reason": "internal", "message": f"The run failed on the server ({exc}).",
                                         "epoch": int(r.hget(redis_store.run_key(run_id), "epoch") or 0)})
    finally:
        STATE["run"] = None
        stats["runs"] = 0
        r.srem(redis_store.ACTIVE, run_id)
        r.delete(redis_store.hb_key(run_id), redis_store.ctrl_key(run_id))
