"""Blueprint "saved": saved runs (list, open, rename, delete, run again), export and safe import."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, redirect, request, url_for
from flask_babel import gettext

from app.runner.tasks import TaskBusy, TaskError, TaskTimeout
from app.settings import current
from app.share.checks import (
    HISTORY_KEYS,
    MAX_OFFSET,
    MAX_RUN_ID,
    SAVED_ID,
    boundary_of,
    count_arg,
    history_of,
    json_object,
    name_of,
)
from app.share.codegen import python_script
from app.share.keras_file import build_keras_file
from app.share.spec import decode_weights, encode_weights, load_import, spec_document, weights_npz
from app.share.store import QuotaExceeded
from app.web.errors import ApiError
from app.web.limits import client_key
from app.web.requests import runner, settings_from_request, store, validated

bp = Blueprint("saved", __name__)


def _quota() -> tuple[int, int]:
    """(saved runs, bytes) one client may keep: KP_SAVED_PER_CLIENT, KP_SAVED_QUOTA_MIB."""
    settings = current()
    return settings.saved_per_client, int(settings.saved_quota_mib * 1024 * 1024)


def _save(*args: Any, **kwargs: Any) -> tuple[dict[str, Any], str]:
    """store().save under the requesting client's quota; 429 naming "saved" when it is used up."""
    try:
        return store().save(*args, **kwargs, owner=client_key(), quota=_quota())
    except QuotaExceeded as exc:
        message = (gettext("you already keep %(n)s saved runs; delete one first", n=exc.limit)
                   if exc.kind == "count" else
                   gettext("your saved runs would use more than %(mib)s MiB; delete one first",
                           mib=exc.limit // (1024 * 1024)))
        raise ApiError(429, message, "saved") from None


RETRY_FAILED = 5  # seconds: a failed .keras build (its process died) is worth one more try soon



def _saved(saved_id: str) -> dict[str, Any]:
    record = store().get(saved_id) if SAVED_ID.match(saved_id) else None
    if record is None:
        raise ApiError(404, gettext("no saved run '%(id)s'", id=saved_id[:40]), "saved")
    return record


@bp.post("/api/saved")
def save_run():
    """Save a finished run by its id (weights and final figures from the server), with the page's curves."""
    data = json_object(settings_from_request())
    name = name_of(data)
    run_id = data.get("run_id")
    if not isinstance(run_id, str) or not 1 <= len(run_id) <= MAX_RUN_ID:
        raise ApiError(400, gettext("run_id of a finished run is required"), "run_id")
    forked = data.get("forked_from")
    if forked is not None and not (isinstance(forked, str) and SAVED_ID.match(forked)):
        raise ApiError(400, gettext("must be the id of a saved run (1 to 16 letters, digits, - or _) or null"),
                       "forked_from")
    result = runner().result(run_id)
    status = runner().status(run_id)
    if result is None:
        raise ApiError(409, gettext("the run has not finished yet: stop it or let it end, then save"), "run_id")
    if "weights" not in result:
        raise ApiError(409, gettext("the run ended before it trained: there are no weights to save"), "run_id")
    summary = {k: v for k, v in result.items() if k != "weights"}
    boundary = boundary_of(data.get("boundary"))
    if boundary:
        summary["boundary"] = boundary
    history = history_of(data.get("history"))
    record, token = _save(name, status["config"], summary, history, result["weights"], forked)
    return jsonify({**record, "edit_token": token, "url": f"/#saved={record['id']}"}), 201


@bp.get("/api/saved")
def list_saved():
    limit = min(max(count_arg("limit", 50), 1), 200)
    offset = count_arg("offset", 0)
    if offset > MAX_OFFSET:
        raise ApiError(400, gettext("must be an integer from %(low)s to %(high)s", low=0, high=MAX_OFFSET), "offset")
    items, total = store().list(limit, offset)
    for item in items:
        item["summary"].pop("boundary", None)  # only the opened run needs its picture
    return jsonify({"items": items, "total": total})


@bp.get("/saved/<saved_id>")
def saved_page(saved_id: str):
    """A short shareable link: the page opens the saved run from its hash."""
    return redirect(url_for("pages.index") + "#saved=" + quote(saved_id, safe=""))


@bp.get("/api/saved/<saved_id>")
def open_saved(saved_id: str):
    record = _saved(saved_id)
    record.pop("weights", None)
    return jsonify(record)


@bp.patch("/api/saved/<saved_id>")
def rename_saved(saved_id: str):
    data = json_object(settings_from_request())
    record = store().rename(saved_id, request.headers.get("X-Edit-Token"), name_of(data))
    if record is None:
        raise ApiError(404, gettext("no saved run '%(id)s'", id=saved_id), "saved")
    return jsonify(record)


@bp.delete("/api/saved/<saved_id>")
def delete_saved(saved_id: str):
    found = store().delete(saved_id, request.headers.get("X-Edit-Token"))
    if not found:
        raise ApiError(404, gettext("no saved run '%(id)s'", id=saved_id), "saved")
    return "", 204


@bp.post("/api/saved/<saved_id>/run")
def run_saved(saved_id: str):
    """Fork: a new run that starts from the saved weights (training continues from them)."""
    record = _saved(saved_id)
    config = validated(record["config"])
    created = runner().submit(config, weights=record["weights"])
    return jsonify({**created, "events_url": f"/api/runs/{created['id']}/events"}), 201


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


EXPORT_KINDS = ("spec.json", "weights.npz", "model.keras", "script.py", "history.csv")


def _export(config_data: dict, weights: list, history: dict | None, kind: str, stem: str) -> Response:
    """One export of a model: its spec, weights, .keras file, script or loss history."""
    config = validated(config_data)  # a 400 naming the field (e.g. an upload since deleted), not a 500
    if kind == "spec.json":
        return _download(json.dumps(spec_document(config), indent=2), "application/json", f"{stem}.json")
    if kind == "weights.npz":
        return _download(weights_npz(config, decode_weights(weights)), "application/octet-stream", f"{stem}.npz")
    if kind == "model.keras":
        return _download(_keras_file(config, weights), "application/octet-stream", f"{stem}.keras")
    if kind == "script.py":
        return _download(_script(config), "text/x-python", f"{stem}.py")
    if kind == "history.csv" and history is not None:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(HISTORY_KEYS)
        columns = [history.get(k) or [None] * len(history["epoch"]) for k in HISTORY_KEYS]
        writer.writerows(zip(*columns, strict=False))
        return _download(buffer.getvalue(), "text/csv", f"{stem}.csv")
    kinds = EXPORT_KINDS if history is not None else EXPORT_KINDS[:-1]
    raise ApiError(404, gettext("export kinds: %(kinds)s", kinds=", ".join(kinds)), "kind")


def _keras_file(config, weights: list) -> bytes:
    """The .keras file from the task pool: busy -> 503 + Retry-After, too slow -> 504, failed -> 503."""
    try:
        return build_keras_file(config, weights)
    except TaskBusy as exc:
        message = gettext("every .keras builder is busy; try again in %(seconds)s s", seconds=exc.retry_after)
        raise ApiError(503, message, "export", headers={"Retry-After": str(exc.retry_after)}) from None
    except TaskTimeout as exc:
        raise ApiError(504, gettext("building the .keras file took longer than %(seconds)s s and was stopped; "
                                    "try again, or download the spec and weights instead", seconds=f"{exc.seconds:g}"),
                       "export") from None
    except (TaskError, OSError) as exc:
        raise ApiError(503, gettext("could not build the .keras file now: %(error)s", error=exc), "export",
                       headers={"Retry-After": str(RETRY_FAILED)}) from None


@bp.get("/api/saved/<saved_id>/export/<kind>")
def export_saved(saved_id: str, kind: str):
    """spec.json, weights.npz, model.keras, script.py or history.csv of a saved run."""
    record = _saved(saved_id)
    return _export(record["config"], record["weights"], record["history"], kind, saved_id)


@bp.get("/api/runs/<run_id>/export/<kind>")
def export_run(run_id: str, kind: str):
    """spec.json, weights.npz, model.keras or script.py of a finished run (kept 10 minutes), without saving it."""
    result = runner().result(run_id)
    status = runner().status(run_id)
    if result is None:
        raise ApiError(409, gettext("the run has not finished yet: stop it or let it end, then export"), "run")
    if "weights" not in result:
        raise ApiError(409, gettext("the run ended before it trained: there are no weights to export"), "run")
    return _export(status["config"], result["weights"], None, kind, f"run-{run_id}")


@bp.post("/api/export/script")
def export_script():
    """The standalone Keras script of a config (shown on the page, copyable)."""
    config = validated(settings_from_request())
    return Response(_script(config), mimetype="text/x-python")


def _script(config) -> str:
    """The Keras script; an uploaded CSV has no generator to carry, so it is refused by name."""
    if config.dataset.startswith("upload:"):
        raise ApiError(400, gettext("the Keras script of a run on an uploaded CSV is not available; the script "
                                    "carries only the built-in dataset generators"), "dataset")
    return python_script(config)


@bp.post("/api/import")
def import_model():
    """Import our JSON spec + .npz weights (never .keras/.h5/pickle) as a saved run."""
    spec, weights = request.files.get("spec"), request.files.get("weights")
    if spec is None or weights is None:
        raise ApiError(400, gettext("send multipart form files 'spec' (our JSON spec) and 'weights' (.npz)"), "spec")
    config, arrays = load_import(spec.read(), weights.read())
    name = (request.form.get("name") or spec.filename or "imported model")[:200]
    record, token = _save(name, config.model_dump(mode="json"), {"imported": True}, history_of(None),
                          encode_weights(arrays))
    return jsonify({**record, "edit_token": token, "url": f"/#saved={record['id']}"}), 201
