"""Blueprint "api": health, config, datasets, runs and their event streams (no TensorFlow here)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context
from flask_babel import gettext

from app.classes.hooks import class_check, class_control, class_observe, class_started
from app.config.lessons import LESSONS
from app.config.options import ACTIVATIONS, INITIALIZERS, LOSS_TABLE, OPTIMIZERS
from app.config.run_config import (
    LEARNING_RATES,
    REGULARIZATION_RATES,
    ConfigError,
    RunConfig,
    find_dataset,
    parse_config,
)
from app.data import datasets
from app.data.features import FEATURES
from app.engine.weight_edit import check_edit
from app.runner.base import LIVE_FIELDS, RunFull, UnknownRun
from app.runner.messages import translated_events
from app.share.loss_source import loss_sources
from app.web.errors import ApiError
from app.web.streaming import HEADERS, parse_last_event_id, sse

bp = Blueprint("api", __name__)

LIST_FIELDS = ("features", "hidden_layers")
START_MODES = ("running", "paused", "step")


def runner():
    """The app's runner, started on first use."""
    return current_app.extensions["kp_runner"]()


def settings_from_request() -> dict[str, Any]:
    """The request's settings as a dict: a JSON object, or form fields (lists repeated or comma-separated)."""
    if request.is_json:
        data = request.get_json(silent=True)
        if data is None:
            raise ApiError(400, gettext("malformed JSON: send a JSON object of settings"), "body")
        return data
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        out: dict[str, Any] = {}
        for key in request.form:
            values = request.form.getlist(key)
            if key in LIST_FIELDS:
                items = [v for value in values for v in value.split(",")]
                out[key] = [v.strip() for v in items if v.strip()]
            else:
                out[key] = values[-1]
        return out
    raise ApiError(400, gettext("wrong content type '%(type)s': send application/json or form fields",
                                type=request.mimetype or "none"), "content_type")


def validated(data: Any) -> RunConfig:
    try:
        return parse_config(data)
    except ConfigError as exc:
        raise ApiError(400, str(exc), errors=exc.errors) from None


def _run(run_id: str, fn, *args):
    try:
        return fn(run_id, *args)
    except UnknownRun:
        raise ApiError(404, gettext("no run with id '%(id)s' (finished runs are kept for 10 minutes)", id=run_id),
                       "run") from None


@bp.get("/healthz")
def healthz():
    """200 with workers and run counts; the runner is started if it was not yet."""
    return jsonify({"status": "ok", **runner().health()})


@bp.get("/api/config")
def config_info():
    """Every setting described from RunConfig (kind, bounds, choices, label, help, live), and the page's lists."""
    from app.config.fields import describe_fields  # imported here: this view is the only user in the web layer

    fields = describe_fields(RunConfig, live=LIVE_FIELDS)
    for field in (f for top in fields.values() for f in (top, *top.get("fields", {}).values())):
        label, help_text = field["label"], field["help"]  # English ids (app/config/run_config.py)
        field["msgid"] = {"label": label, "help": help_text}  # the page re-translates them on a language switch
        field["label"], field["help"] = (gettext(label) if label else ""), (gettext(help_text) if help_text else "")
    return jsonify({
        "fields": fields,
        "domain": list(datasets.DOMAIN),
        "defaults": RunConfig().model_dump(mode="json"),
        "schema": RunConfig.model_json_schema(),
        "datasets": [{"name": d.name, "problem": d.problem, "title": d.title, "n_classes": d.n_classes,
                      "multiclass": d.multiclass} for d in datasets.DATASETS.values()],
        "features": [{"name": name, "label": label} for name, (label, _) in FEATURES.items()],
        "learning_rates": LEARNING_RATES,
        "regularization_rates": REGULARIZATION_RATES,
        "activations": ACTIVATIONS,
        "initializers": INITIALIZERS,
        "optimizers": OPTIMIZERS,
        "losses": [{"name": n, "problem": p, "output": o} for n, (p, o) in LOSS_TABLE.items()],
    })


@bp.get("/api/losses")
def losses():
    """Each loss's code, as the page shows it (the project's own functions; never user code)."""
    return jsonify(loss_sources())


@bp.get("/api/lessons")
def lessons():
    """The course's lessons: text, question, base settings and the comparison they run."""
    return jsonify(LESSONS)


