"""The live side of a class: event channels (learners, wall), which run belongs to which learner, the wall's tiles.

Two implementations of one small interface: in memory for the embedded backend (one web process), and in Redis
for the Celery backend, so a teacher served by one web process sees learners served by another (the same Redis
the runs use; every key expires).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import Any, Protocol

CHANNELS = ("learners", "wall")
BUFFER = 500  # events kept per channel for Last-Event-ID resume
TTL = 12 * 3600  # seconds a class's live state outlives its last event
HEARTBEAT = 2.0


class Hub(Protocol):
    def publish(self, class_id: str, channel: str, event: str, data: dict[str, Any]) -> None: ...
    def subscribe(self, class_id: str, channel: str, last_id: int | None,
                  stop: threading.Event | None = None) -> Iterator[tuple[int, str, str] | None]: ...
    def register_run(self, run_id: str, class_id: str, learner_id: str) -> None: ...
    def run_owner(self, run_id: str) -> tuple[str, str] | None: ...
    def current_runs(self, class_id: str) -> dict[str, str]: ...
    def set_tile(self, class_id: str, learner_id: str, tile: dict[str, Any]) -> None: ...
    def tiles(self, class_id: str) -> dict[str, dict[str, Any]]: ...
    def due(self, key: str, interval: float) -> bool: ...
    def set_guess(self, class_id: str, learner_id: str, guess: dict[str, Any]) -> None: ...
    def guesses(self, class_id: str) -> dict[str, dict[str, Any]]: ...


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


class MemoryHub:
    """One process: a ring buffer per (class, channel) and a condition to wake the streams."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._events: dict[tuple[str, str], deque[tuple[int, str, str]]] = {}
        self._next: dict[tuple[str, str], int] = {}
        self._runs: dict[str, tuple[str, str]] = {}
        self._current: dict[str, dict[str, str]] = {}
        self._tiles: dict[str, dict[str, dict[str, Any]]] = {}
        self._due: dict[str, float] = {}
        self._guesses: dict[str, dict[str, dict[str, Any]]] = {}

    def publish(self, class_id: str, channel: str, event: str, data: dict[str, Any]) -> None:
        key = (class_id, channel)
        with self._cond:
            n = self._next.get(key, 0) + 1
            self._next[key] = n
            self._events.setdefault(key, deque(maxlen=BUFFER)).append((n, event, _dumps(data)))
            self._cond.notify_all()

    def subscribe(self, class_id: str, channel: str, last_id: int | None,
                  stop: threading.Event | None = None) -> Iterator[tuple[int, str, str] | None]:
        key = (class_id, channel)
        with self._cond:
            seen = self._next.get(key, 0) if last_id is None else last_id
        while not (stop and stop.is_set()):
            with self._cond:
                fresh = [e for e in self._events.get(key, ()) if e[0] > seen]
                if not fresh:
                    self._cond.wait(HEARTBEAT)
                    fresh = [e for e in self._events.get(key, ()) if e[0] > seen]
            if not fresh:
                yield None
                continue
            for item in fresh:
                seen = item[0]
                yield item

    def register_run(self, run_id: str, class_id: str, learner_id: str) -> None:
        with self._cond:
            self._runs[run_id] = (class_id, learner_id)
            self._put(self._current, class_id, learner_id, run_id)  # the condition's lock is re-entrant

    def run_owner(self, run_id: str) -> tuple[str, str] | None:
        return self._runs.get(run_id)

    def current_runs(self, class_id: str) -> dict[str, str]:
        return self._entries(self._current, class_id)

    def _put(self, table: dict[str, dict[str, Any]], class_id: str, learner_id: str, value: Any) -> None:
        """One learner's entry in a per-class table (current runs, tiles, guesses)."""
        with self._cond:
            table.setdefault(class_id, {})[learner_id] = value

    def _entries(self, table: dict[str, dict[str, Any]], class_id: str) -> dict[str, Any]:
        """A copy of a class's entries in a per-class table."""
        with self._cond:
            return dict(table.get(class_id, {}))

    def set_tile(self, class_id: str, learner_id: str, tile: dict[str, Any]) -> None:
        self._put(self._tiles, class_id, learner_id, tile)

    def tiles(self, class_id: str) -> dict[str, dict[str, Any]]:
        return self._entries(self._tiles, class_id)

    def due(self, key: str, interval: float) -> bool:
        """True at most once per `interval` seconds for a key (the wall's 2 updates per learner per second)."""
        now = time.monotonic()
        with self._cond:
            if now - self._due.get(key, -1e9) < interval:
                return False
            self._due[key] = now
            return True

    def set_guess(self, class_id: str, learner_id: str, guess: dict[str, Any]) -> None:
        self._put(self._guesses, class_id, learner_id, guess)

    def guesses(self, class_id: str) -> dict[str, dict[str, Any]]:
        return self._entries(self._guesses, class_id)


