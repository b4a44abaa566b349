"""A run's state and events in Redis, shared by the web processes and the Celery workers (docs/scale-out.md).

Keys (every one expires; ``{id}`` is the run id):

- ``kp:run:{id}`` hash: state, epoch, config, worker, final (the done/error JSON), initial (the weights it
  started from, for ``init_from``), idle_since, ever, bytes...
- ``kp:run:{id}:events`` stream: one entry per SSE event, fields ``n`` (name) and ``d`` (JSON text); at most
  KP_EVENT_BUFFER entries and KP_EVENT_BYTES of data (``bytes`` in the hash), the oldest dropped first.
  Entry ids are ``0-<seq>`` (XADD ``0-*``: Redis numbers them), so the SSE id is ``seq`` and a
  Last-Event-ID N resumes with ``XREAD ... 0-N``; web and worker append to the one sequence.
- ``kp:run:{id}:ctrl`` list: control messages, oldest first (RPUSH by the web, LPOP/BLPOP by the worker).
- ``kp:run:{id}:hb`` string: the worker's heartbeat; when it expires mid-run the worker is gone.
- ``kp:run:{id}:watch`` sorted set: one member per open stream, scored with the time its lease ends. A web
  process renews its streams' leases every heartbeat, so a web process killed hard leaves leases that simply end.
- ``kp:queue`` list of queued run ids; ``kp:active`` set of running ones; ``kp:completed``, ``kp:frames`` counters.
- ``kp:worker:{host}:{pid}`` hash: one Celery worker process (ready, rss_mb, runs...), refreshed every second.

No TensorFlow here.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from app.runner.base import TERMINAL_EVENTS
from app.settings import current

QUEUE = "kp:queue"
ACTIVE = "kp:active"
COMPLETED = "kp:completed"
FRAMES = "kp:frames"
WORKER_PREFIX = "kp:worker:"
DEFAULT_URL = "redis://127.0.0.1:6379/0"
DEFAULT_EVENT_BYTES = 2 * 2**20  # KP_EVENT_BYTES: a run's buffered events, at most (≈ 150 frames of a 100² grid)

# Append an event unless the run has ended, update the state it implies, keep the keys alive; then drop the
# oldest entries while the stream holds more than maxlen entries or more than maxbytes of data (the hash's
# `bytes` field counts them), never the newest one.
# KEYS: hash, stream. ARGV: name, data, state ("" keeps it), epoch ("" keeps it), maxlen, ttl, ended_ttl, maxbytes.
_ADD = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'done' or state == 'error' then return nil end  -- ended, or forgotten (Redis wiped)
local id = redis.call('XADD', KEYS[2], '0-*', 'n', ARGV[1], 'd', ARGV[2])
local bytes = redis.call('HINCRBY', KEYS[1], 'bytes', #ARGV[2])
local maxlen, maxbytes = tonumber(ARGV[5]), tonumber(ARGV[8])
local len = redis.call('XLEN', KEYS[2])
while len > 1 and (len > maxlen or bytes > maxbytes) do
  local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
  redis.call('XDEL', KEYS[2], oldest[1])
  local f = oldest[2]
  for i = 1, #f, 2 do
    if f[i] == 'd' then bytes = redis.call('HINCRBY', KEYS[1], 'bytes', -#f[i + 1]) end
  end
  len = len - 1
end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'state', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'epoch', ARGV[4]) end
local ttl = ARGV[6]
if ARGV[1] == 'done' or ARGV[1] == 'error' then
  redis.call('HSET', KEYS[1], 'final', ARGV[2])
  redis.call('SREM', 'kp:active', KEYS[1]:sub(8))
  redis.call('LREM', 'kp:queue', 0, KEYS[1]:sub(8))
  redis.call('INCR', 'kp:completed')
  ttl = ARGV[7]
elseif ARGV[1] == 'frame' then
  redis.call('INCR', 'kp:frames')
end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
return id
"""


def url() -> str:
    """KP_REDIS_URL, the same variable for web and workers."""
    return current().redis_url or DEFAULT_URL


def event_bytes() -> int:
    """KP_EVENT_BYTES, the same variable for web and workers: bytes of event data kept per run."""
    return current().event_bytes


def connect(redis_url: str | None = None) -> redis.Redis:
    """A client that returns str; one per process (a forked client's socket is not shared).

    A Redis that is down fails a request within the connect timeout (the web answers 503), not after
    the operating system's own.
    """
    return redis.Redis.from_url(redis_url or url(), decode_responses=True, health_check_interval=30,
                                socket_connect_timeout=3)