@bp.get("/api/datasets/<name>")
def dataset(name: str):
    """Points of a dataset, split into train and test, so the page can draw them before training."""
    try:
        info = find_dataset(name)
    except ValueError as exc:
        raise ApiError(404, str(exc).removeprefix("dataset: "), "dataset") from None
    if info is None:
        raise ApiError(404, gettext("unknown dataset '%(name)s'; choose one of %(choices)s", name=name,
                                    choices=", ".join(datasets.DATASETS)), "dataset")
    allowed = ("n_samples", "noise", "train_ratio", "seed", "n_classes")
    unknown = [k for k in request.args if k not in allowed]
    if unknown:
        raise ApiError(400, gettext("unknown parameter '%(name)s'; allowed: %(allowed)s", name=unknown[0],
                                    allowed=", ".join(allowed)), unknown[0])
    config = validated({"dataset": name, "problem": info.problem, **{k: request.args[k] for k in request.args}})
    split = datasets.make(name, config.n_samples, config.noise, config.train_ratio, config.seed, config.n_classes)

    def part(x, y):
        return {"x1": x[:, 0].round(4).tolist(), "x2": x[:, 1].round(4).tolist(), "label": y.round(4).tolist()}

    return jsonify({"name": name, "problem": info.problem, "n_classes": config.classes,
                    "train": part(split.x_train, split.y_train), "test": part(split.x_test, split.y_test)})


@bp.post("/api/runs")
def create_run():
    """Validate the settings and start (or queue) a run: 201 {id, events_url}.

    The query parameter `start` (running, paused or step) says how the run begins.
    """
    start = request.args.get("start", "running")
    if start not in START_MODES:
        raise ApiError(400, gettext("must be one of %(expected)s", expected=", ".join(START_MODES)), "start")
    config = validated(settings_from_request())
    membership = class_check(config)
    try:
        created = runner().submit(config, start=start)
    except RunFull as exc:
        raise ApiError(429, str(exc), "runs", headers={"Retry-After": str(exc.retry_after)}) from None
    if membership is not None:
        class_started(membership, created["id"], config)
    body = {**created, "events_url": f"/api/runs/{created['id']}/events"}
    return jsonify(body), 201, {"Location": f"/api/runs/{created['id']}"}


@bp.get("/api/runs/<run_id>")
def run_status(run_id: str):
    return jsonify(_run(run_id, runner().status))


@bp.post("/api/runs/<run_id>/<action>")
def run_control(run_id: str, action: str):
    """pause, resume, step, stop; set (live learning rate); edit (a weight or bias); regenerate (new data)."""
    if action not in ("pause", "resume", "step", "stop", "set", "edit", "regenerate"):
        raise ApiError(404, gettext("unknown action '%(action)s'; use pause, resume, step, stop, set, edit or "
                                    "regenerate", action=action), "action")
    args: dict[str, Any] = {}
    if action in ("set", "edit", "regenerate"):
        args = _control_args(action, settings_from_request() if request.content_length else {})
    class_control(run_id, action, args)
    if action == "edit":
        check_edit(args, RunConfig.model_validate(_run(run_id, runner().status)["config"]))
    return jsonify(_run(run_id, runner().control, action, args))


def _number(data: dict, key: str, low: float, high: float, kind=float) -> Any:
    value = data.get(key)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ApiError(400, gettext("must be a number from %(low)s to %(high)s", low=low, high=high), key) from None
    if not low <= number <= high or (kind is int and str(value).strip() != str(number)):
        message = (gettext("must be an integer from %(low)s to %(high)s", low=low, high=high) if kind is int
                   else gettext("must be a number from %(low)s to %(high)s", low=low, high=high))
        raise ApiError(400, message, key)
    return number


def _control_args(action: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ApiError(400, gettext("expected a JSON object"), "body")
    if action == "set":
        unknown = [k for k in data if k not in LIVE_FIELDS]
        if unknown or not data:
            raise ApiError(400, gettext("only %(fields)s change live; other settings start a new run",
                                        fields=", ".join(LIVE_FIELDS)), unknown[0] if unknown else "body")
        values = validated(data).model_dump()  # the same bounds and messages as at the start of a run
        return {k: values[k] for k in data}
    if action == "regenerate":
        return {"seed": _number(data, "seed", 0, 2**31 - 1, int)}
    kind = data.get("kind", "weight")
    if kind not in ("weight", "bias"):
        raise ApiError(400, gettext("must be 'weight' or 'bias'"), "kind")
    out = {"kind": kind, "layer": _number(data, "layer", 0, 64, int), "value": _number(data, "value", -100, 100)}
    if kind == "bias":
        out["node"] = _number(data, "node", 0, 64, int)
    else:
        out["source"] = _number(data, "source", 0, 64, int)
        out["target"] = _number(data, "target", 0, 64, int)
    return out


@bp.get("/api/runs/<run_id>/events")
def run_events(run_id: str):
    """The run's event stream (SSE); Last-Event-ID resumes from the buffer."""
    last = parse_last_event_id(request.headers.get("Last-Event-ID") or request.args.get("last_event_id"))
    events = _run(run_id, runner().events, last)
    return Response(stream_with_context(sse(translated_events(class_observe(run_id, events)))),
                    mimetype="text/event-stream", headers=HEADERS)
