"""Blueprint "api": health, config, datasets, runs and their event streams (no TensorFlow here)."""

from __future__ import annotations

import functools
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_babel import get_locale, gettext
from redis.exceptions import RedisError

from app.classes.hooks import class_check, class_control, class_observe, class_started, class_wall_shows
from app.config.bounds import LEARNING_RATES, REGULARIZATION_RATES
from app.config.dataset_ref import find_dataset
from app.config.lessons import LESSONS
from app.config.live import LIVE_FIELDS, check_live_keys, live_change
from app.config.options import ACTIVATIONS, INITIALIZERS, LOSS_TABLE, OPTIMIZERS, auto_losses
from app.config.run_config import RunConfig
from app.data import datasets
from app.data.features import FEATURES
from app.engine.weight_edit import check_edit
from app.runner.messages import translated_events
from app.share.loss_source import loss_sources
from app.web.errors import ApiError
from app.web.frame_views import parse_wish, watched
from app.web.init_from import DATA_FIELDS, same_start, split_init_from
from app.web.ownership import require_owner
from app.web.requests import run_config_of, runner, settings_from_request, validated
from app.web.stream_caps import stream_response
from app.web.streaming import parse_last_event_id, sse

bp = Blueprint("api", __name__)

START_MODES = ("running", "paused", "step")


@bp.get("/healthz")
def healthz():
    """200 with workers, run and stream counts; 503 saying so when the run store (Redis) is down."""
    streams = current_app.extensions["kp_streams"].health()
    try:
        health = runner().health()
    except RedisError as exc:
        message = gettext("The server's run store (Redis) is not answering; try again in %(s)s s.", s=10)
        return jsonify({"status": "unavailable", "redis": "down", "message": message, "error": type(exc).__name__,
                        "streams": streams}), 503, {"Retry-After": "10"}
    return jsonify({"status": "ok", **health, "streams": streams})


@bp.get("/api/config")
def config_info():
    """Every setting described from RunConfig (kind, bounds, choices, label, help, live), and the page's lists.

    The same for every learner in a language, and every page load asks for it: built once per language (a class
    opening the page together cost the web process ~5 ms of schema building each, docs/performance.md)."""
    return current_app.response_class(_config_body(str(get_locale())), mimetype="application/json")


@functools.lru_cache(maxsize=8)
def _config_body(locale: str) -> str:
    """The /api/config document in `locale`, the request's own (gettext below translates into it)."""
    from app.config.fields import describe_fields  # imported here: this view is the only user in the web layer

    fields = describe_fields(RunConfig, live=LIVE_FIELDS)
    for field in (f for top in fields.values() for f in (top, *top.get("fields", {}).values())):
        label, help_text = field["label"], field["help"]  # English ids (app/config/run_config.py)
        expect = field.get("expect", "")  # English id (app/config/fields.py EXPECT)
        field["msgid"] = {"label": label, "help": help_text, "expect": expect}  # re-translated on a language switch
        field["label"], field["help"] = (gettext(label) if label else ""), (gettext(help_text) if help_text else "")
        field["expect"] = gettext(expect) if expect else ""
    return current_app.json.dumps({
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
        "auto_loss": auto_losses(),  # what loss "auto" trains with: the page's one source of that rule
        "same_start_data": list(DATA_FIELDS),  # what `init_from` takes over from its source run
    }) + "\n"


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

    The query parameter `start` (running, paused or step) says how the run begins; the body's `init_from`
    (a run id) starts it from that run's initial weights and data (app/web/init_from.py).
    """
    start = request.args.get("start", "running")
    if start not in START_MODES:
        raise ApiError(400, gettext("must be one of %(expected)s", expected=", ".join(START_MODES)), "start")
    settings, source_id = split_init_from(settings_from_request())
    config, weights = same_start(settings, source_id) if source_id else (validated(settings), None)
    membership = class_check(config)
    created = runner().submit(config, weights, start=start)
    if membership is not None:
        class_started(membership, created["id"], config)
    body = {**created, "events_url": f"/api/runs/{created['id']}/events"}
    if source_id:
        body["init_from"] = source_id
    return jsonify(body), 201, {"Location": f"/api/runs/{created['id']}"}


@bp.get("/api/runs/<run_id>")
def run_status(run_id: str):
    return jsonify(runner().status(run_id))


@bp.post("/api/runs/<run_id>/<action>")
def run_control(run_id: str, action: str):
    """pause, resume, step, stop; set (live learning rate); edit (a weight or bias); regenerate (new data)."""
    if action not in ("pause", "resume", "step", "stop", "set", "edit", "regenerate"):
        raise ApiError(404, gettext("unknown action '%(action)s'; use pause, resume, step, stop, set, edit or "
                                    "regenerate", action=action), "action")
    args: dict[str, Any] = {}
    if action in ("set", "edit", "regenerate"):  # a malformed body is a 400 before the run is looked up
        data = settings_from_request() if request.content_length else {}
        if action == "regenerate":
            args = {"seed": _number(_object(data), "seed", 0, 2**31 - 1, int)}
        else:
            args = check_live_keys(data) if action == "set" else _edit_args(_object(data))
    status = runner().status(run_id)  # then 404 for an unknown id, before 403 for someone else's run
    require_owner("run", run_id)
    class_control(run_id, action, args)  # a frozen class waits; locked fields stay
    if action in ("set", "edit"):  # checked against the run's own config: what the workers receive is valid for it
        config = run_config_of(status)  # 409 when its upload was deleted since it started
        if action == "set":
            args = live_change(config, args)
        else:
            check_edit(args, config)
    return jsonify(runner().control(run_id, action, args))


def _number(data: dict, key: str, low: float, high: float, kind=float) -> Any:
    value = data.get(key)
    try:
        number = kind(value)
    except (TypeError, ValueError, OverflowError):
        raise ApiError(400, gettext("must be a number from %(low)s to %(high)s", low=low, high=high), key) from None
    if not low <= number <= high or (kind is int and str(value).strip() != str(number)):
        message = (gettext("must be an integer from %(low)s to %(high)s", low=low, high=high) if kind is int
                   else gettext("must be a number from %(low)s to %(high)s", low=low, high=high))
        raise ApiError(400, message, key)
    return number


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ApiError(400, gettext("expected a JSON object"), "body")
    return data


def _edit_args(data: dict[str, Any]) -> dict[str, Any]:
    """A weight or bias edit: kind, layer, value and the indices (checked against the network by check_edit)."""
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
    """The run's event stream (SSE), open to anyone with the id; Last-Event-ID resumes from the buffer."""
    last = parse_last_event_id(request.headers.get("Last-Event-ID") or request.args.get("last_event_id"))
    wish = parse_wish(request.args)
    return stream_response(f"run:{run_id}", lambda: sse(translated_events(
        class_observe(run_id, watched(runner(), run_id, wish, runner().events(run_id, last),
                                      wall=class_wall_shows(run_id))))))
