"""One error shape for the whole API, {"errors": [{"field", "message"}]}, and the one mapping of domain errors.

Views raise domain errors (an unknown run, a full pool, invalid settings, a refused import...) and never build
error responses: each domain exception is registered here once with its status, its `field` and (429)
Retry-After. ApiError remains for refusals that belong to the HTTP edge itself (a wrong content type...).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from app.classes.service import Frozen, LockedField
from app.config.parse import ConfigError
from app.data.csv_table import CsvError
from app.engine.weight_edit import EditRefused
from app.lab.jobs import LabBusy, LabInvalid
from app.lab.plan import LabError
from app.runner.base import RunFull, UnknownRun
from app.share.spec import ImportRefused
from app.share.store import Forbidden

log = logging.getLogger(__name__)

Errors = list[dict[str, Any]]


class ApiError(Exception):
    """A request we refuse: status, the field at fault and a message that says what to do."""

    def __init__(self, status: int, message: str, field: str = "body", headers: dict | None = None,
                 errors: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.status = status
        self.errors = errors or [{"field": field, "message": message}]
        self.headers = headers or {}


def error_response(status: int, errors: list[dict[str, str]], headers: dict | None = None):
    """The JSON error response."""
    response = jsonify({"errors": errors})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _one(field: str, message: Any) -> Errors:
    return [{"field": field, "message": str(message)}]


def _retry(exc: Any) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)}


# Domain exception -> (status, its errors, its headers). The one place where they become HTTP.
DOMAIN_ERRORS: dict[type[Exception], tuple[int, Callable[[Any], Errors], Callable[[Any], dict[str, str]] | None]] = {
    UnknownRun: (404, lambda e: _one("run", gettext(
        "no run with id '%(id)s' (finished runs are kept for 10 minutes)", id=e.run_id)), None),
    RunFull: (429, lambda e: _one("runs", e), _retry),
    ConfigError: (400, lambda e: e.errors, None),
    CsvError: (400, lambda e: e.errors, None),
    LabError: (400, lambda e: e.errors, None),
    LabInvalid: (400, lambda e: _one(e.field, e), None),
    LabBusy: (429, lambda e: _one("jobs", e), _retry),
    EditRefused: (400, lambda e: _one(e.field, e.message), None),
    ImportRefused: (400, lambda e: _one(e.field, gettext(e.template, **e.params)), None),
    Forbidden: (403, lambda e: _one("edit_token", gettext("this saved run can only be changed with its edit token")),
                None),
    LockedField: (400, lambda e: _one(e.field, gettext("locked by your teacher: keep it at %(value)s",
                                                       value=e.value)), None),
    Frozen: (409, lambda e: _one("class", gettext("your teacher has paused the class for a discussion: wait for "
                                                  "the go")), None),
}


def _domain_handler(status: int, errors: Callable[[Any], Errors], headers: Callable[[Any], dict[str, str]] | None):
    def handle(exc: Exception):
        return error_response(status, errors(exc), headers(exc) if headers else None)

    return handle


def register(app: Flask) -> None:
    """Install the handlers: domain errors, ApiError, HTTP errors (404, 405, 413...) and unexpected ones, as JSON."""
    for kind, (status, errors, headers) in DOMAIN_ERRORS.items():
        app.register_error_handler(kind, _domain_handler(status, errors, headers))

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.errors, exc.headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        field = {404: "path", 405: "method", 413: "body"}.get(exc.code or 500, "body")
        message = {
            404: gettext("not found"),
            405: gettext("method not allowed here"),
            413: gettext("the request body is larger than %(kib)s KiB",
                         kib=app.config.get("MAX_CONTENT_LENGTH", 0) // 1024),
        }.get(exc.code or 500, exc.description or exc.name)
        if exc.code == 404 and exc.description and "requested URL" not in exc.description:
            message = exc.description
        headers = {"Allow": ", ".join(exc.valid_methods)} if getattr(exc, "valid_methods", None) else None
        return error_response(exc.code or 500, [{"field": field, "message": message}], headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error")
        message = gettext("internal error; the server keeps running")
        return error_response(500, [{"field": "server", "message": message}])
