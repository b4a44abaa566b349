"""Blueprint "classes": the class API (learners by code, the teacher by id + token) and its two pages."""

from __future__ import annotations

import json
import threading
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context
from flask_babel import gettext

from app.classes import guesses, plan
from app.classes.board import leaderboard_csv
from app.classes.hub import MemoryHub, RedisHub
from app.classes.service import ClassClosed, ClassService, NotMember
from app.classes.store import ClassStore, NameTaken, NotTeacher
from app.web.errors import ApiError
from app.web.streaming import HEADERS, parse_last_event_id, sse

bp = Blueprint("classes", __name__)
_LOCK = threading.Lock()


def service() -> ClassService:
    """The app's class service, made on first use (its hub follows the runner backend)."""
    with _LOCK:
        if "kp_classes" not in current_app.extensions:
            from app.web.limits import backend

            if backend(current_app) == "celery":
                from app.runner import redis_state

                hub: Any = RedisHub(redis_state.connect())
            else:
                hub = MemoryHub()
            url = current_app.config["KP_DATABASE_URL"]
            current_app.extensions["kp_classes"] = ClassService(
                lambda: ClassStore(url), hub, current_app.extensions["kp_runner"])  # the database on first use
        return current_app.extensions["kp_classes"]


def client() -> str:
    from app.web.limits import client_key

    return client_key()


def _body() -> dict[str, Any]:
    from app.web.body import parse_json  # strict: no NaN, huge integers or deep nesting

    data = parse_json(request.get_data(cache=True), gettext("expected a JSON object")) if request.content_length else {}
    if not isinstance(data, dict):
        raise ApiError(400, gettext("expected a JSON object"), "body")
    return data


def _spec_error(exc: plan.SpecError) -> ApiError:
    first = exc.errors[0]
    return ApiError(400, first["message"], first["field"], errors=exc.errors)


def _teacher(class_id: str) -> dict[str, Any]:
    token = request.headers.get("X-Teacher-Token") or request.args.get("token")
    try:
        klass = service().store.check_teacher(class_id, token)
    except NotTeacher:
        raise ApiError(403, gettext("this needs the class's teacher token (header X-Teacher-Token)"),
                       "X-Teacher-Token") from None
    if klass is None:
        raise ApiError(404, gettext("no class with id '%(id)s'", id=class_id[:40]), "class")
    return klass


def _open(code: str) -> dict[str, Any]:
    try:
        return service().open_class(code)
    except ClassClosed:
        raise ApiError(404, gettext("no open class with code '%(code)s': check the code on the board",
                                    code=code[:20]), "code") from None


@bp.post("/api/classes")
def create_class():
    """Start a class: 201 {id, code, teacher_token, join_url, teacher_url}."""
    try:
        spec, preset = plan.parse_spec(_body())
    except plan.SpecError as exc:
        raise _spec_error(exc) from None
    record, token = service().store.create(
        spec.name or gettext("Class"), preset.model_dump(mode="json"), spec.locked,
        spec.challenge.model_dump() if spec.challenge else None, spec.anonymous)
    body = {"id": record["id"], "code": record["code"], "teacher_token": token,
            "join_url": f"{request.host_url}c/{record['code']}",
            "teacher_url": f"/teach/{record['id']}#token={token}", "class": record}
    return jsonify(body), 201, {"Location": f"/api/classes/{record['id']}"}


@bp.get("/api/classes/challenges")
def challenges():
    """Ready-made challenges (Day 65's exercises) a teacher can start a class with, titled in the request's language."""
    out = []
    for challenge in plan.CHALLENGES:
        title = challenge["title"]  # marked with N_ in plan.py
        out.append({**challenge, "title": gettext(title)})
    return jsonify(out)


@bp.get("/api/classes/code/<code>")
def class_by_code(code: str):
    """What a learner sees before and after joining: the class's name, preset, locks, challenge, state."""
    klass = _open(code)
    found = service().store.membership(client())
    mine = found[1] if found and found[0]["id"] == klass["id"] else None
    return jsonify({**{k: v for k, v in klass.items() if k != "spotlight"}, "me": mine})


@bp.post("/api/classes/<code>/join")
def join(code: str):
    """Join a class with a name (or none: an animal name); 409 when the name is taken."""
    data = _body()
    name = data.get("name")
    if name not in (None, ""):
        name = plan.clean_name(name)
        if name is None:
            raise ApiError(400, gettext("a name of 1 to %(n)s characters", n=plan.MAX_NAME), "name")
    from app.web.limits import has_cookie, issued_cookie

    who = client() if has_cookie() else "c:" + issued_cookie()  # the cookie this answer hands out
    try:
        klass, member = service().join(code, who, name)
    except ClassClosed:
        raise ApiError(404, gettext("no open class with code '%(code)s': check the code on the board",
                                    code=code[:20]), "code") from None
    except NameTaken:
        raise ApiError(409, gettext("the name '%(name)s' is taken in this class: choose another", name=name),
                       "name") from None
    response = jsonify({**member, "class": {k: v for k, v in klass.items() if k != "spotlight"}})
    return response, 201


@bp.get("/api/classes/<code>/events")
def learner_events(code: str):
    """Learners' stream: `class` (a snapshot) and `standings` first, then `preset`, `freeze`, `challenge`,
    `standings` (every learner's rank by id, at most once a second), `ended`."""
    klass = _open(code)
    last = parse_last_event_id(request.headers.get("Last-Event-ID"))
    snapshot = {k: v for k, v in klass.items() if k != "spotlight"}

    standings = service().standings(klass) if last is None else None

    def events():
        yield 0, "class", _json(snapshot)
        if standings is not None:
            yield 0, "standings", _json(standings)
        yield from service().hub.subscribe(klass["id"], "learners", last)

    return Response(stream_with_context(sse(events())), mimetype="text/event-stream", headers=HEADERS)


