"""Per-client limits: requests per minute (Flask-Limiter) and runs at once; both answer 429 with Retry-After.

A client is the `kp_client` cookie the server hands out (a class behind one school NAT shares
an IP, not a cookie), or the remote address when a client sends none. Counters live in
memory with the embedded runner and in Redis with KP_RUNNER=celery, so every web process
of a cohort counts the same. Settings: KP_RATE_LIMIT, KP_RUNS_PER_CLIENT, KP_LIMITS_STORAGE
(docs/operations.md).
"""

from __future__ import annotations

import math
import os
import secrets
import threading
import time
from typing import Any

from flask import Flask, Response, current_app, request
from flask_babel import gettext
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit

from app.runner.base import TERMINAL_EVENTS, UnknownRun
from app.web.errors import ApiError, error_response

COOKIE = "kp_client"
EXEMPT = ("/healthz", "/metrics", "/static/")


def client_key() -> str:
    """The limits' key: the client cookie, else the remote address."""
    cookie = request.cookies.get(COOKIE, "")
    if 8 <= len(cookie) <= 64 and cookie.replace("-", "").replace("_", "").isalnum():
        return "c:" + cookie
    return "ip:" + (request.remote_addr or "unknown")


def _setting(app: Flask, key: str, default: str) -> str:
    value = app.config.get(key, os.environ.get(key))
    return str(value) if value not in (None, "") else default


def backend(app: Flask) -> str:
    """"celery" or "embedded" (KP_RUNNER; the app's config may hold a runner object in tests)."""
    value = app.config.get("KP_RUNNER")
    return value if isinstance(value, str) else os.environ.get("KP_RUNNER", "embedded") or "embedded"


def register(app: Flask) -> None:
    """Install the limiter, the runs-at-once check, the client cookie and the 429 counter."""
    celery = backend(app) == "celery"
    from app.runner import redis_state

    storage = _setting(app, "KP_LIMITS_STORAGE", redis_state.url() if celery else "memory://")
    rate = _setting(app, "KP_RATE_LIMIT", "600 per minute")
    limiter = Limiter(client_key, app=app, application_limits=[rate], storage_uri=storage, key_prefix="kp-limits",
                      on_breach=_rate_breach, headers_enabled=True)
    limiter.request_filter(lambda: request.path.startswith(EXEMPT))
    per_client = int(_setting(app, "KP_RUNS_PER_CLIENT", "4"))
    runs = RedisRuns(redis_state.connect(storage)) if storage.startswith("redis") else MemoryRuns()
    app.extensions["kp_limits"] = {"limiter": limiter, "runs": runs, "per_client": per_client, "rejected": 0}

    @app.errorhandler(RateLimitExceeded)
    def _limited(exc: RateLimitExceeded) -> Response:  # before app.web.errors' generic HTTP handler
        return exc.response or error_response(429, [{"field": "rate", "message": str(exc.description)}],
                                              {"Retry-After": "60"})

    @app.before_request
    def _runs_at_once() -> None:
        if request.endpoint == "api.create_run" and per_client > 0:
            live = runs.live(client_key(), _is_live)
            if live >= per_client:
                retry = int(_setting(app, "KP_RETRY_AFTER", "5"))
                raise ApiError(429, gettext("You already have %(n)s runs going; stop one or wait for it to end.",
                                            n=live), "runs", headers={"Retry-After": str(retry)})

    @app.after_request
    def _after(response: Response) -> Response:
        if request.endpoint == "api.create_run" and response.status_code == 201:
            runs.add(client_key(), response.get_json()["id"])
        if response.status_code == 429:
            with _LOCK:
                app.extensions["kp_limits"]["rejected"] += 1
        minted = any(h.startswith(COOKIE + "=") for h in response.headers.getlist("Set-Cookie"))
        if COOKIE not in request.cookies and not minted and not request.path.startswith(EXEMPT):
            response.set_cookie(COOKIE, secrets.token_urlsafe(12), max_age=30 * 86400, httponly=True,
                                samesite="Lax")
        return response


_LOCK = threading.Lock()


def _rate_breach(limit: RequestLimit) -> Response:
    retry = max(1, math.ceil(limit.reset_at - time.time()))
    return error_response(429, [{"field": "rate", "message": gettext(
        "Too many requests: at most %(limit)s; try again in %(s)s s.", limit=str(limit.limit), s=retry)}],
        {"Retry-After": str(retry)})


def _is_live(run_id: str) -> bool:
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

    def __init__(self, client: Any) -> None:
        self.r = client

    def add(self, client: str, run_id: str) -> None:
        key = f"kp:client:{client}"
        pipe = self.r.pipeline()
        pipe.sadd(key, run_id)
        pipe.expire(key, self.TTL)
        pipe.execute()

    def live(self, client: str, is_live: Any) -> int:
        key = f"kp:client:{client}"
        ids = self.r.smembers(key)
        ended = [i for i in ids if not is_live(i)]
        if ended:
            self.r.srem(key, *ended)
        return len(ids) - len(ended)
