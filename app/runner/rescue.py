"""The Celery backend's safety net: no run stays queued or running for good, whatever was lost.

Celery's late acknowledgement re-delivers a task whose process died (app/runner/celery_app.py); this module
covers what it cannot: a message gone with a killed process or a wiped Redis, a process that died after it took
a run but before training it, a training loop that stopped moving. A run is claimed by one process atomically
(`claim`), so a re-sent or re-delivered task never trains a run twice. Each web process's monitor calls
`Rescue.check` every second; the decisions are idempotent (Lua scripts, set-if-absent through the run-hash guard
`RedisState.write_fields`), so several web processes agree, and none recreates a run Redis forgot.
See docs/scale-out.md ("Failure handling").
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from app.runner import messages as stream_text
from app.runner.base import RunnerSettings
from app.runner.redis_state import FORGOTTEN, WRITTEN, RedisState, ctrl_key, hb_key, run_key

log = logging.getLogger(__name__)
RUN_TASK = "kp.run"

# KEYS: hash, heartbeat. ARGV: run id, worker (host:pid), pid, heartbeat ttl, now.
_CLAIM = """
if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'starting', 'worker', ARGV[2], 'admitted', ARGV[5])
redis.call('HDEL', KEYS[1], 'stall_from')
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
redis.call('SADD', 'kp:active', ARGV[1])
redis.call('LREM', 'kp:queue', 0, ARGV[1])
return 1
"""

# A claimed run whose process died before it trained goes back to the head of the queue, once.
# KEYS: hash. ARGV: run id, now.
_REQUEUE = """
if redis.call('HGET', KEYS[1], 'state') ~= 'starting' then return 0 end
if redis.call('HSETNX', KEYS[1], 'resent', 1) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'queued', 'stall_from', ARGV[2])
redis.call('HDEL', KEYS[1], 'worker', 'position', 'admitted')
redis.call('SREM', 'kp:active', ARGV[1])
redis.call('LPUSH', 'kp:queue', ARGV[1])
return 1
"""


def claim(store: RedisState, run_id: str, worker: str, pid: int, ttl: int) -> bool:
    """Take a queued run for this process (state starting, heartbeat, kp:active); False if it is not queued."""
    script = store.r.register_script(_CLAIM)
    return bool(script(keys=[run_key(run_id), hb_key(run_id)], args=[run_id, worker, pid, ttl, time.time()]))


class Rescue:
    """Decisions of the web monitor about runs that nothing else will end."""

    def __init__(self, store: RedisState, celery: Any, settings: RunnerSettings) -> None:
        self.store = store
        self.r = store.r
        self.celery = celery
        self.settings = settings
        self._requeue = self.r.register_script(_REQUEUE)

    def resend(self, run_id: str, info: dict[str, str]) -> None:
        """Send the run's task again (its config and start options are in its hash)."""
        options = json.loads(info.get("options") or "{}")
        self.celery.send_task(RUN_TASK, args=[run_id, json.loads(info["config"]), options])

    def process_gone(self, run_id: str, info: dict[str, str]) -> None:
        """A run whose process stopped beating: back to the queue if it never trained (once), else an error."""
        if info.get("state") == "starting" and self._requeue(keys=[run_key(run_id)], args=[run_id, time.time()]):
            log.warning("run %s: its process died before training it; re-sending it", run_id)
            self.store.announce_positions()
            self.resend(run_id, info)
            return
        log.error("run %s: its training process stopped beating", run_id)
        reason = "not_started" if info.get("state") == "starting" else "worker_died"
        self.store.add_json(run_id, "error", stream_text.error(reason, epoch=int(info.get("epoch") or 0)))

    def queued(self, run_id: str, info: dict[str, str], free: int, now: float) -> None:
        """A run waiting while slots are free: after KP_QUEUE_STALL re-send it once, after twice that end it."""
        if free <= 0:  # waiting behind a full pool is what a queue is for
            if "stall_from" in info:
                self.r.hdel(run_key(run_id), "stall_from")  # HDEL never creates a hash
            return
        if "stall_from" not in info:  # `info` may be stale: the guard writes nothing to a run Redis forgot
            self.store.write_fields(run_id, "stall_from", stall_from=now)
            return
        waited = now - float(info["stall_from"])
        if waited < self.settings.queue_stall:
            return
        outcome = self.store.write_fields(run_id, "resent", resent=1, stall_from=now)
        if outcome == FORGOTTEN:  # Redis lost the run since `info` was read: nothing to re-send or end
            return
        if outcome == WRITTEN:
            log.warning("run %s waited %.0f s with free slots: re-sending its task", run_id, waited)
            self.resend(run_id, info)
        else:  # re-sent KP_QUEUE_STALL ago (or re-queued after its process died), and still not taken
            log.error("run %s was never taken by a training process: ending it", run_id)
            self.store.add_json(run_id, "error", stream_text.error("not_started", epoch=0))

    def overdue(self, run_id: str, info: dict[str, str], now: float) -> bool:
        """The last resort: a run admitted longer ago than its budget plus KP_STALL_TIMEOUT ends with an error."""
        s = self.settings
        admitted = float(info.get("admitted") or now)
        if now - admitted < s.run_max_seconds + s.stall_timeout:
            return False
        log.error("run %s outlived its budget: ending it", run_id)
        self.store.add_json(run_id, "error", stream_text.error("stalled", seconds=round(now - admitted),
                                                               epoch=int(info.get("epoch") or 0)))
        pipe = self.r.pipeline()  # the loop, if alive, stops the run and frees its slot
        pipe.rpush(ctrl_key(run_id), json.dumps(["stop", {}]))
        pipe.expire(ctrl_key(run_id), self.store.keep_finished)
        pipe.execute()
        return True
