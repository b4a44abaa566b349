"""Blueprint "sweeps": start a grid, random or lesson sweep, follow it, cancel it, export its table.

Validation happens here, before any trial starts: the spec (app/sweep.py), every expanded run's
settings (RunConfig), the per-sweep run cap (MAX_RUNS) and the per-client cap of sweeps at once.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import gettext

from app.config.lessons import lesson_by_id, lesson_configs
from app.settings import current
from app.sweeps.jobs import SweepManager, SweepSettings
from app.sweeps.plan import MAX_RUNS, METRICS, expand, parse_spec
from app.sweeps.state import Sweep
from app.web.body import json_body
from app.web.errors import ApiError
from app.web.limits import client_key
from app.web.ownership import require_owner
from app.web.requests import store
from app.web.stream_caps import stream_response
from app.web.streaming import parse_last_event_id, sse

bp = Blueprint("sweeps", __name__)


def manager() -> SweepManager:
    """This app's sweep manager (one per web process, next to its runner)."""
    ext = current_app.extensions
    if "kp_sweeps" not in ext:
        settings = SweepSettings.from_settings(ext["kp_settings"])
        db = store()  # the saved runs' database: finished sweeps are stored beside them
        ext["kp_sweeps"] = SweepManager(ext["kp_runner"], settings,
                                        archive=lambda sweep: db.save_sweep(sweep.id, sweep.state, sweep.view()),
                                        lookup=db.get_sweep)
    return ext["kp_sweeps"]


def _trials_per_client() -> int:
    """KP_SWEEP_TRIALS_PER_CLIENT (0 = no cap): trials one learner's unfinished sweeps may still have to run."""
    return current().sweep_trials_per_client


def _body() -> dict[str, Any]:
    return json_body(gettext("send a JSON object: a sweep spec or {\"lesson\": id}"))


def _lesson_runs(data: dict[str, Any]) -> tuple[str, list[str], list, dict[str, Any], str]:
    unknown = [k for k in data if k not in ("lesson", "repeats")]
    if unknown:
        raise ApiError(400, gettext("unknown field '%(name)s'; a lesson sweep takes lesson and repeats",
                                    name=unknown[0]), unknown[0])
    lesson = lesson_by_id(str(data["lesson"])[:80])
    if lesson is None:
        raise ApiError(404, gettext("no lesson with id '%(id)s'", id=str(data["lesson"])[:80]), "lesson")
    repeats = data.get("repeats", 1)
    if not isinstance(repeats, int) or isinstance(repeats, bool) or not 1 <= repeats <= 5:
        raise ApiError(400, gettext("must be an integer from 1 to 5"), "repeats")
    compare = lesson["compare"]
    values = compare["values"]
    if len(values) * repeats > MAX_RUNS:
        raise ApiError(400, gettext("more than %(max)s runs; use fewer repeats", max=MAX_RUNS), "repeats")
    configs = lesson_configs(lesson)
    runs = []
    for index, (value, config) in enumerate(zip(values, configs, strict=True)):
        point = dict(value) if compare.get("overrides") else {compare["field"]: value}
        for repeat in range(repeats):
            runs.append((index, point, config.model_copy(update={"seed": config.seed + repeat})))
    params = sorted({k for v in values for k in v}) if compare.get("overrides") else [compare["field"]]
    return "lesson", params, runs, lesson["config"], lesson["id"]


def _spec_runs(data: dict[str, Any]) -> tuple[str, list[str], list, dict[str, Any], None]:
    spec = parse_spec(data)
    runs = expand(spec)
    base = {k: v for k, v in spec.base.items() if k not in spec.params}  # swept values are never stored twice
    return spec.mode, list(spec.params), runs, base, None


def _sweep(sweep_id: str) -> Sweep:
    sweep = manager().get(sweep_id)
    if sweep is None:
        raise ApiError(404, gettext("no sweep with id '%(id)s' (a sweep is stored once it has finished; one cut "
                                    "short by a server restart is lost)", id=sweep_id), "sweep")
    return sweep


@bp.post("/api/sweeps")
def create_sweep():
    """Validate and queue a sweep: 201 {id, events_url, runs}; 429 when this client has too many at once."""
    data = _body()
    kind, params, runs, base, lesson = _lesson_runs(data) if "lesson" in data else _spec_runs(data)
    sweeps = manager()
    client = client_key()  # the cookie, as every per-client limit (a class behind one NAT shares an address)
    cap = sweeps.settings.per_client
    if sweeps.active_for(client) >= cap:
        raise ApiError(429, gettext("you already have %(n)s sweeps running; wait for one to finish or cancel it",
                                    n=cap), "sweeps", headers={"Retry-After": "10"})
    trials_cap = _trials_per_client()
    waiting = sweeps.unfinished_trials(client)
    if trials_cap and waiting + len(runs) > trials_cap:
        raise ApiError(429, gettext("your sweeps already have %(n)s trials to run and this one adds %(more)s; at most "
                                    "%(max)s per learner: wait for them or cancel a sweep", n=waiting,
                                    more=len(runs), max=trials_cap), "sweeps", headers={"Retry-After": "30"})
    sweep = sweeps.create(client, kind, params, runs, base, lesson)
    body = {"id": sweep.id, "runs": len(runs), "events_url": f"/api/sweeps/{sweep.id}/events"}
    return jsonify(body), 201, {"Location": f"/api/sweeps/{sweep.id}"}


@bp.get("/api/sweeps/<sweep_id>")
def sweep_status(sweep_id: str):
    """Progress, every trial (state, metrics, thumbnail, curves), the mean ± std table and the best point."""
    return jsonify(_sweep(sweep_id).view())


@bp.get("/api/sweeps/<sweep_id>/events")
def sweep_events(sweep_id: str):
    """SSE: `progress` (counts and table), `trial` (one ended trial in full), then `done`."""
    sweep = _sweep(sweep_id)
    last = parse_last_event_id(request.headers.get("Last-Event-ID") or request.args.get("last_event_id")) or 0
    heartbeat = current_app.extensions["kp_runner"]().settings.heartbeat
    return stream_response(f"sweep:{sweep_id}", lambda: sse(sweep.follow(last, heartbeat)))


@bp.post("/api/sweeps/<sweep_id>/cancel")
def cancel_sweep(sweep_id: str):
    """Stop the sweep (its creator only): pending trials are dropped, running ones stopped at once."""
    sweep = _sweep(sweep_id)
    if not sweep.ended:  # cancelling an ended sweep changes nothing (and its owner may be forgotten by a restart)
        require_owner("sweep", sweep_id)
        manager().cancel(sweep)
    return jsonify(sweep.progress())


@bp.get("/api/sweeps/<sweep_id>/results.csv")
def sweep_csv(sweep_id: str):
    """The results table as CSV: one row per point, mean and std of each metric over its repeats."""
    sweep = _sweep(sweep_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*sweep.params, "runs", "failed", *(f"{m}{s}" for m in METRICS for s in ("", "_std")), "best"])
    for row in sweep.rows():
        writer.writerow([_cell(row["params"].get(p)) for p in sweep.params] + [row["runs"], row["failed"]]
                        + [_cell(row[f"{m}{s}"]) for m in METRICS for s in ("", "_std")] + [int(row["best"])])
    headers = {"Content-Disposition": f'attachment; filename="sweep-{sweep.id}.csv"'}
    return Response(out.getvalue(), mimetype="text/csv", headers=headers)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, dict)):
        return str(value).replace("'", "")
    return value