@bp.post("/api/classes/<code>/guess")
def report_guess(code: str):
    """A learner's scored guess for one of their runs (issue 22): the wall shows the class's average."""
    try:
        report = guesses.parse_guess(_body())
    except plan.SpecError as exc:
        raise _spec_error(exc) from None
    try:
        average = service().report_guess(client(), code, report)
    except ClassClosed:
        raise ApiError(404, gettext("no open class with code '%(code)s': check the code on the board",
                                    code=code[:20]), "code") from None
    except NotMember:
        raise ApiError(403, gettext("join the class first"), "code") from None
    except LookupError:
        raise ApiError(404, gettext("no run '%(id)s' of yours in this class", id=report.run_id[:64]),
                       "run_id") from None
    return jsonify({"guesses": average}), 201


@bp.get("/api/classes/<class_id>")
def class_state(class_id: str):
    """The teacher's view: the class, its learners with their tiles, and the counts."""
    klass = _teacher(class_id)
    learners = service().wall_snapshot(klass)
    counts = {state: sum(1 for t in learners if _bucket(t["state"]) == state) for state in ("training", "done", "idle")}
    return jsonify({**klass, "learners": learners, "counts": counts, "guesses": service().guess_average(klass)})


def _bucket(state: str) -> str:
    return {"training": "training", "queued": "training", "paused": "training", "done": "done"}.get(state, "idle")


@bp.get("/api/classes/<class_id>/wall/events")
def wall_events(class_id: str):
    """The wall's stream: a `learner` per tile first, then `learner`, `joined`, `left`, `spotlight`, ..."""
    klass = _teacher(class_id)
    last = parse_last_event_id(request.headers.get("Last-Event-ID"))

    def events():
        if last is None:
            for tile in service().wall_snapshot(klass):
                yield 0, "learner", _json(tile)
        yield from service().hub.subscribe(klass["id"], "wall", last)

    return Response(stream_with_context(sse(events())), mimetype="text/event-stream", headers=HEADERS)


@bp.put("/api/classes/<class_id>/preset")
def push_preset(class_id: str):
    """Push a new preset (and locked fields) to every learner."""
    klass = _live(_teacher(class_id))
    data = _body()
    try:
        spec, preset = plan.parse_spec({"preset": data.get("preset") or {}, "locked": data.get("locked") or []})
    except plan.SpecError as exc:
        raise _spec_error(exc) from None
    return jsonify(service().push_preset(klass, preset, spec.locked))


@bp.put("/api/classes/<class_id>/challenge")
def set_challenge(class_id: str):
    """Set (or clear with null) the class's challenge."""
    klass = _live(_teacher(class_id))
    data = _body()
    try:
        spec, _ = plan.parse_spec({"challenge": data.get("challenge")})
    except plan.SpecError as exc:
        raise _spec_error(exc) from None
    return jsonify(service().set_challenge(klass, spec.challenge.model_dump() if spec.challenge else None))


@bp.post("/api/classes/<class_id>/freeze")
def freeze(class_id: str):
    """{"frozen": true}: every learner's run pauses and controls wait; false lifts it."""
    klass = _live(_teacher(class_id))
    frozen = _body().get("frozen", True)
    if not isinstance(frozen, bool):
        raise ApiError(400, gettext("must be true or false"), "frozen")
    return jsonify(service().freeze(klass, frozen))


@bp.post("/api/classes/<class_id>/spotlight")
def spotlight(class_id: str):
    """{"learner_id": id}: the projector follows that learner's run; null returns to the wall."""
    klass = _live(_teacher(class_id))
    learner_id = _body().get("learner_id")
    members = {m["learner_id"] for m in service().store.members(klass["id"])}
    if learner_id is not None and learner_id not in members:
        raise ApiError(404, gettext("no learner '%(id)s' in this class", id=str(learner_id)[:40]), "learner_id")
    return jsonify(service().spotlight(klass, learner_id))


@bp.get("/api/classes/<class_id>/leaderboard")
def leaderboard(class_id: str):
    """Every learner's best run, ranked by the challenge's rule."""
    klass = _teacher(class_id)
    return jsonify({"challenge": klass["challenge"], "rows": service().leaderboard(klass),
                    "guesses": service().guess_average(klass)})


@bp.get("/api/classes/<class_id>/leaderboard.csv")
def leaderboard_file(class_id: str):
    klass = _teacher(class_id)
    text = leaderboard_csv(service().leaderboard(klass))
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="class-{klass["code"]}.csv"'})


@bp.post("/api/classes/<class_id>/end")
def end(class_id: str):
    """End the class: learners are told, results are kept, the CSV stays downloadable."""
    klass = _teacher(class_id)
    ended = service().end(klass) if klass["state"] == "open" else klass
    return jsonify({**ended, "csv_url": f"/api/classes/{klass['id']}/leaderboard.csv"})


def _live(klass: dict[str, Any]) -> dict[str, Any]:
    if klass["state"] == "ended":
        raise ApiError(409, gettext("this class has ended"), "class")
    return klass


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


from app.classes import pages  # noqa: E402, F401  (the join and teacher pages and the QR code, on this blueprint)