def run_key(run_id: str) -> str:
    return f"kp:run:{run_id}"


def events_key(run_id: str) -> str:
    return f"kp:run:{run_id}:events"


def ctrl_key(run_id: str) -> str:
    return f"kp:run:{run_id}:ctrl"


def hb_key(run_id: str) -> str:
    return f"kp:run:{run_id}:hb"


def watch_key(run_id: str) -> str:
    return f"kp:run:{run_id}:watch"


def state_after(name: str, meta: dict[str, Any]) -> str:
    """The run state an event implies ("" when it changes nothing), as RunRecord.add decides it."""
    if name == "started":
        return "paused" if meta.get("paused") else "running"
    if name == "state":
        return str(meta.get("state", ""))
    if name in TERMINAL_EVENTS:
        return name
    return ""

# Set hash fields only while the run's hash exists: a write to a run Redis forgot (restarted or wiped) must not
# bring back a hash without its fields and without an expiry (a stream would then wait on it for good).
# With `unless` (a field name), nothing is written while that field is already set (HSETNX, guarded).
# KEYS: hash. ARGV: unless ("" for none), field, value, field, value, ... Returns -1 forgotten, 0 kept, 1 written.
_SET_IF_KNOWN = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if ARGV[1] ~= '' and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
"""
FORGOTTEN, KEPT, WRITTEN = -1, 0, 1  # what a guarded write did


class RedisState:
    """The operations both sides need, over one Redis client."""

    def __init__(self, client: redis.Redis, buffer: int = 500, ttl: float = 1800, keep_finished: float = 600,
                 max_bytes: int | None = None):
        self.r = client
        self.buffer = buffer
        self.max_bytes = max_bytes or event_bytes()
        self.ttl = int(ttl)  # a live run's keys: longer than its wall-time budget
        self.keep_finished = max(1, int(keep_finished))
        self._add = client.register_script(_ADD)
        self._set_if_known = client.register_script(_SET_IF_KNOWN)

    def add(self, run_id: str, name: str, data: str, meta: dict[str, Any] | None = None) -> int | None:
        """Append an event; its SSE id, or None when the run has already ended (the first end wins)."""
        meta = meta or {}
        epoch = meta.get("epoch", "") if name == "frame" else ""
        entry = self._add(keys=[run_key(run_id), events_key(run_id)],
                          args=[name, data, state_after(name, meta), epoch, self.buffer, self.ttl,
                                self.keep_finished, self.max_bytes])
        if entry and name == "started" and meta.get("initial_weights"):  # kept with the run's hash, same expiry
            self.set_fields(run_id, initial=json.dumps(meta["initial_weights"], separators=(",", ":")))
        return sequence(entry) if entry else None

    def set_fields(self, run_id: str, **fields: Any) -> bool:
        """Set fields of a run's hash if Redis still knows the run; False (and nothing written) when it does not."""
        return self.write_fields(run_id, "", **fields) == WRITTEN

    def write_fields(self, run_id: str, unless: str, **fields: Any) -> int:
        """The one guarded write of a run's hash: WRITTEN, KEPT (`unless` was set already) or FORGOTTEN."""
        args = [unless, *(str(part) for pair in fields.items() for part in pair)]
        return int(self._set_if_known(keys=[run_key(run_id)], args=args))

    def add_json(self, run_id: str, name: str, payload: dict[str, Any]) -> int | None:
        """An event made on the web side (queued, stopped while queued, worker died)."""
        return self.add(run_id, name, json.dumps(payload, separators=(",", ":")), payload)

    def info(self, run_id: str) -> dict[str, str]:
        return self.r.hgetall(run_key(run_id))

    def announce_positions(self) -> None:
        """Each queued run hears its place in the queue (after a run left it).

        The queued runs' known positions are read in one round trip: called by every admission, one read per
        queued run made a class's burst of 30 starts cost ~n² round trips, each waiting for the GIL behind the
        process's training thread (the Celery backend's first-frame p95, docs/performance.md).
        """
        queued = self.r.lrange(QUEUE, 0, -1)
        if not queued:
            return
        pipe = self.r.pipeline(transaction=False)
        for run_id in queued:
            pipe.hget(run_key(run_id), "position")
        for i, (run_id, known) in enumerate(zip(queued, pipe.execute(), strict=True), start=1):
            if known != str(i) and self.set_fields(run_id, position=i):
                self.add_json(run_id, "queued", {"position": i})


def sequence(entry_id: str) -> int:
    """The SSE id of a stream entry id ``0-<seq>``."""
    return int(entry_id.split("-", 1)[1])
