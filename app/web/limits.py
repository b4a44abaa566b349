"""Per-client limits: requests per minute (Flask-Limiter), runs at once (forks included), lab jobs at once;
each answers 429 with Retry-After. Also installs the stream caps and the ownership records, which share
this storage, and the answer when that storage (Redis) is down: 503 with Retry-After, never a 500.

A client is the `kp_client` cookie the server hands out (a class behind one school NAT shares
an IP, not a cookie), or the remote address when a client sends none. Counters live in
memory with the embedded runner and in Redis with KP_RUNNER=celery, so every web process
of a cohort counts the same. Settings: KP_RATE_LIMIT, KP_RUNS_PER_CLIENT, KP_LAB_JOBS_PER_CLIENT,
KP_LIMITS_STORAGE (docs/operations.md, docs/security.md).
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from contextlib import suppress
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_babel import gettext
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError as RedisOutOfMemory
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.runner.base import TERMINAL_EVENTS, UnknownRun
from app.web import ownership, stream_caps
from app.web.errors import ApiError, error_response

COOKIE = "kp_client"
EXEMPT = ("/healthz", "/metrics", "/static/")
RUN_CREATORS = ("api.create_run", "saved.run_saved")  # a fork is a run like any other
REDIS_RETRY_AFTER = 10
HOLD = "hold-"  # a place held for a run being created (see _runs_at_once)


def client_key() -> str:
    """The limits' key: the client cookie, else the remote address."""
    cookie = request.cookies.get(COOKIE, "")
    if 8 <= len(cookie) <= 64 and cookie.replace("-", "").replace("_", "").isalnum():
        return "c:" + cookie
    return "ip:" + (request.remote_addr or "unknown")


def has_cookie() -> bool:
    """Whether the request carries a well-formed client cookie (client_key then names it)."""
    return client_key().startswith("c:")


def issued_cookie() -> str:
    """The client cookie this response hands out (to a request without one); the same value all request long."""
    if "kp_new_cookie" not in g:
        g.kp_new_cookie = secrets.token_urlsafe(12)
    return g.kp_new_cookie


def backend(app: Flask) -> str:
    """"celery" or "embedded" (KP_RUNNER; the app's config may hold a runner object in tests)."""
    return app.extensions["kp_settings"].runner


def register(app: Flask) -> None:
    """Install the limiter, the runs-at-once check, the client cookie and the 429 counter."""
    celery = backend(app) == "celery"
    from app.runner import redis_state

    settings = app.extensions["kp_settings"]
    storage = settings.limits_storage or (redis_state.url() if celery else "memory://")
    rate = settings.rate_limit
    # swallow_errors: with its storage (Redis) down the rate limit lets requests through rather than raising;
    # the routes that need Redis then answer 503 themselves (below). No X-RateLimit-* headers on every answer:
    # the page never reads them, a 429 says the limit and Retry-After itself (_rate_breach), and with Redis as the
    # storage they cost two more round trips per request (a tenth of the web process's time while a class of 30
    # opened the page and pressed play together, docs/performance.md).
    limiter = Limiter(client_key, app=app, application_limits=[rate], storage_uri=storage, key_prefix="kp-limits",
                      on_breach=_rate_breach, headers_enabled=False, swallow_errors=True)
    limiter.request_filter(lambda: request.path.startswith(EXEMPT))
    per_client = settings.runs_per_client
    shared = redis_state.connect(storage) if storage.startswith("redis") else None
    runs = RedisRuns(shared) if shared else MemoryRuns()
    lab = RedisRuns(shared, "kp:lab-client:") if shared else MemoryRuns()
    app.extensions["kp_limits"] = {"limiter": limiter, "runs": runs, "per_client": per_client, "rejected": 0,
                                   "lab": lab, "lab_per_client": settings.lab_jobs_per_client}
    stream_caps.register(app)
    ownership.register(app, ownership.RedisOwners(shared) if shared else ownership.MemoryOwners())

    @app.errorhandler(RedisConnectionError)
    @app.errorhandler(RedisTimeoutError)
    def _redis_down(exc: Exception) -> Response:
        return error_response(503, [{"field": "redis", "message": gettext(
            "The server's run store (Redis) is not answering; try again in %(s)s s.", s=REDIS_RETRY_AFTER)}],
            {"Retry-After": str(REDIS_RETRY_AFTER)})

    @app.errorhandler(RedisOutOfMemory)
    def _redis_full(exc: RedisOutOfMemory) -> Response:  # past `maxmemory` with nothing left to evict
        return error_response(503, [{"field": "redis", "message": gettext(
            "The server's run store (Redis) is full; try again in %(s)s s.", s=REDIS_RETRY_AFTER)}],
            {"Retry-After": str(REDIS_RETRY_AFTER)})

    @app.errorhandler(RateLimitExceeded)
    def _limited(exc: RateLimitExceeded) -> Response:  # before app.web.errors' generic HTTP handler
        return exc.response or error_response(429, [{"field": "rate", "message": str(exc.description)}],
                                              {"Retry-After": "60"})

    hold_lock = threading.Lock()  # check-and-hold is one step: 12 forks sent at once cannot all pass the check

    @app.before_request
    def _runs_at_once() -> None:
        if request.endpoint in RUN_CREATORS and per_client > 0:
            with hold_lock:
                live = runs.live(client_key(), _is_live)
                if live >= per_client:
                    retry = settings.retry_after
                    raise ApiError(429, gettext("You already have %(n)s runs going; stop one or wait for it to end.",
                                                n=live), "runs", headers={"Retry-After": str(retry)})
                g.kp_run_hold = HOLD + secrets.token_hex(6)  # counts as a run until this request ends
                runs.add(client_key(), g.kp_run_hold)

    @app.after_request
    def _after(response: Response) -> Response:
        if request.endpoint in RUN_CREATORS and response.status_code == 201:
            runs.add(client_key(), response.get_json()["id"])
        if response.status_code == 429:
            with _LOCK:
                app.extensions["kp_limits"]["rejected"] += 1
        if not has_cookie() and not request.path.startswith(EXEMPT):
            response.set_cookie(COOKIE, issued_cookie(), max_age=30 * 86400, httponly=True, samesite="Lax")
        return response

    @app.teardown_request
    def _release_hold(_exc: BaseException | None) -> None:
        hold = g.pop("kp_run_hold", None)
        if hold is not None:
            with suppress(RedisError):  # Redis went down meanwhile: the hold ends with its key's expiry
                runs.discard(client_key(), hold)


