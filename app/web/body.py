"""One JSON request-body parser for the whole API, so no odd body can crash or stall a handler.

Python's json module accepts NaN and Infinity (not JSON), integers of thousands of digits
(which overflow float() later) and nesting as deep as the body is long (a RecursionError).
This parser refuses all three with a 400 naming where the value was, before any handler sees
the data. The body's byte size stays limited by MAX_CONTENT_LENGTH (KP_MAX_BODY_KIB).
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import request
from flask_babel import gettext

from app.web.errors import ApiError

MAX_DEPTH = 32  # our deepest model (a sweep's base with per-layer settings) is 5 levels
MAX_INT_DIGITS = 18  # every integer setting fits; beyond this, float() and SQLite overflow


class _Refused:
    """A number parsed out of the body that a handler must never see; ``kind`` says why."""

    __slots__ = ("kind", "text")

    def __init__(self, kind: str, text: str) -> None:
        self.kind, self.text = kind, text


def _constant(text: str) -> _Refused:
    return _Refused("non_finite", text)


def _float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) else _Refused("non_finite", text)


def _int(text: str) -> int | _Refused:
    digits = len(text.lstrip("-"))
    return int(text) if digits <= MAX_INT_DIGITS else _Refused("huge", text)


def _message(refused: _Refused) -> str:
    if refused.kind == "huge":
        return gettext("an integer of %(n)s digits is too large; at most %(max)s digits",
                       n=len(refused.text.lstrip("-")), max=MAX_INT_DIGITS)
    return gettext("%(value)s is not a number JSON allows; send a finite number", value=refused.text[:20])


def _check(data: Any) -> None:
    """Walk the parsed body without recursion: depth bounded, refused numbers reported with their path."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _Refused):
            raise ApiError(400, _message(value), ".".join(path) or "body")
        if isinstance(value, dict | list):
            if len(path) >= MAX_DEPTH:
                raise ApiError(400, gettext("the JSON body is nested more than %(max)s levels deep",
                                            max=MAX_DEPTH), "body")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((item, (*path, str(key))) for key, item in items)


def parse_json(raw: bytes | str) -> Any:
    """Parse a JSON document strictly; ApiError(400) for bad syntax, non-finite or huge numbers, deep nesting."""
    try:
        data = json.loads(raw, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except RecursionError:
        raise ApiError(400, gettext("the JSON body is nested more than %(max)s levels deep", max=MAX_DEPTH),
                       "body") from None
    except (ValueError, TypeError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ApiError(400, gettext("malformed JSON: send a JSON object"), "body") from None
    _check(data)
    return data


def json_body(message: str | None = None) -> dict[str, Any]:
    """The request's JSON object (the body's size was already limited); ApiError(400) naming "body" otherwise."""
    if not request.is_json:
        raise ApiError(400, message or gettext("send a JSON object (Content-Type: application/json)"), "body")
    data = parse_json(request.get_data(cache=True))
    if not isinstance(data, dict):
        raise ApiError(400, message or gettext("send a JSON object"), "body")
    return data
