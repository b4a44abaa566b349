"""One JSON request-body parser for the whole API, so no odd body can crash or stall a handler.

Python's json module accepts NaN and Infinity (not JSON), integers of thousands of digits
(which overflow float() later) and nesting as deep as the body is long (a RecursionError).
This parser refuses all three with a 400 naming where the value was, before any handler sees
the data. The body's byte size stays limited by MAX_CONTENT_LENGTH (KP_MAX_BODY_KIB).
"""

from __future__ import annotations

import json
import math
import re
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


_LONG_DIGITS = re.compile(rb"[0-9]{%d}" % (MAX_INT_DIGITS + 1))  # maybe a huge integer
_BIG_EXPONENT = re.compile(rb"[eE][+-]?[0-9]{3}")  # maybe 1e999, which float() makes infinite


def _message(refused: _Refused) -> str:
    if refused.kind == "huge":
        return gettext("an integer of %(n)s digits is too large; at most %(max)s digits",
                       n=len(refused.text.lstrip("-")), max=MAX_INT_DIGITS)
    return gettext("%(value)s is not a number JSON allows; send a finite number", value=refused.text[:20])


def _containers(value: Any) -> list[Any]:
    items = value.values() if type(value) is dict else value
    kinds = set(map(type, items))  # C speed: a list of a million numbers is skipped in milliseconds
    if dict not in kinds and list not in kinds:
        return []
    return [item for item in items if type(item) in (dict, list)]


def _check_depth(data: Any) -> None:
    """Nesting at most MAX_DEPTH levels, level by level without recursion (scalars are skipped at C speed)."""
    level = [data] if isinstance(data, dict | list) else []
    for _depth in range(MAX_DEPTH):
        level = [child for value in level for child in _containers(value)]
        if not level:
            return
    raise ApiError(400, gettext("the JSON body is nested more than %(max)s levels deep", max=MAX_DEPTH), "body")


def _locate(data: Any) -> tuple[str, _Refused] | None:
    """The path of the first refused number (only walked when the parser marked one)."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _Refused):
            return ".".join(path)[:200] or "body", value
        if isinstance(value, dict | list):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((item, (*path, str(key))) for key, item in items if isinstance(item, dict | list | _Refused))
    return None


def parse_json(raw: bytes | str, malformed: str | None = None) -> Any:
    """Parse a JSON document strictly; ApiError(400) for bad syntax, non-finite or huge numbers, deep nesting.

    `malformed` is the endpoint's own message for a body that is not JSON at all.
    """
    raw = raw.encode() if isinstance(raw, str) else raw
    marked: list[_Refused] = []

    def refuse(kind: str, text: str) -> _Refused:
        marked.append(_Refused(kind, text))
        return marked[-1]

    hooks: dict[str, Any] = {"parse_constant": lambda text: refuse("non_finite", text)}
    if _BIG_EXPONENT.search(raw) or _LONG_DIGITS.search(raw):  # rare: only then is every number parsed in Python
        hooks["parse_int"] = lambda t: int(t) if len(t.lstrip("-")) <= MAX_INT_DIGITS else refuse("huge", t)
        hooks["parse_float"] = lambda t: v if math.isfinite(v := float(t)) else refuse("non_finite", t)
    try:
        data = json.loads(raw, **hooks)
    except RecursionError:
        raise ApiError(400, gettext("the JSON body is nested more than %(max)s levels deep", max=MAX_DEPTH),
                       "body") from None
    except (ValueError, TypeError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ApiError(400, malformed or gettext("malformed JSON: send a JSON object"), "body") from None
    _check_depth(data)
    if marked:
        path, refused = _locate(data) or ("body", marked[0])
        raise ApiError(400, _message(refused), path)
    return data


def json_body(message: str | None = None) -> dict[str, Any]:
    """The request's JSON object (the body's size was already limited); ApiError(400) naming "body" otherwise."""
    if not request.is_json:
        raise ApiError(400, message or gettext("send a JSON object (Content-Type: application/json)"), "body")
    data = parse_json(request.get_data(cache=True), message)
    if not isinstance(data, dict):
        raise ApiError(400, message or gettext("send a JSON object"), "body")
    return data
