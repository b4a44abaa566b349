"""Checks of the saved-runs API's request fields: name, curves, boundary, ids and paging (bounded, cheap first)."""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any

from flask import request
from flask_babel import gettext

from app.config.bounds import MAX_EPOCHS
from app.web.errors import ApiError

HISTORY_KEYS = ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "learning_rate")
MAX_HISTORY = MAX_EPOCHS  # one point per epoch: no run produces more
MAX_GRID = 100  # RunConfig.grid_resolution's bound
MAX_OFFSET = 1_000_000  # far past any class's saved runs; SQLite overflows past 2**63
SAVED_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")  # the saved_runs.id column
MAX_RUN_ID = 64


def json_object(data: Any) -> dict[str, Any]:
    """The body as an object, or a 400 naming it."""
    if not isinstance(data, dict):
        raise ApiError(400, gettext("send a JSON object"), "body")
    return data


def name_of(data: dict) -> str:
    """A saved run's name: 1 to 200 characters once trimmed."""
    name = data.get("name", "")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise ApiError(400, gettext("a name of 1 to 200 characters is required"), "name")
    return name.strip()


def history_of(value: Any) -> dict[str, list]:
    """Curves from the page: lists of numbers (or null) under the known keys, bounded in size."""
    if value is None:
        return {k: [] for k in HISTORY_KEYS}
    if not isinstance(value, dict) or set(value) - set(HISTORY_KEYS):
        raise ApiError(400, gettext("history must be an object with keys among %(keys)s",
                                    keys=", ".join(HISTORY_KEYS)), "history")
    out = {}
    for key in HISTORY_KEYS:
        items = value.get(key, [])
        if not isinstance(items, list) or len(items) > MAX_HISTORY or not all(
                v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
                for v in items):
            raise ApiError(400, gettext("must be a list of at most %(n)s numbers", n=MAX_HISTORY), f"history.{key}")
        out[key] = items
    return out


def boundary_of(value: Any) -> dict[str, Any] | None:
    """The page's last boundary grid (frame encoding: base64 of resolution² uint8), shown when the run is opened."""
    if value is None:
        return None
    try:
        resolution, data = int(value["resolution"]), value["data"]
        if len(data) > 4 * (MAX_GRID * MAX_GRID + 2) // 3:  # its length before decoding it
            raise ValueError("longer than any grid")
        size = len(base64.b64decode(data, validate=True))
    except (TypeError, KeyError, ValueError, binascii.Error):
        size, resolution = -1, 0
    if not 2 <= resolution <= MAX_GRID or size != resolution * resolution:
        raise ApiError(400, gettext("must be {resolution, data} as in a frame's boundary"), "boundary")
    return {"resolution": resolution, "extent": [-6, 6], "data": data}


def count_arg(name: str, default: int) -> int:
    """A non-negative integer query parameter, checked by its length before it is parsed."""
    raw = request.args.get(name, str(default)).strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        raise ApiError(400, gettext("limit and offset must be integers"), name)
    return int(raw)
