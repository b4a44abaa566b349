"""One error shape for the whole API: {"errors": [{"field", "message"}]}, never a 500 for bad input."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


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


def register(app: Flask) -> None:
    """Install the handlers: ApiError, HTTP errors (404, 405, 413...) and unexpected ones, all as JSON."""

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