# INCR then XADD with that number as the entry id: ids stay the plain integers the SSE `id:` carries.
_PUBLISH = """
local n = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '0-' .. n, 'event', ARGV[1], 'data', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return n
"""


class RedisHub:
    """Many web processes: one Redis Stream per (class, channel); runs, current runs and tiles in hashes."""

    def __init__(self, client) -> None:
        self.r = client
        self._local = MemoryHub()  # throttling is per process: each process sends at most its share
        self._publish = client.register_script(_PUBLISH)  # EVALSHA: the script's text travels once

    @staticmethod
    def _stream(class_id: str, channel: str) -> str:
        return f"kp:class:{class_id}:{channel}"

    def publish(self, class_id: str, channel: str, event: str, data: dict[str, Any]) -> None:
        """One round trip: the sequence number, the entry 0-<n> (the SSE id) and both expiries in one script."""
        key = self._stream(class_id, channel)
        self._publish(keys=[key, key + ":seq"], args=[event, _dumps(data), TTL, BUFFER])

    def subscribe(self, class_id: str, channel: str, last_id: int | None,
                  stop: threading.Event | None = None) -> Iterator[tuple[int, str, str] | None]:
        key = self._stream(class_id, channel)
        if last_id is None:
            last_id = int(self.r.get(key + ":seq") or 0)
        cursor = f"0-{max(0, last_id)}"
        while not (stop and stop.is_set()):
            reply = self.r.xread({key: cursor}, count=100, block=int(HEARTBEAT * 1000))
            if not reply:
                yield None
                continue
            for entry_id, fields in reply[0][1]:
                cursor = entry_id
                yield int(entry_id.split("-")[1]), fields["event"], fields["data"]

    @staticmethod
    def _hash(class_id: str, name: str) -> str:
        return f"kp:class:{class_id}:{name}"

    def _put(self, class_id: str, name: str, learner_id: str, value: str, pipe: Any = None) -> None:
        """One learner's entry in a class hash (runs, tiles, guesses) and the hash's expiry, in one round trip."""
        own = pipe is None
        pipe = self.r.pipeline() if own else pipe
        pipe.hset(self._hash(class_id, name), learner_id, value)
        pipe.expire(self._hash(class_id, name), TTL)
        if own:
            pipe.execute()

    def _entries(self, class_id: str, name: str) -> dict[str, dict[str, Any]]:
        """Every learner's entry of a JSON-valued class hash (tiles, guesses)."""
        return {k: json.loads(v) for k, v in self.r.hgetall(self._hash(class_id, name)).items()}

    def register_run(self, run_id: str, class_id: str, learner_id: str) -> None:
        pipe = self.r.pipeline()
        pipe.set(f"kp:classrun:{run_id}", f"{class_id}:{learner_id}", ex=TTL)
        self._put(class_id, "runs", learner_id, run_id, pipe)
        pipe.execute()

    def run_owner(self, run_id: str) -> tuple[str, str] | None:
        value = self.r.get(f"kp:classrun:{run_id}")
        if not value:
            return None
        class_id, _, learner_id = value.partition(":")
        return class_id, learner_id

    def current_runs(self, class_id: str) -> dict[str, str]:
        return dict(self.r.hgetall(self._hash(class_id, "runs")))

    def set_tile(self, class_id: str, learner_id: str, tile: dict[str, Any]) -> None:
        self._put(class_id, "tiles", learner_id, _dumps(tile))

    def tiles(self, class_id: str) -> dict[str, dict[str, Any]]:
        return self._entries(class_id, "tiles")

    def due(self, key: str, interval: float) -> bool:
        return self._local.due(key, interval)

    def set_guess(self, class_id: str, learner_id: str, guess: dict[str, Any]) -> None:
        self._put(class_id, "guesses", learner_id, _dumps(guess))

    def guesses(self, class_id: str) -> dict[str, dict[str, Any]]:
        return self._entries(class_id, "guesses")
