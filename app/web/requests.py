"""What every blueprint needs from a request: the app's runner and store, the settings in the body, validated.

Shared here so blueprints never import each other's helpers.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import current_app, request
from flask_babel import gettext

from app.config.parse import ConfigError, parse_config
from app.config.run_config import RunConfig
from app.runner.base import Runner
from app.share.store import SavedStore
from app.web.body import parse_json
from app.web.errors import ApiError

LIST_FIELDS = ("features", "hidden_layers")
_store_lock = threading.Lock()


def runner() -> Runner:
    """The app's runner, started on first use."""
    return current_app.extensions["kp_runner"]()


def store() -> SavedStore:
    """The app's saved-runs store (finished sweeps are stored beside them), created and migrated on first use."""
    with _store_lock:
        if "kp_store" not in current_app.extensions:
            current_app.extensions["kp_store"] = SavedStore(current_app.config["KP_DATABASE_URL"])
        return current_app.extensions["kp_store"]


def settings_from_request() -> dict[str, Any]:
    """The request's settings as a dict: a JSON object, or form fields (lists repeated or comma-separated)."""
    if request.is_json:
        # strict (app/web/body.py): no NaN, huge integers or deep nesting
        return parse_json(request.get_data(cache=True), gettext("malformed JSON: send a JSON object of settings"))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        out: dict[str, Any] = {}
        for key in request.form:
            values = request.form.getlist(key)
            if key in LIST_FIELDS:
                items = [v for value in values for v in value.split(",")]
                out[key] = [v.strip() for v in items if v.strip()]
            else:
                out[key] = values[-1]
        return out
    raise ApiError(400, gettext("wrong content type '%(type)s': send application/json or form fields",
                                type=request.mimetype or "none"), "content_type")


def validated(data: Any) -> RunConfig:
    """The settings as a RunConfig; ConfigError (a 400 naming each field, app/web/errors.py) otherwise."""
    return parse_config(data)


def run_config_of(status: dict[str, Any]) -> RunConfig:
    """A live run's own settings, validated again: 409 when they no longer hold (its upload was deleted)."""
    try:
        return parse_config(status["config"])
    except ConfigError as exc:
        raise ApiError(409, str(exc), errors=exc.errors) from None
