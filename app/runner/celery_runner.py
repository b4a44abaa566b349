"""The scale-out runner (KP_RUNNER=celery): runs are Celery tasks, their state and events live in Redis.

The web process keeps nothing a restart would lose: a stream is read from Redis with XREAD BLOCK from the
Last-Event-ID on, so a learner reconnecting to a restarted (or another) web process resumes where it stopped. A
monitor thread in each web process ends runs whose worker stopped beating (SIGKILL, lost machine) with an `error`, and
stops runs nobody watches, as the embedded runner does. See docs/scale-out.md.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any

from app.config.run_config import RunConfig
from app.config.text import gettext
from app.runner import redis_state
from app.runner.base import TERMINAL_EVENTS, Event, RunFull, Runner, RunnerSettings, UnknownRun
from app.runner.celery_worker import worker_timeout
from app.runner.messages import lost_event
from app.runner.redis_state import ACTIVE, QUEUE, RedisState, events_key, run_key, watch_key
from app.runner.rescue import Rescue
from app.runner.supervise import STOPPED

log = logging.getLogger(__name__)
MONITOR_EVERY = 1.0
NEXT_STATE = {"pause": "paused", "step": "paused", "resume": "running", "stop": "done"}


def watch_lease(settings: RunnerSettings) -> float:
    """Seconds a stream's lease lasts: three missed renewals (one per heartbeat) and it has ended."""
    return 3 * settings.heartbeat + 1


