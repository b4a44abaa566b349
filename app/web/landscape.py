"""Blueprint "landscape": POST /api/runs/<id>/landscape, the loss landscape of a paused or finished run.

Validated here (the body, the run's state, the size limits of app/engine/landscape_plan.py) before the run's
training process is asked; no TensorFlow in this process.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext

from app.engine.landscape_plan import LandscapeRefused, LandscapeUnavailable, check_size, parse_request
from app.web.body import parse_json
from app.web.errors import ApiError
from app.web.ownership import require_owner
from app.web.requests import run_config_of, runner

bp = Blueprint("landscape", __name__)
READY_STATES = ("paused", "done")


@bp.post("/api/runs/<run_id>/landscape")
def run_landscape(run_id: str):
    """The training loss along the line from the initial weights and over a plane around the current ones."""
    data = parse_json(request.get_data(cache=True), gettext("malformed JSON: send a JSON object")) \
        if request.content_length else {}
    params = parse_request(data)  # 400 naming the field, before the run is looked up
    status = runner().status(run_id)  # 404 for an unknown run
    require_owner("run", run_id)
    if status["state"] not in READY_STATES:
        message = (gettext("this run ended with an error; its landscape is not drawn") if status["state"] == "error"
                   else gettext("pause the run (or let it finish) first: the landscape is drawn for weights that "
                                "stand still"))
        raise ApiError(409, message, "run")
    config = run_config_of(status)
    try:
        check_size(config, params)
        result = runner().landscape(run_id, params.model_dump())
    except LandscapeRefused as exc:
        raise ApiError(400, str(exc.message), exc.field) from None
    except LandscapeUnavailable as exc:
        raise ApiError(exc.status, str(exc.message), exc.field,
                       headers={"Retry-After": "5"} if exc.status == 503 else None) from None
    return jsonify(result)
