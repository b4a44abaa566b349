"""Blueprint "uploads": POST /api/uploads (a CSV), GET and DELETE the learner's own uploads.

A learner is known by a random cookie token (kp_owner) set on the first upload; it
is not an account, only what keeps one learner's list apart from another's.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _

from app.data import csv_table as csvdata
from app.data import upload_store
from app.settings import current
from app.web.errors import ApiError

bp = Blueprint("uploads", __name__)

COOKIE = "kp_owner"
MAX_LABEL = 200  # characters of the label column's name (csv_table.MAX_CELL)


def max_bytes() -> int:
    """The largest CSV accepted (KP_UPLOAD_MAX_KIB, default 4 MiB: 10,000 rows × 100 features fit)."""
    return current().upload_max_kib * 1024


def owner(create: bool = False) -> str:
    """The requester's owner token (a new one when `create` and there is none)."""
    token = request.cookies.get(COOKIE, "")
    if upload_store.ID_PATTERN.match(token):
        return token
    if not create:
        return ""
    g.new_owner = secrets.token_urlsafe(16)
    return g.new_owner


@bp.after_app_request
def _set_owner_cookie(response):
    token = g.pop("new_owner", None)
    if token:
        response.set_cookie(COOKIE, token, max_age=30 * 86_400, httponly=True, samesite="Lax")
    return response


@bp.post("/api/uploads")
def create_upload():
    """Validate and store a CSV (multipart field `file`; optional `label`: the label column's name)."""
    file = request.files.get("file")
    if file is None or not file.filename:
        raise ApiError(400, _("send the CSV as a multipart form field named 'file'"), "file")
    limit = max_bytes()
    raw = file.stream.read(limit + 1)
    if len(raw) > limit:
        raise ApiError(413, _("the file is larger than %(kib)d KiB", kib=limit // 1024), "file")
    label = (request.form.get("label") or "").strip() or None
    if label is not None and len(label) > MAX_LABEL:
        raise ApiError(400, _("a column name of at most %(max)d characters", max=MAX_LABEL), "label")
    table = csvdata.parse(raw, label)  # CsvError: a 400 naming rows and columns (app/web/errors.py)
    try:
        meta = upload_store.save(table, owner(create=True), file.filename)
    except upload_store.QuotaExceeded as exc:
        message = (_("you already keep %(n)d uploads; delete one (or wait for one to expire) first", n=exc.limit)
                   if exc.kind == "count" else
                   _("your uploads would use more than %(mib)g MiB; delete one (or wait for one to expire) first",
                     mib=exc.limit / 1024 / 1024))
        raise ApiError(429, message, "file", headers={"Retry-After": str(exc.retry_after)}) from None
    return jsonify(meta), 201, {"Location": f"/api/uploads/{meta['id']}"}


@bp.get("/api/uploads")
def list_uploads():
    """The requester's uploads, newest first."""
    token = owner()
    return jsonify({"uploads": upload_store.owned(token) if token else []})


def _mine(upload_id: str) -> dict:
    data = upload_store.meta(upload_id)
    if data is None or not owner() or not secrets.compare_digest(str(data.get("owner", "")), owner()):
        raise ApiError(404, _("no upload '%(id)s' of yours (uploads are deleted after %(hours)g hours)",
                              id=upload_id, hours=upload_store.ttl_seconds() / 3600), "upload")
    return data


@bp.get("/api/uploads/<upload_id>")
def get_upload(upload_id: str):
    """One of the requester's uploads: rows, features, label, classes and their counts."""
    return jsonify(upload_store.public(_mine(upload_id)))


@bp.delete("/api/uploads/<upload_id>")
def delete_upload(upload_id: str):
    """Delete one of the requester's uploads now (it would go at its TTL anyway)."""
    _mine(upload_id)
    upload_store.delete(upload_id)
    return "", 204
