"""Blueprint "lab": the /lab page and its API (k-fold jobs); no TensorFlow in this process.

POST /api/lab/jobs starts a stratified k-fold comparison (app/lab_config.py), GET
/api/lab/jobs/<id> reports progress and per-fold results, POST .../cancel stops it.
"""

from __future__ import annotations

import atexit
import threading

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext as _

from app.lab.jobs import LabRunner
from app.lab.plan import PRESETS, LabJob, LabModel, parse_job
from app.web.assets import plotly_bundle
from app.web.errors import ApiError

bp = Blueprint("lab", __name__)
_lock = threading.Lock()


def lab_runner() -> LabRunner:
    """The app's lab runner (its worker processes start with the first job)."""
    with _lock:
        runner = current_app.extensions.get("kp_lab")
        if runner is None:
            runner = current_app.config.get("KP_LAB_RUNNER") or LabRunner.from_env()
            current_app.extensions["kp_lab"] = runner
            atexit.register(runner.shutdown)
        return runner


@bp.get("/lab")
def page():
    """The lab page: Sonar (or an upload), k folds, the article's configurations side by side."""
    _path, version = plotly_bundle()
    return render_template("lab.html", plotly_version=version)


@bp.get("/api/lab/presets")
def presets():
    """The default job: Sonar, 10 folds, the course article's three configurations; field help."""
    return jsonify({"job": LabJob().model_dump(), "presets": PRESETS,
                    "help": {name: f.description for name, f in LabModel.model_fields.items()}})


@bp.post("/api/lab/jobs")
def create_job():
    """Validate a job, split the data and queue its folds: 201 with the job's status."""
    from app.lab.folds import load

    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, _("send the lab job as a JSON object"), "body")
    job = parse_job(data)
    try:
        _x, y, classes = load(job.dataset)
    except LookupError:
        raise ApiError(404, _("no upload '%(id)s' (uploads are deleted after a while); upload the CSV again",
                              id=job.dataset.removeprefix("upload:")), "dataset") from None
    status = lab_runner().submit(job, y, classes)
    return jsonify(status), 201, {"Location": f"/api/lab/jobs/{status['id']}"}


def _job(job_id: str, fn) -> dict:
    try:
        return fn(job_id)
    except KeyError:
        raise ApiError(404, _("no lab job '%(id)s' (finished jobs are kept for an hour)", id=job_id), "job") from None


@bp.get("/api/lab/jobs/<job_id>")
def job_status(job_id: str):
    """State, progress, and per configuration its per-fold results with mean ± std so far."""
    return jsonify(_job(job_id, lab_runner().status))


@bp.post("/api/lab/jobs/<job_id>/cancel")
def cancel_job(job_id: str):
    """Stop a job; folds already finished stay in its results."""
    return jsonify(_job(job_id, lab_runner().cancel))
