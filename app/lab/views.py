"""Blueprint "lab": the /lab page and its API (k-fold jobs); no TensorFlow in this process.

POST /api/lab/jobs starts a stratified k-fold comparison (app/lab_config.py), GET
/api/lab/jobs/<id> reports progress and per-fold results, POST .../cancel stops it.
"""

from __future__ import annotations

import atexit
import threading

from flask import Blueprint, current_app, jsonify, render_template
from flask_babel import gettext as _

from app.lab.jobs import ACTIVE, LabRunner
from app.lab.plan import FOLD_SECONDS, JOB_SECONDS, PRESETS, LabJob, LabModel, check_work, parse_job
from app.settings import current
from app.web.assets import plotly_bundle
from app.web.body import json_body
from app.web.errors import ApiError
from app.web.limits import client_key
from app.web.ownership import require_owner

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

    data = json_body(_("send the lab job as a JSON object"))
    job = parse_job(data)
    try:
        x, y, classes = load(job.dataset)
    except LookupError:
        raise ApiError(404, _("no upload '%(id)s' (uploads are deleted after a while); upload the CSV again",
                              id=job.dataset.removeprefix("upload:")), "dataset") from None
    check_work(job, len(y), x.shape[1], _budget("KP_LAB_FOLD_SECONDS", FOLD_SECONDS),
               _budget("KP_LAB_JOB_SECONDS", JOB_SECONDS))
    _client_has_room()
    status = lab_runner().submit(job, y, classes)
    current_app.extensions["kp_limits"]["lab"].add(client_key(), status["id"])
    return jsonify(status), 201, {"Location": f"/api/lab/jobs/{status['id']}"}


def _budget(key: str, default: float) -> float:
    """A lab time budget from the settings (KP_LAB_FOLD_SECONDS, KP_LAB_JOB_SECONDS)."""
    return float(getattr(current(), key.removeprefix("KP_").lower(), default))


def _client_has_room() -> None:
    """429 when this learner already has KP_LAB_JOBS_PER_CLIENT jobs queued or running (0 = no cap)."""
    limits = current_app.extensions["kp_limits"]
    cap = limits["lab_per_client"]
    if cap <= 0:
        return

    def live(job_id: str) -> bool:
        try:
            return lab_runner().status(job_id)["state"] in ACTIVE
        except KeyError:
            return False

    if limits["lab"].live(client_key(), live) >= cap:
        raise ApiError(429, _("you already have %(n)s lab jobs running; wait for one to finish or cancel it",
                              n=cap), "jobs", headers={"Retry-After": "30"})


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
    """Stop a job (its creator only); folds already finished stay in its results."""
    if _job(job_id, lab_runner().status)["state"] in ACTIVE:  # 404 before 403; an ended job changes no more
        require_owner("lab", job_id)
    return jsonify(_job(job_id, lab_runner().cancel))
