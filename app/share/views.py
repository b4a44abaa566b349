"""Blueprint "saved": saved runs (list, open, rename, delete, run again), export and safe import."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, redirect, request, url_for
from flask_babel import gettext

from app.share.codegen import python_script
from app.share.keras_file import build_keras_file
from app.share.spec import decode_weights, encode_weights, load_import, spec_document, weights_npz
from app.web.errors import ApiError
from app.web.requests import runner, settings_from_request, store, validated

bp = Blueprint("saved", __name__)
HISTORY_KEYS = ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "learning_rate")
MAX_HISTORY = 50_000
MAX_GRID = 100  # RunConfig.grid_resolution's bound


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ApiError(400, gettext("send a JSON object"), "body")
    return data


def _name(data: dict) -> str:
    name = data.get("name", "")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise ApiError(400, gettext("a name of 1 to 200 characters is required"), "name")
    return name.strip()


def _history(value: Any) -> dict[str, list]:
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
                v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in items):
            raise ApiError(400, gettext("must be a list of at most %(n)s numbers", n=MAX_HISTORY), f"history.{key}")
        out[key] = items
    return out


def _boundary(value: Any) -> dict[str, Any] | None:
    """The page's last boundary grid (frame encoding: base64 of resolution² uint8), shown when the run is opened."""
    if value is None:
        return None
    try:
        resolution, data = int(value["resolution"]), value["data"]
        size = len(base64.b64decode(data, validate=True))
    except (TypeError, KeyError, ValueError, binascii.Error):
        size, resolution = -1, 0
    if not 2 <= resolution <= MAX_GRID or size != resolution * resolution:
        raise ApiError(400, gettext("must be {resolution, data} as in a frame's boundary"), "boundary")
    return {"resolution": resolution, "extent": [-6, 6], "data": data}


def _saved(saved_id: str) -> dict[str, Any]:
    record = store().get(saved_id)
    if record is None:
        raise ApiError(404, gettext("no saved run '%(id)s'", id=saved_id), "saved")
    return record


@bp.post("/api/saved")
def save_run():
    """Save a finished run by its id (weights and final figures from the server), with the page's curves."""
    data = _object(settings_from_request())
    name = _name(data)
    run_id = data.get("run_id")
    if not isinstance(run_id, str):
        raise ApiError(400, gettext("run_id of a finished run is required"), "run_id")
    result = runner().result(run_id)
    status = runner().status(run_id)
    if result is None:
        raise ApiError(409, gettext("the run has not finished yet: stop it or let it end, then save"), "run_id")
    summary = {k: v for k, v in result.items() if k != "weights"}
    boundary = _boundary(data.get("boundary"))
    if boundary:
        summary["boundary"] = boundary
    forked = data.get("forked_from") if isinstance(data.get("forked_from"), str) else None
    record, token = store().save(name, status["config"], summary, _history(data.get("history")),
                                 result["weights"], forked)
    return jsonify({**record, "edit_token": token, "url": f"/#saved={record['id']}"}), 201


@bp.get("/api/saved")
def list_saved():
    try:
        limit = min(max(int(request.args.get("limit", 50)), 1), 200)
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError:
        raise ApiError(400, gettext("limit and offset must be integers"), "limit") from None
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
    data = _object(settings_from_request())
    record = store().rename(saved_id, request.headers.get("X-Edit-Token"), _name(data))
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
        try:
            data = build_keras_file(config, weights)
        except (RuntimeError, OSError) as exc:
            raise ApiError(503, gettext("could not build the .keras file now: %(error)s", error=exc),
                           "export") from None
        return _download(data, "application/octet-stream", f"{stem}.keras")
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
    record, token = store().save(name, config.model_dump(mode="json"), {"imported": True},
                                 _history(None), encode_weights(arrays))
    return jsonify({**record, "edit_token": token, "url": f"/#saved={record['id']}"}), 201
