"""Live classes on the Celery backend: class events go through Redis, and a class outlives its web process."""

from __future__ import annotations

import queue
import threading

from tests.conftest import LiveServer, wait_until
from tests.test_classes import joined, new_class, next_event, stream

QUICK = {"dataset": "xor", "hidden_layers": [3], "pace": "max"}


def web_process(cohort) -> LiveServer:
    """Another web process of the cohort: the same Redis and the same database."""
    server = LiveServer(cohort["tmp"], **cohort["env"])
    wait_until(lambda: server.health() is not None, 90, 0.2, "another web process")
    return server


def test_a_wall_on_one_web_process_sees_a_learner_served_by_another(cohort):
    teacher_side = cohort["web"]
    learner_side = web_process(cohort)
    stop = threading.Event()
    try:
        teacher, body = new_class(teacher_side, preset=QUICK, challenge={"metric": "test_loss", "target": 10})
        learner = joined(learner_side, body["code"], "Remote")
        wall, heard = queue.Queue(), queue.Queue()
        stream(teacher, f"/api/classes/{body['id']}/wall/events", wall, stop)
        stream(learner, f"/api/classes/{body['code']}/events", heard, stop)
        assert next_event(wall, "learner", timeout=30)["name"] == "Remote"  # the wall's snapshot: from the database

        run = learner.post("/api/runs", json={**QUICK, "epochs": 30}).json()
        frames = queue.Queue()
        stream(learner, run["events_url"], frames, stop)  # the learner's page on its own web process
        done = next_event(wall, "learner", timeout=120, where=lambda d: d["state"] == "done")
        assert done["run_id"] == run["id"] and done["epoch"] == 30 and done["name"] == "Remote"
        ranks = next_event(heard, "standings", timeout=30, where=lambda d: d["total"] == 1)
        assert ranks["ranks"] == {learner.me["learner_id"]: 1}

        teacher.post(f"/api/classes/{body['id']}/freeze", json={"frozen": True})  # and back, teacher to learner
        assert next_event(heard, "freeze", timeout=30)["frozen"] is True
        assert learner.post("/api/runs", json={**QUICK, "epochs": 30}).status_code == 409
    finally:
        stop.set()
        learner_side.stop()


def test_a_class_survives_a_restart_of_the_web_process(cohort):
    web = cohort["web"]
    teacher, body = new_class(web, preset=QUICK, challenge={"metric": "test_loss", "target": 10})
    learner = joined(web, body["code"], "Stays")
    first = learner.post("/api/runs", json={**QUICK, "epochs": 20}).json()
    stop = threading.Event()
    frames = queue.Queue()
    stream(learner, first["events_url"], frames, stop)
    next_event(frames, "done", timeout=120)
    response = learner.post("/api/runs", json={**QUICK, "epochs": 50_000, "pace": 20})
    assert response.status_code == 201, response.text
    live = response.json()
    try:
        stream(learner, live["events_url"], frames, stop)
        next_event(frames, "frame", timeout=120)
        stop.set()

        web.stop()
        cohort["web"] = web = LiveServer(cohort["tmp"], **cohort["env"])
        wait_until(lambda: web.health() is not None, 90, 0.2, "the restarted web process")
        teacher.base = learner.base = web.url

        state = teacher.get(f"/api/classes/{body['id']}").json()  # the class and its members: from the database
        assert state["code"] == body["code"] and [m["name"] for m in state["learners"]] == ["Stays"]
        assert learner.get(f"/api/classes/code/{body['code']}").json()["me"]["name"] == "Stays"  # the cookie
        board = teacher.get(f"/api/classes/{body['id']}/leaderboard").json()["rows"]
        assert board and board[0]["name"] == "Stays"

        # The wall rebuilds from the learner's live run: its page reconnects, the tile moves on.
        again, wall, frames = threading.Event(), queue.Queue(), queue.Queue()
        stream(teacher, f"/api/classes/{body['id']}/wall/events", wall, again)
        snapshot = next_event(wall, "learner", timeout=30)
        stream(learner, live["events_url"], frames, again)
        moved = next_event(wall, "learner", timeout=120,
                           where=lambda d: d["run_id"] == live["id"] and d["epoch"] > snapshot["epoch"])
        assert moved["state"] == "training"
        again.set()
    finally:
        stop.set()
        learner.base = web.url
        learner.post(f"/api/runs/{live['id']}/stop")
