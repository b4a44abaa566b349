"""Caps on open event streams, so streams never take the threads the page, /healthz and controls need.

gunicorn's gthread worker has a fixed number of threads (KP_THREADS) and an open stream holds one for
as long as it lasts. Three caps, each answered with 429 and Retry-After before the stream opens:
per client (KP_STREAMS_PER_CLIENT), per run or sweep (KP_STREAMS_PER_RUN), and over the process
(KP_THREADS - KP_STREAM_RESERVE): the reserve is never given to a stream. Counts are per web process,
as threads are. docs/security.md lists the defaults.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, stream_with_context
from flask_babel import gettext

from app.web.errors import ApiError
from app.web.streaming import HEADERS

RETRY_AFTER = 10  # seconds: a stream frees its place when its run ends or its tab closes


@dataclass(frozen=True)
class StreamLimits:
    """The caps; 0 turns the per-client or per-run cap off (tests that share one address)."""

    threads: int = 128  # KP_THREADS: gunicorn's threads (gunicorn.conf.py reads the same variable)
    reserve: int = 16  # KP_STREAM_RESERVE: threads never given to a stream
    per_client: int = 8  # KP_STREAMS_PER_CLIENT: open streams of one client
    per_run: int = 64  # KP_STREAMS_PER_RUN: open streams of one run or sweep (a presenter's class watching)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> StreamLimits:
        """Limits from KP_* keys (the app's config over the environment); a bad value names its variable."""
        names = {"threads": "KP_THREADS", "reserve": "KP_STREAM_RESERVE", "per_client": "KP_STREAMS_PER_CLIENT",
                 "per_run": "KP_STREAMS_PER_RUN"}
        kwargs = {}
        for field, key in names.items():
            raw = values.get(key)
            if raw in (None, ""):
                continue
            try:
                kwargs[field] = int(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{key} must be an integer, got {raw!r}") from None
            if kwargs[field] < 0:
                raise ValueError(f"{key} must be 0 or more, got {raw!r}")
        limits = cls(**kwargs)
        if limits.total < 1:
            raise ValueError("KP_THREADS must be larger than KP_STREAM_RESERVE: streams need at least one thread")
        return limits

    @property
    def total(self) -> int:
        """Streams this process may hold at once."""
        return self.threads - self.reserve


class StreamCaps:
    """Open streams by client and by target; `open` hands out a lease or raises a 429 ApiError."""

    def __init__(self, limits: StreamLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._clients: dict[str, int] = {}
        self._targets: dict[str, int] = {}
        self.open_now = 0
        self.refused = 0

    def open(self, client: str, target: str) -> Lease:
        """Count one more stream of `client` on `target` (e.g. "run:<id>"), or refuse it."""
        lim = self.limits
        with self._lock:
            if self.open_now >= lim.total:
                field, message = "streams", gettext(
                    "The server has %(n)s event streams open, as many as it allows; close a tab or try again "
                    "in a few seconds.", n=self.open_now)
            elif lim.per_client and self._clients.get(client, 0) >= lim.per_client:
                field, message = "streams", gettext(
                    "You already have %(n)s event streams open (tabs or windows); close one and try again.",
                    n=lim.per_client)
            elif lim.per_run and self._targets.get(target, 0) >= lim.per_run:
                field, message = "run", gettext(
                    "This run already has %(n)s viewers, as many as it allows; try again in a few seconds.",
                    n=lim.per_run)
            else:
                self.open_now += 1
                self._clients[client] = self._clients.get(client, 0) + 1
                self._targets[target] = self._targets.get(target, 0) + 1
                return Lease(self, client, target)
            self.refused += 1
        raise ApiError(429, message, field, headers={"Retry-After": str(RETRY_AFTER)})

    def _close(self, client: str, target: str) -> None:
        with self._lock:
            self.open_now -= 1
            for table, key in ((self._clients, client), (self._targets, target)):
                table[key] -= 1
                if not table[key]:
                    del table[key]

    def health(self) -> dict[str, int]:
        """Open streams and the cap, for /healthz."""
        return {"open": self.open_now, "max": self.limits.total, "refused": self.refused}


class Lease:
    """One open stream's place; `close` gives it back once, however often it is called."""

    def __init__(self, caps: StreamCaps, client: str, target: str) -> None:
        self._caps, self._client, self._target = caps, client, target
        self._closed = threading.Event()
        self._once = threading.Lock()

    def close(self) -> None:
        with self._once:
            if self._closed.is_set():
                return
            self._closed.set()
        self._caps._close(self._client, self._target)


def register(app: Flask) -> None:
    """Read the limits once (a bad setting stops the start with its name)."""
    app.extensions["kp_streams"] = StreamCaps(StreamLimits.from_mapping({**os.environ, **app.config}))


def stream_response(target: str, make: Callable[[], Iterable[str]]) -> Response:
    """An SSE response of `make()`, counted against the caps (429 first when full) until it closes."""
    from app.web.limits import client_key

    lease = current_app.extensions["kp_streams"].open(client_key(), target)
    try:
        response = Response(stream_with_context(make()), mimetype="text/event-stream", headers=HEADERS)
    except BaseException:
        lease.close()  # an unknown id (404) frees the place it was about to take
        raise
    response.call_on_close(lease.close)
    return response
