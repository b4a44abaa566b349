"""Blueprint "drawn": POST /api/drawn (points drawn on the map), GET one by id, DELETE one of your own.

A drawn set is stored as an upload (app/data/drawn.py): the same owner cookie, quotas and expiry. Its id
is an unlisted link, as a run's is: anyone with the page's link may read the points (a teacher shares a
puzzle that way); only its owner may delete it, and it is listed with the owner's uploads.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from app.data import drawn, upload_store
from app.web.errors import ApiError
from app.web.uploads import owner

bp = Blueprint("drawn", __name__)


def _translate(error: dict) -> str:
    """A DrawnError entry's message in the reader's language (its id is marked with N_ in app/data/drawn.py)."""
    msgid, params = error["msgid"], error["params"]
    return _(msgid, **params)


def _gone(drawn_id: str) -> ApiError:
    return ApiError(404, _("no drawn set '%(id)s' (drawn sets are deleted after %(hours)g hours); draw it again",
                           id=drawn_id, hours=upload_store.ttl_seconds() / 3600), "drawn")


@bp.post("/api/drawn")
def create_drawn():
    """Validate and store drawn points: {"points": [{"x1", "x2", "label"}, ...]}; 201 with "drawn:<id>"."""
    body = request.get_json(silent=True) if request.is_json else None
    if body is None:
        raise ApiError(400, _("send a JSON object {\"points\": [...]}"), "body")
    try:
        table = drawn.parse(body)
    except drawn.DrawnError as exc:
        errors = [{"field": e["field"], "message": _translate(e)} for e in exc.errors]
        raise ApiError(400, errors[0]["message"], errors=errors) from None
    try:
        meta = drawn.save(table, owner(create=True))
    except upload_store.QuotaExceeded as exc:  # drawn sets count towards the owner's upload quota
        message = (_("you already keep %(n)d uploads; delete one (or wait for one to expire) first", n=exc.limit)
                   if exc.kind == "count" else
                   _("your uploads would use more than %(mib)g MiB; delete one (or wait for one to expire) first",
                     mib=exc.limit / 1024 / 1024))
        raise ApiError(429, message, "points", headers={"Retry-After": str(exc.retry_after)}) from None
    return jsonify(_public(meta)), 201, {"Location": f"/api/drawn/{meta['id']}"}


def _public(meta: dict) -> dict:
    return {"id": meta["id"], "dataset": drawn.PREFIX + meta["id"], "rows": meta["rows"],
            "classes": len(meta["classes"]), "class_counts": meta["class_counts"], "expires": meta["expires"]}


@bp.get("/api/drawn/<drawn_id>")
def get_drawn(drawn_id: str):
    """A drawn set's points (by its id: the link is the permission)."""
    meta = drawn.meta(drawn_id)
    if meta is None:
        raise _gone(drawn_id)
    try:
        points = drawn.points(drawn_id)
    except LookupError:
        raise _gone(drawn_id) from None
    return jsonify({**_public(meta), "points": points})


@bp.delete("/api/drawn/<drawn_id>")
def delete_drawn(drawn_id: str):
    """Delete one of the requester's drawn sets now (it would go at its TTL anyway)."""
    meta = drawn.meta(drawn_id)
    token = owner()
    if meta is None or not token or not secrets.compare_digest(str(meta.get("owner", "")), token):
        raise ApiError(404, _("no drawn set '%(id)s' of yours", id=drawn_id), "drawn")
    upload_store.delete(drawn_id)
    return "", 204