class CeleryRunner(Runner):
    """Submits runs to Celery workers and reads their events from Redis; see the module docstring."""

    def __init__(self, settings: RunnerSettings | None = None, redis_url: str | None = None) -> None:
        from app.runner.celery_app import celery

        self.settings = s = settings or RunnerSettings()
        self.store = RedisState(redis_state.connect(redis_url), s.event_buffer, s.run_max_seconds + s.keep_finished,
                           s.keep_finished)
        self.r = self.store.r
        self.celery = celery
        if redis_url:  # a runner made in code (tests) for another Redis than KP_REDIS_URL
            celery.conf.broker_url = redis_url
        self._closing = threading.Event()
        self.rescue = Rescue(self.store, celery, s)
        self._settled = 0.0  # monotonic time after which missing heartbeats count (not right after an outage)
        self._monitor = threading.Thread(target=self._monitor_loop, name="kp-celery-monitor", daemon=True)
        self._monitor.start()

    # ------------------------------------------------------------------ the Runner interface

    def submit(self, config: RunConfig, weights: list[dict[str, Any]] | None = None,
               start: str = "running") -> dict[str, Any]:
        s = self.settings
        if self._closing.is_set():
            raise RunFull(s.retry_after, gettext("The server is restarting; try again in a few seconds."))
        free = self._free_slots()
        if not self._has_room(s):
            raise RunFull(s.retry_after, gettext(
                "Every training slot is busy and %(n)s runs are waiting; try again in %(seconds)s s.",
                n=s.queue_size, seconds=s.retry_after))
        run_id = secrets.token_urlsafe(9)
        now = time.time()
        options = {"weights": weights, "paused": start != "running", "steps": int(start == "step")}
        pipe = self.r.pipeline()
        pipe.hset(run_key(run_id), mapping={"state": "queued", "epoch": 0, "config": config.model_dump_json(),
                                            "created": now, "idle_since": now, "ever": 0,
                                            "options": json.dumps(options)})  # a re-send needs them (rescue.py)
        pipe.expire(run_key(run_id), self.store.ttl)
        pipe.rpush(QUEUE, run_id)
        pipe.execute()
        self.celery.send_task("kp.run", args=[run_id, config.model_dump(mode="json"), options])
        if self.r.llen(QUEUE) > free:  # it really waits: tell it (and the others) their place
            self.store.announce_positions()
        return {"id": run_id, "state": "queued"}

    def control(self, run_id: str, action: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        info = self._info(run_id)
        state = info.get("state", "queued")
        if state in TERMINAL_EVENTS:
            return {"id": run_id, "state": state}
        if action == "set" and args:
            config = RunConfig.model_validate_json(info["config"]).model_copy(update=args)
            self.store.set_fields(run_id, config=config.model_dump_json())
        if action == "stop" and state == "queued":
            self.r.lrem(QUEUE, 0, run_id)
            self.store.add_json(run_id, "done", STOPPED)  # the task, when it comes, sees the end and returns
            self.store.announce_positions()
            return {"id": run_id, "state": "done"}
        key = redis_state.ctrl_key(run_id)
        pipe = self.r.pipeline()
        pipe.rpush(key, json.dumps([action, args or {}]))
        pipe.expire(key, self.store.ttl)
        pipe.execute()
        return {"id": run_id, "state": NEXT_STATE.get(action, state)}

    def events(self, run_id: str, last_event_id: int | None = None) -> Iterator[Event | None]:
        if last_event_id and not self.r.exists(run_key(run_id)):
            return iter([lost_event(last_event_id)])  # a reconnect to a run Redis forgot: say what to do
        self._info(run_id)
        return self._follow(run_id, last_event_id or 0)

    def _lease(self, run_id: str, watcher: str) -> None:
        """Hold (or renew) this stream's lease on the run: the run is watched until the lease ends."""
        pipe = self.r.pipeline()
        pipe.zadd(watch_key(run_id), {watcher: time.time() + watch_lease(self.settings)})
        pipe.expire(watch_key(run_id), self.store.ttl)
        pipe.execute()

    def _follow(self, run_id: str, last: int) -> Iterator[Event | None]:
        key = run_key(run_id)
        watcher = secrets.token_hex(8)
        self._lease(run_id, watcher)
        self.store.set_fields(run_id, ever=1)
        block = max(1, int(self.settings.heartbeat * 1000))
        renewed = time.monotonic()
        try:
            while not self._closing.is_set():
                if time.monotonic() - renewed >= self.settings.heartbeat:
                    self._lease(run_id, watcher)
                    renewed = time.monotonic()
                reply = self.r.xread({events_key(run_id): f"0-{last}"}, count=100, block=block)
                entries = reply[0][1] if reply else []
                for entry_id, fields in entries:
                    last = redis_state.sequence(entry_id)
                    yield Event(last, fields["n"], fields["d"])
                    if fields["n"] in TERMINAL_EVENTS:
                        return
                if not entries:
                    if not self.r.exists(key):
                        yield lost_event(last)  # forgotten (Redis restarted or wiped): nothing more will come
                        return
                    yield None
        finally:
            self.r.zrem(watch_key(run_id), watcher)
            self.store.set_fields(run_id, idle_since=time.time())  # never brings back a forgotten run's hash

    def status(self, run_id: str) -> dict[str, Any]:
        info = self._info(run_id)
        state = info.get("state", "queued")
        final = json.loads(info["final"]) if info.get("final") else None
        position = self.r.lpos(QUEUE, run_id) if state == "queued" else None
        return {
            "id": run_id,
            "state": state,
            "epoch": int(info.get("epoch") or 0),
            "queue_position": position + 1 if position is not None else None,
            "worker": info.get("worker") or None,
            "config": json.loads(info["config"]),
            "summary": {k: v for k, v in final.items() if k != "weights"} if final and state == "done" else None,
            "error": final if state == "error" else None,
        }

    def result(self, run_id: str) -> dict[str, Any] | None:
        info = self._info(run_id)
        return json.loads(info["final"]) if info.get("state") == "done" and info.get("final") else None

    def initial_weights(self, run_id: str) -> list[dict[str, Any]] | None:
        return json.loads(self._info(run_id).get("initial") or "null")

    def health(self) -> dict[str, Any]:
        workers = self.workers()
        return {
            "state": "stopping" if self._closing.is_set() else "ok" if any(w["ready"] for w in workers)
            else "starting",
            "backend": "celery",
            "workers": workers,
            "runs": {
                "active": self.r.scard(ACTIVE),
                "queued": self.r.llen(QUEUE),
                "completed": int(self.r.get(redis_state.COMPLETED) or 0),
                "capacity": sum(w["slots"] for w in workers),
                "queue_size": self.settings.queue_size,
            },
            "frames_total": int(self.r.get(redis_state.FRAMES) or 0),
        }

    def workers(self) -> list[dict[str, Any]]:
        """The Celery worker processes that reported in the last KP_WORKER_TIMEOUT seconds."""
        keys = sorted(self.r.scan_iter(match=f"{redis_state.WORKER_PREFIX}*", count=500))
        pipe = self.r.pipeline()
        for key in keys:
            pipe.hgetall(key)
        out = []
        for index, info in enumerate(pipe.execute()):
            if not info:
                continue
            out.append({
                "index": index, "pid": int(info.get("pid", 0)), "host": info.get("host"),
                "state": "ready" if info.get("ready") == "1" else "starting", "ready": info.get("ready") == "1",
                "runs": int(info.get("runs", 0)), "runs_total": int(info.get("runs_total", 0)),
                "slots": int(info.get("slots", 1)),
                **{k: float(info[k]) for k in ("rss_mb", "uptime", "busy", "epochs_per_s", "frame_ms", "epoch_ms",
                                               "compiled") if k in info},
            })
        return out

    def shutdown(self, timeout: float = 10.0) -> None:
        """This web process stops: its streams end (browsers reconnect elsewhere); runs go on in the workers."""
        self._closing.set()
        if self._monitor is not threading.current_thread():
            self._monitor.join(timeout=3)

    # ------------------------------------------------------------------ helpers

    def _waiting(self) -> int:
        """Runs really waiting. A queue entry whose run has already started or ended (a start or stop
        racing with another web process, a restart) is dropped here rather than counted as waiting."""
        waiting = 0
        for run_id in self.r.lrange(QUEUE, 0, -1):
            if self.r.hget(run_key(run_id), "state") == "queued":
                waiting += 1
            else:
                self.r.lrem(QUEUE, 0, run_id)
        return waiting

    def _has_room(self, s: RunnerSettings) -> bool:
        """Room for one more run: training and waiting runs below the ready processes' slots plus the queue.

        Counted from `kp:active` and the queue, which change the moment a run is admitted or ends, not from the
        processes' own figures, which lag by up to a second: a learner starting a new run right after the last one
        ended would otherwise be refused while its slot is free.
        """
        capacity = sum(w["slots"] for w in self.workers() if w["ready"])
        return self.r.scard(ACTIVE) + self._waiting() < capacity + s.queue_size

    def _free_slots(self) -> int:
        """Free run slots of the ready processes: runs they will take at once do not count as waiting."""
        return sum(max(0, w["slots"] - w["runs"]) for w in self.workers() if w["ready"])

    def _info(self, run_id: str) -> dict[str, str]:
        info = self.store.info(run_id)
        if not info:
            raise UnknownRun(run_id)
        return info

    def _monitor_loop(self) -> None:
        """Runs whose worker stopped beating get an error; runs nobody watches are stopped."""
        s = self.settings
        while not self._closing.wait(MONITOR_EVERY):
            began = time.monotonic()
            try:
                self._check(s)
            except Exception:
                log.exception("celery runner monitor")
                self._after_outage()
            else:
                if time.monotonic() - began > MONITOR_EVERY + 2:  # Redis stalled under us: heartbeats lapsed too
                    self._after_outage()

    def _after_outage(self) -> None:
        """Heartbeats that lapsed while Redis was unreachable are not deaths: wait until processes beat again."""
        self._settled = time.monotonic() + worker_timeout() + 2 * MONITOR_EVERY

    def _check(self, s: RunnerSettings) -> None:
        now, began = time.time(), time.monotonic()
        gone = []
        for run_id in self.r.smembers(ACTIVE):
            info = self.store.info(run_id)
            if not info or info.get("state") in TERMINAL_EVENTS:
                self.r.srem(ACTIVE, run_id)
            elif not self.r.exists(redis_state.hb_key(run_id)):
                gone.append((run_id, info))
            elif not self.rescue.overdue(run_id, info, now):
                self._stop_if_abandoned(run_id, info, now, s)
        settled = began > self._settled and time.monotonic() - began < MONITOR_EVERY + 2
        for run_id, info in gone if settled else ():
            self.rescue.process_gone(run_id, info)
        free = self._free_slots() if settled else 0
        for run_id in self.r.lrange(QUEUE, 0, -1):
            info = self.store.info(run_id)
            if not info or info.get("state") != "queued":  # gone, started or ended: not waiting
                self.r.lrem(QUEUE, 0, run_id)
            else:
                self.rescue.queued(run_id, info, free, now)
                self._stop_if_abandoned(run_id, info, now, s)

    def _stop_if_abandoned(self, run_id: str, info: dict[str, str], now: float, s: RunnerSettings) -> None:
        """Stop a run nobody has watched for the grace period; a lease that ended counts as a closed stream."""
        if info.get("stopping"):
            return
        leases = self.r.zrange(watch_key(run_id), 0, -1, withscores=True)
        if any(end > now for _, end in leases):
            return
        last_seen = max([float(info.get("idle_since") or now), *(end for _, end in leases)])
        limit = s.disconnect_grace if info.get("ever") == "1" else s.connect_timeout
        if now - last_seen > limit:
            log.info("run %s has no watcher: stopping it", run_id)
            self.store.set_fields(run_id, stopping=1)
            self.control(run_id, "stop")