_LOCK = threading.Lock()


def _rate_breach(limit: RequestLimit) -> Response:
    # reset_at is rounded up to the next whole second: never more than the window itself
    retry = max(1, min(math.ceil(limit.reset_at - time.time()), limit.limit.get_expiry()))
    return error_response(429, [{"field": "rate", "message": gettext(
        "Too many requests: at most %(limit)s; try again in %(s)s s.", limit=str(limit.limit), s=retry)}],
        {"Retry-After": str(retry)})


def _is_live(run_id: str) -> bool:
    if run_id.startswith(HOLD):
        return True
    try:
        return current_app.extensions["kp_runner"]().status(run_id)["state"] not in TERMINAL_EVENTS
    except UnknownRun:
        return False


class MemoryRuns:
    """The runs each client started, in this process (the embedded runner is one process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, set[str]] = {}

    def add(self, client: str, run_id: str) -> None:
        with self._lock:
            self._runs.setdefault(client, set()).add(run_id)

    def discard(self, client: str, run_id: str) -> None:
        with self._lock:
            self._runs.get(client, set()).discard(run_id)

    def live(self, client: str, is_live: Any) -> int:
        with self._lock:
            ids = list(self._runs.get(client, ()))
        ended = {i for i in ids if not is_live(i)}
        with self._lock:
            mine = self._runs.get(client, set())
            mine -= ended
            if not mine:
                self._runs.pop(client, None)
            return len(mine)


class RedisRuns:
    """The runs each client started, in Redis (every web process of a cohort sees them)."""

    TTL = 3600

    def __init__(self, client: Any, prefix: str = "kp:client:") -> None:
        self.r = client
        self.prefix = prefix

    def add(self, client: str, run_id: str) -> None:
        key = self.prefix + client
        pipe = self.r.pipeline()
        pipe.sadd(key, run_id)
        pipe.expire(key, self.TTL)
        pipe.execute()

    def discard(self, client: str, run_id: str) -> None:
        self.r.srem(self.prefix + client, run_id)

    def live(self, client: str, is_live: Any) -> int:
        key = self.prefix + client
        ids = self.r.smembers(key)
        ended = [i for i in ids if not is_live(i)]
        if ended:
            self.r.srem(key, *ended)
        return len(ids) - len(ended)
