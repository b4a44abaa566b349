"""Live classes through the HTTP contract: a real server, a teacher and learners each with their own cookie jar."""

from __future__ import annotations

import csv
import io
import json
import queue
import threading

import pytest
import requests

from app.classes import plan
from tests.conftest import wait_until
from tests.sse_client import parse

QUICK = {"dataset": "xor", "hidden_layers": [3], "epochs": 40, "pace": "max"}


class Person:
    """One browser: its own cookie jar (so its own kp_client)."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base, self.s = base, requests.Session()
        if token:
            self.s.headers["X-Teacher-Token"] = token
        self.s.get(base + "/healthz", timeout=10)
        self.s.get(base + "/api/lessons", timeout=10)  # the server hands out the kp_client cookie

    def post(self, path: str, **kw):
        return self.s.post(self.base + path, timeout=20, **kw)

    def put(self, path: str, **kw):
        return self.s.put(self.base + path, timeout=20, **kw)

    def get(self, path: str, **kw):
        return self.s.get(self.base + path, timeout=20, **kw)


def field_of(response) -> str:
    return response.json()["errors"][0]["field"]


def stream(person: Person, path: str, into: queue.Queue, stop: threading.Event) -> threading.Thread:
    """Read an event stream in a thread, putting each event on `into` until `stop` is set."""

    def read():
        try:
            with person.s.get(person.base + path, stream=True, timeout=30) as response:
                # Heartbeats are comments the parser skips: close the stream from outside once `stop` is set.
                threading.Thread(target=lambda: stop.wait() and response.close(), daemon=True).start()
                for event in parse(response, deadline=400):
                    into.put(event)
                    if stop.is_set():
                        return
        except (requests.RequestException, AttributeError, ValueError):
            return  # closed by `stop`, or the server shut down at the end of the session

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def next_event(into: queue.Queue, name: str, timeout: float = 90, where=lambda d: True) -> dict:
    """The next event of that name whose data satisfies `where` (others are skipped)."""
    def find():
        try:
            event = into.get(timeout=0.2)
        except queue.Empty:
            return None
        return event if event["event"] == name and where(event["data"]) else None

    return wait_until(find, timeout, 0, f"a '{name}' event")["data"]


def new_class(live, **spec) -> tuple[Person, dict]:
    teacher = Person(live.url)
    response = teacher.post("/api/classes", json={"name": "7A", **spec})
    assert response.status_code == 201, response.text
    body = response.json()
    teacher.s.headers["X-Teacher-Token"] = body["teacher_token"]
    return teacher, body


def joined(live, code: str, name: str | None) -> Person:
    learner = Person(live.url)
    response = learner.post(f"/api/classes/{code}/join", json={"name": name} if name else {})
    assert response.status_code == 201, response.text
    learner.me = response.json()
    return learner


def test_a_class_has_a_readable_code_links_and_a_token(live):
    _, body = new_class(live, preset={"dataset": "spiral"}, locked=["dataset"])
    assert len(body["code"]) == 6 and set(body["code"]) <= set(plan.CODE_ALPHABET)
    assert not set(body["code"]) & set("01OIL")
    assert body["join_url"].endswith("/c/" + body["code"])
    assert body["teacher_url"] == f"/teach/{body['id']}#token={body['teacher_token']}"
    assert body["class"]["preset"]["dataset"] == "spiral" and body["class"]["locked"] == ["dataset"]
    assert "teacher_token" not in body["class"]


@pytest.mark.parametrize("spec, field", [
    ({"preset": {"learning_rate": -1}}, "preset.learning_rate"),
    ({"locked": ["no_such_setting"]}, "locked"),
    ({"challenge": {"metric": "speed", "target": 1}}, "challenge.metric"),
    ({"challenge": {"metric": "test_loss", "target": 1, "rank_by": ["weights", "weights"]}}, "challenge.rank_by"),
    ({"name": "x" * 81}, "name"),
    ({"surprise": 1}, "surprise"),
])
def test_a_bad_class_spec_is_a_400_naming_the_field(live, spec, field):
    response = requests.post(live.url + "/api/classes", json=spec, timeout=10)
    assert response.status_code == 400
    assert field_of(response) == field


def test_join_names_conflicts_and_unknown_codes(live):
    teacher, body = new_class(live)
    ana = joined(live, body["code"], "Ana")
    assert ana.me["name"] == "Ana" and ana.me["class"]["code"] == body["code"]
    assert "teacher_token" not in ana.me["class"]
    other = Person(live.url)
    assert other.post(f"/api/classes/{body['code']}/join", json={"name": "ana"}).status_code == 409
    animal = joined(live, body["code"].lower(), None)  # codes are typed on phones: case does not matter
    assert animal.me["name"].split(" ")[0] in plan.ANIMALS
    assert other.post("/api/classes/ZZZZZZ/join", json={"name": "Bo"}).status_code == 404
    state = teacher.get(f"/api/classes/{body['id']}").json()
    assert [t["name"] for t in state["learners"]] == ["Ana", animal.me["name"]]
    assert state["counts"]["idle"] == 2


def test_teacher_endpoints_need_the_token(live):
    teacher, body = new_class(live)
    learner = joined(live, body["code"], "Eve")
    class_id = body["id"]
    for method, path in [("get", ""), ("get", "/leaderboard"), ("get", "/leaderboard.csv"), ("put", "/preset"),
                         ("post", "/freeze"), ("post", "/spotlight"), ("post", "/end"), ("get", "/wall/events")]:
        response = getattr(learner.s, method)(f"{live.url}/api/classes/{class_id}{path}", json={}, timeout=10)
        assert response.status_code == 403, (method, path)
        assert field_of(response) == "X-Teacher-Token"
    wrong = requests.get(f"{live.url}/api/classes/{class_id}", headers={"X-Teacher-Token": "nope"}, timeout=10)
    assert wrong.status_code == 403
    assert teacher.get("/api/classes/doesnotexist").status_code == 404


def test_locked_fields_keep_the_preset_and_others_are_free(live):
    _, body = new_class(live, preset={**QUICK, "learning_rate": 0.3}, locked=["learning_rate", "dataset"])
    learner = joined(live, body["code"], "Lin")
    refused = learner.post("/api/runs", json={**QUICK, "learning_rate": 0.03})
    assert refused.status_code == 400 and field_of(refused) == "learning_rate"
    assert "0.3" in refused.json()["errors"][0]["message"]
    assert learner.post("/api/runs", json={**QUICK, "learning_rate": 0.3, "activation": "relu"}).status_code == 201
    # A client in no class is not bound by it.
    assert requests.post(live.url + "/api/runs", json={**QUICK, "learning_rate": 0.03}, timeout=10).status_code == 201


def test_a_live_change_keeps_locked_fields_too(live):
    _, body = new_class(live, preset={**QUICK, "epochs": 5000, "pace": 5, "learning_rate": 0.3},
                        locked=["learning_rate"])
    learner = joined(live, body["code"], "Ito")
    run = learner.post("/api/runs", json={**QUICK, "epochs": 5000, "pace": 5, "learning_rate": 0.3}).json()
    try:
        refused = learner.post(f"/api/runs/{run['id']}/set", json={"learning_rate": 1})
        assert refused.status_code == 400 and field_of(refused) == "learning_rate"
        assert learner.post(f"/api/runs/{run['id']}/set", json={"learning_rate": 0.3}).status_code == 200
        assert learner.post(f"/api/runs/{run['id']}/set", json={"epochs": 4000}).status_code == 200  # not locked
    finally:
        learner.post(f"/api/runs/{run['id']}/stop")


def test_the_wall_shows_tiles_that_update_and_freeze_push_spotlight_end(live):
    teacher, body = new_class(live, preset=QUICK, challenge={"metric": "test_accuracy", "target": 0.5})
    class_id, code = body["id"], body["code"]
    learner = joined(live, code, "Mo")
    wall, learners, stop = queue.Queue(), queue.Queue(), threading.Event()
    stream(teacher, f"/api/classes/{class_id}/wall/events", wall, stop)
    stream(learner, f"/api/classes/{code}/events", learners, stop)
    assert next_event(learners, "class")["preset"]["dataset"] == "xor"

    run = learner.post("/api/runs", json={**QUICK, "epochs": 3000, "pace": 200}).json()
    frames = queue.Queue()
    stream(learner, run["events_url"], frames, stop)  # the learner's own page watching its run
    first = next_event(wall, "learner", timeout=180, where=lambda d: d["state"] == "training" and d["thumbnail"])
    later = next_event(wall, "learner", where=lambda d: d["epoch"] > first["epoch"])
    assert later["name"] == "Mo" and later["run_id"] == run["id"] and later["weights_count"] == 13
    assert later["differs"] == {"epochs": 3000}

    frozen = teacher.post(f"/api/classes/{class_id}/freeze", json={"frozen": True}).json()
    assert frozen["frozen"] is True and frozen["paused"] == 1
    assert next_event(learners, "freeze")["frozen"] is True
    wait_until(lambda: learner.get(f"/api/runs/{run['id']}").json()["state"] == "paused", 20, 0.1, "the pause")
    assert learner.post(f"/api/runs/{run['id']}/resume").status_code == 409
    assert learner.post("/api/runs", json=QUICK).status_code == 409
    teacher.post(f"/api/classes/{class_id}/freeze", json={"frozen": False})
    assert next_event(learners, "freeze")["frozen"] is False
    assert learner.post(f"/api/runs/{run['id']}/resume").status_code == 200

    spot = teacher.post(f"/api/classes/{class_id}/spotlight", json={"learner_id": learner.me["learner_id"]}).json()
    assert spot["run_id"] == run["id"]
    assert next_event(wall, "spotlight")["run_id"] == run["id"]
    assert teacher.post(f"/api/classes/{class_id}/spotlight", json={"learner_id": "nobody"}).status_code == 404

    pushed = teacher.put(f"/api/classes/{class_id}/preset",
                         json={"preset": {**QUICK, "dataset": "circle"}, "locked": ["dataset"]})
    assert pushed.status_code == 200
    event = next_event(learners, "preset")
    assert event["preset"]["dataset"] == "circle" and event["locked"] == ["dataset"]
    assert field_of(learner.post("/api/runs", json={**QUICK, "dataset": "xor"})) == "dataset"

    learner.post(f"/api/runs/{run['id']}/stop")
    ended = teacher.post(f"/api/classes/{class_id}/end").json()
    assert ended["state"] == "ended"
    assert next_event(learners, "ended")["csv_url"] == f"/api/classes/{class_id}/leaderboard.csv"
    stop.set()
    rows = list(csv.DictReader(io.StringIO(teacher.get(f"/api/classes/{class_id}/leaderboard.csv").text)))
    assert [r["name"] for r in rows] == ["Mo"] and rows[0]["run_id"] == run["id"]
    assert Person(live.url).post(f"/api/classes/{code}/join", json={"name": "Late"}).status_code == 404


def test_leaderboard_ranks_reached_then_fewest_weights(live):
    teacher, body = new_class(live, preset={**QUICK, "epochs": 60},
                              challenge={"metric": "test_loss", "target": 10, "rank_by": ["reached", "weights"]})
    sizes = {"Big": [8, 8], "Small": [2], "Mid": [4]}
    learners = {}
    for name, layers in sizes.items():
        learner = joined(live, body["code"], name)
        run = learner.post("/api/runs", json={**QUICK, "epochs": 60, "hidden_layers": layers}).json()
        with learner.s.get(live.url + run["events_url"], stream=True, timeout=30) as response:
            assert [e for e in parse(response)][-1]["event"] == "done"
        learners[name] = (learner, run["id"])
    board = teacher.get(f"/api/classes/{body['id']}/leaderboard").json()["rows"]
    assert [r["name"] for r in board] == ["Small", "Mid", "Big"], [(r["name"], r["weights_count"]) for r in board]
    assert [r["weights_count"] for r in board] == [9, 17, 105] and all(r["epoch"] == 60 for r in board)
    assert [r["rank"] for r in board] == [1, 2, 3] and all(r["reached"] for r in board)

    # Every learner sees their own rank: the class stream opens with the standings, by learner id, without names.
    big, _ = learners["Big"]
    seen, stop = queue.Queue(), threading.Event()
    stream(big, f"/api/classes/{body['code']}/events", seen, stop)
    standings = next_event(seen, "standings", timeout=30)
    assert standings["total"] == 3 and standings["metric"] == "test_loss"
    assert standings["ranks"][big.me["learner_id"]] == 3
    assert standings["ranks"][learners["Small"][0].me["learner_id"]] == 1
    assert not {"Big", "Mid", "Small"} & set(json.dumps(standings).replace('"', " ").split())

    # A guess reaches the wall as the class average, the leaderboard and the CSV.
    small, small_run = learners["Small"]
    first = small.post(f"/api/classes/{body['code']}/guess", json={"run_id": small_run, "iou": 0.8, "test_share": 1})
    assert first.status_code == 201 and first.json()["guesses"] == {"count": 1, "iou": 0.8, "test_share": 1}
    mid, mid_run = learners["Mid"]
    second = mid.post(f"/api/classes/{body['code']}/guess", json={"run_id": mid_run, "iou": 0.4, "test_share": None})
    assert second.json()["guesses"]["count"] == 2 and second.json()["guesses"]["iou"] == pytest.approx(0.6)
    assert second.json()["guesses"]["test_share"] == 1  # the mean over those who have one
    assert mid.post(f"/api/classes/{body['code']}/guess",  # another learner's run is not the learner's to report
                    json={"run_id": small_run, "iou": 0.1}).status_code == 404
    state = teacher.get(f"/api/classes/{body['id']}").json()
    assert state["guesses"]["count"] == 2
    rows = list(csv.DictReader(io.StringIO(teacher.get(f"/api/classes/{body['id']}/leaderboard.csv").text)))
    assert [(r["name"], r["guess_iou"]) for r in rows] == [("Small", "0.8"), ("Mid", "0.4"), ("Big", "")]
    stop.set()


def test_anonymous_classes_hide_names_from_the_wall(live):
    teacher, body = new_class(live, anonymous=True)
    joined(live, body["code"], "Secret")
    tiles = teacher.get(f"/api/classes/{body['id']}").json()["learners"]
    assert tiles[0]["name"] is None


def test_rank_key_follows_the_rule_and_metric():
    challenge = {"metric": "test_accuracy", "target": 0.9, "rank_by": ["reached", "epochs"]}
    entries = [
        {"name": "a", "reached": False, "epoch": 10, "test_accuracy": 0.8},
        {"name": "b", "reached": True, "epoch": 300, "test_accuracy": 0.95},
        {"name": "c", "reached": True, "epoch": 100, "test_accuracy": 0.91},
        {"name": "d", "reached": True, "epoch": 100, "test_accuracy": 0.99},
    ]
    assert [e["name"] for e in plan.leaderboard(challenge, entries)] == ["d", "c", "b", "a"]
    assert plan.reached(challenge, None, 0.9) and not plan.reached(challenge, 0.01, 0.89)


def test_the_qr_code_is_the_join_link_as_svg(live):
    import segno

    _, body = new_class(live)
    response = requests.get(f"{live.url}/api/classes/{body['id']}/qr.svg", timeout=20)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("image/svg+xml")
    expected = io.BytesIO()
    segno.make(body["join_url"], error="m").save(expected, kind="svg", scale=8, border=2, xmldecl=False,
                                                 svgclass="class-qr")
    assert response.content == expected.getvalue()  # the same symbol segno draws for the join link
    missing = requests.get(f"{live.url}/api/classes/nope/qr.svg", timeout=20)
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "class"


def test_the_pages_carry_the_code_and_id_but_never_the_token(live):
    _, body = new_class(live, locked=["dataset"])
    learner_page = requests.get(f"{live.url}/c/{body['code'].lower()}", timeout=20).text
    assert f'data-class-code="{body["code"]}"' in learner_page and 'id="class-join"' in learner_page
    assert body["teacher_token"] not in learner_page
    plain = requests.get(live.url + "/", timeout=20).text
    assert "data-class-code" not in plain and 'id="class-join"' not in plain and "class-start-button" in plain
    teach = requests.get(f"{live.url}/teach/{body['id']}", timeout=20).text
    assert f'data-class-id="{body["id"]}"' in teach and body["teacher_token"] not in teach
    seen = requests.get(f"{live.url}/api/classes/code/{body['code']}", timeout=20).text
    assert body["teacher_token"] not in seen


@pytest.mark.parametrize("report, status, field", [
    ({"run_id": "r", "iou": 1.5}, 400, "iou"),
    ({"run_id": "r", "iou": 0.5, "test_share": -0.1}, 400, "test_share"),
    ({"iou": 0.5}, 400, "run_id"),
    ({"run_id": "r", "iou": 0.5, "extra": 1}, 400, "extra"),
    ({"run_id": "nope", "iou": 0.5}, 404, "run_id"),
])
def test_a_bad_guess_report_names_the_field(live, report, status, field):
    _, body = new_class(live)
    learner = joined(live, body["code"], "Gus")
    response = learner.post(f"/api/classes/{body['code']}/guess", json=report)
    assert response.status_code == status and field_of(response) == field


def test_only_members_report_guesses(live):
    _, body = new_class(live)
    stranger = Person(live.url)
    response = stranger.post(f"/api/classes/{body['code']}/guess", json={"run_id": "r", "iou": 0.5})
    assert response.status_code == 403 and field_of(response) == "code"


def test_the_guess_average_counts_only_those_who_guessed():
    from app.classes import guesses

    assert guesses.average({}) == {"count": 0, "iou": None, "test_share": None}
    got = guesses.average({"a": {"iou": 0.2, "test_share": 0.5}, "b": {"iou": 0.6, "test_share": None}})
    assert got["count"] == 2 and got["iou"] == pytest.approx(0.4) and got["test_share"] == 0.5


class CountingStore:
    """A stand-in database that counts reads of a class."""

    def __init__(self) -> None:
        self.reads = 0
        self.klass = {"id": "k1", "name": "7A", "state": "open", "frozen": False, "anonymous": False,
                      "preset": {}, "locked": [], "challenge": None}

    def get(self, class_id):
        self.reads += 1
        return dict(self.klass)

    def update(self, class_id, **fields):
        self.klass.update(fields)
        return dict(self.klass)

    def members(self, class_id):
        return []


def test_wall_updates_read_the_class_once_and_see_a_change_at_once():
    from app.classes.hub import MemoryHub
    from app.classes.service import ClassService

    store, hub = CountingStore(), MemoryHub()
    svc = ClassService(store, hub, runner=lambda: None)
    assert svc.store is store  # a ready store is used as given
    hub.register_run("r1", "k1", "l1")
    frames = [(i, "frame", json.dumps({"epoch": i, "test_loss": 1 / i})) for i in range(1, 40)]
    for i, item in enumerate(frames):
        hub._due.clear()  # every frame is due: each one updates the wall
        svc._maybe_forward("k1", "l1", "r1", item)
        assert i or store.reads == 1
    assert store.reads == 1  # one database read for 39 wall updates
    svc.freeze(store.get("k1"), True)
    assert svc.cached("k1")["frozen"] is True  # the freeze is seen by the next update, not after the cache expires


def test_a_run_stream_opens_no_class_database():
    from app.classes.hub import MemoryHub
    from app.classes.service import ClassService

    def no_database():
        raise AssertionError("the class database was opened for a run in no class")

    svc = ClassService(no_database, MemoryHub(), runner=lambda: None)
    events = [(1, "frame", "{}"), None, (2, "done", "{}")]
    assert list(svc.observe("some-run", iter(events))) == events


def test_ranks_go_out_once_a_second_and_the_last_change_is_never_lost():
    from app.classes.hub import MemoryHub
    from app.classes.ranks import RankNotifier

    class Service:
        hub = MemoryHub()
        version = 0
        klass = {"id": "k1", "state": "open", "challenge": {"metric": "test_loss"}}

        def cached(self, class_id):
            return self.klass

        def standings(self, klass):
            return {"version": self.version}

    svc = Service()
    ranks = RankNotifier(svc)
    sent = lambda: [json.loads(d)["version"] for _, e, d in svc.hub._events.get(("k1", "learners"), [])]  # noqa: E731
    for version in range(1, 6):  # five changes within a second: the first goes out, the last follows
        svc.version = version
        ranks.publish(svc.klass)
    assert sent() == [1]
    wait_until(lambda: sent() == [1, 5], 10, 0.05, "the held-back ranks")
    svc.version = 6
    ranks.publish(svc.klass, force=True)  # a run ended: at once
    assert sent() == [1, 5, 6]
