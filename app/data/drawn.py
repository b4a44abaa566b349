"""Drawn datasets: points a learner placed on the map, checked here and stored as an upload (upload_store).

A drawn set keeps the map's own coordinates (no rescaling, unlike a CSV upload), so what the learner drew
is what trains; the run's noise moves each point and its train/test split applies as for the built-in sets.
Its upload metadata carries ``kind: "drawn"`` and ``dataset: "drawn:<id>"``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.data import upload_store
from app.data.csv_table import Table

PREFIX = "drawn:"
MAX_POINTS = 2_000
MAX_CLASSES = 5
MIN_PER_CLASS = 2
HALF = 6.0  # the map is [-6, 6]²
NOISE_SPAN = 2.0  # at noise 100 % a point moves up to 2 map units along each axis
MAX_ERRORS = 20


def N_(msgid: str) -> str:
    """Marks a message id for extraction; the web layer translates it (no Flask here)."""
    return msgid


class DrawnError(ValueError):
    """Points that cannot be stored: a list of {field, msgid, params} (the web layer translates them)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['msgid'] % e['params']}" for e in errors))
        self.errors = errors


def _error(field: str, msgid: str, **params: Any) -> dict[str, Any]:
    return {"field": field, "msgid": msgid, "params": params}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _check_point(i: int, point: Any, errors: list[dict[str, Any]]) -> tuple[float, float, int] | None:
    """One point's coordinates and class, or None after recording what is wrong with it."""
    if not isinstance(point, dict):
        errors.append(_error(f"points.{i}", N_("expected an object {\"x1\", \"x2\", \"label\"}")))
        return None
    ok = True
    coords = []
    for key in ("x1", "x2"):
        value = _number(point.get(key))
        if value is None or not -HALF <= value <= HALF:
            errors.append(_error(f"points.{i}.{key}", N_("a number from %(lo)g to %(hi)g"), lo=-HALF, hi=HALF))
            ok = False
        coords.append(value)
    label = point.get("label")
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < MAX_CLASSES:
        errors.append(_error(f"points.{i}.label", N_("a class from 0 to %(max)d"), max=MAX_CLASSES - 1))
        ok = False
    return (coords[0], coords[1], label) if ok else None  # type: ignore[return-value]


def parse(body: Any) -> Table:
    """The body {"points": [{"x1", "x2", "label"}, ...]} as a table; DrawnError names each field at fault."""
    points = body.get("points") if isinstance(body, dict) else None
    if not isinstance(points, list):
        raise DrawnError([_error("points", N_("send a list of points {\"x1\", \"x2\", \"label\"}"))])
    if len(points) > MAX_POINTS:
        raise DrawnError([_error("points", N_("at most %(max)d points can be drawn; this set has %(n)d"),
                                 max=MAX_POINTS, n=len(points))])
    errors: list[dict[str, Any]] = []
    rows = []
    for i, point in enumerate(points):
        row = _check_point(i, point, errors)
        if row is not None:
            rows.append(row)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise DrawnError(errors)
    labels = np.array([r[2] for r in rows], np.int64)
    counts = np.bincount(labels, minlength=2) if len(labels) else np.zeros(2, np.int64)
    if np.count_nonzero(counts) < 2:
        raise DrawnError([_error("points", N_("draw points of at least two classes"))])
    short = [k for k, c in enumerate(counts) if c < MIN_PER_CLASS]
    if short:
        raise DrawnError([_error("points", N_("draw at least %(min)d points of every class from 0 to %(last)d "
                                              "(class %(k)d has %(n)d)"), k=short[0], n=int(counts[short[0]]),
                                 min=MIN_PER_CLASS, last=len(counts) - 1)])
    x = np.array([r[:2] for r in rows], np.float32)
    return Table(x, labels, ["x1", "x2"], "label", [str(k) for k in range(len(counts))])


def save(table: Table, owner: str) -> dict[str, Any]:
    """Store a drawn table through the upload store (its quotas and expiry); the metadata with its dataset name."""
    meta = upload_store.save(table, owner, "drawn")
    return upload_store.annotate(meta["id"], kind="drawn", dataset=PREFIX + meta["id"])


def meta(drawn_id: str) -> dict[str, Any] | None:
    """A drawn set's metadata, or None when unknown, expired or not a drawn set."""
    data = upload_store.meta(drawn_id)
    return data if data is not None and data.get("kind") == "drawn" else None


def points(drawn_id: str) -> list[dict[str, Any]]:
    """The stored points as the API takes them; LookupError when gone."""
    x, y, _ = upload_store.load(drawn_id)
    return [{"x1": round(float(a), 4), "x2": round(float(b), 4), "label": int(k)}
            for (a, b), k in zip(x, y, strict=True)]


def generator(drawn_id: str):
    """The dataset generator of a drawn set: every point, moved by the noise (n_samples does not apply)."""

    def generate(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x, y, _ = upload_store.load(drawn_id)
        moved = x + rng.uniform(-1, 1, x.shape) * noise * NOISE_SPAN
        return np.clip(moved, -HALF, HALF).astype(np.float32), y

    return generate
