"""Who may control a run, cancel a sweep or a lab job: the client that created it.

At creation (201) the server records the creating client (the `kp_client` cookie; a request without one
is recorded by its address and by the cookie its response hands out, so a browser's very first request
still owns what it made) and returns a `control_token`; a control request must come from the
same client or carry the token in the X-Control-Token header, else 403. Reading and watching stay
open to anyone holding the id (presenter mode, shared links). Records live in memory with the
embedded runner and in Redis with KP_RUNNER=celery, so every web process of a cohort agrees.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from typing import Any

from flask import Flask, Response, current_app, request
from flask_babel import gettext

from app.web.errors import ApiError

HEADER = "X-Control-Token"
TTL = 6 * 3600  # seconds: longer than a run's budget and a sweep's or lab job's life in memory
CREATORS = {"api.create_run": "run", "saved.run_saved": "run", "sweeps.create_sweep": "sweep",
            "lab.create_job": "lab"}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class MemoryOwners:
    """Owner records in this process; expired ones are dropped as new ones come."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, tuple[list[str], str, float]] = {}

    def set(self, key: str, clients: list[str], digest: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._records) % 256 == 0:
                self._records = {k: v for k, v in self._records.items() if v[2] > now}
            self._records[key] = (clients, digest, now + TTL)

    def get(self, key: str) -> tuple[list[str], str] | None:
        with self._lock:
            record = self._records.get(key)
        return (record[0], record[1]) if record and record[2] > time.monotonic() else None


class RedisOwners:
    """Owner records in Redis (key kp:owner:<kind>:<id>, expiring)."""

    def __init__(self, client: Any) -> None:
        self.r = client

    def set(self, key: str, clients: list[str], digest: str) -> None:
        self.r.set(f"kp:owner:{key}", " ".join([digest, *clients]), ex=TTL)

    def get(self, key: str) -> tuple[list[str], str] | None:
        value = self.r.get(f"kp:owner:{key}")
        if not value:
            return None
        digest, *clients = value.split(" ")
        return clients, digest


def register(app: Flask, owners: MemoryOwners | RedisOwners) -> None:
    """Record the owner of every run, sweep and lab job created, and hand its control token back."""
    app.extensions["kp_owners"] = owners

    @app.after_request
    def _record(response: Response) -> Response:
        kind = CREATORS.get(request.endpoint or "")
        if kind is None or response.status_code != 201 or not response.is_json:
            return response
        from app.web.limits import client_key, has_cookie, issued_cookie

        body = response.get_json()
        token = secrets.token_urlsafe(18)
        clients = [client_key()] if has_cookie() else [client_key(), "c:" + issued_cookie()]
        owners.set(f"{kind}:{body['id']}", clients, _digest(token))
        response.set_data(current_app.json.dumps({**body, "control_token": token}))
        return response


MESSAGES = {
    "run": lambda: gettext("Only the learner who started this run can control it (send its X-Control-Token "
                           "header from an API client); you can still watch it."),
    "sweep": lambda: gettext("Only the learner who started this sweep can cancel it (send its X-Control-Token "
                             "header from an API client); you can still follow it."),
    "lab": lambda: gettext("Only the learner who started this lab job can cancel it (send its X-Control-Token "
                           "header from an API client); you can still follow it."),
}


def is_owner(kind: str, item_id: str) -> bool:
    """Whether this request comes from the creator of `kind` `item_id` (cookie or token).

    An item with no record (started inside the server, e.g. a sweep's trial, or before a restart of the
    embedded server) has no owner to match: False.
    """
    from app.web.limits import client_key

    record = current_app.extensions["kp_owners"].get(f"{kind}:{item_id}")
    if record is None:
        return False
    clients, digest = record
    token = request.headers.get(HEADER, "")
    me = client_key().encode()
    return any(hmac.compare_digest(c.encode(), me) for c in clients) or bool(
        token and len(token) <= 128 and hmac.compare_digest(digest, _digest(token)))


def require_owner(kind: str, item_id: str) -> None:
    """Return when this request comes from the creator of `kind` `item_id`; 403 otherwise."""
    if not is_owner(kind, item_id):
        raise ApiError(403, MESSAGES[kind](), "control_token")
