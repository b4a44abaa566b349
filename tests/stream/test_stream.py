"""Streaming against the real gunicorn: events until done, controls, 429, dead workers, resume, cleanup."""

from __future__ import annotations

import os
import signal
import time

import psutil
import requests

from tests.conftest import LiveServer, wait_until
from tests.sse_client import events, parse

ALL = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]


def start(live, **settings) -> dict:
    response = requests.post(live.url + "/api/runs", json=settings, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def control(live, run_id, action, **body):
    response = requests.post(f"{live.url}/api/runs/{run_id}/{action}", json=body or None, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def status(live, run_id):
    return requests.get(f"{live.url}/api/runs/{run_id}", timeout=10).json()


def test_stream_runs_to_done_with_ids_and_headers(live):
    run = start(live, dataset="spiral", features=ALL, hidden_layers=[8], epochs=60, pace="max")
    with requests.get(live.url + run["events_url"], stream=True, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Cache-Control"] == "no-cache" and response.headers["X-Accel-Buffering"] == "no"
        received = list(parse(response))
    names = [e["event"] for e in received]
    assert names[0] == "started" and names[-1] == "done" and "frame" in names
    ids = [e["id"] for e in received]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    frames = [e["data"] for e in received if e["event"] == "frame"]
    assert frames[-1]["epoch"] == 60 and frames[-1]["boundary"]["resolution"] == 50
    epochs = [ep for f in frames for ep in f["history"]["epoch"]]
    assert epochs == list(range(1, 61))  # the curves miss no epoch although frames are throttled
    assert received[-1]["data"]["reason"] == "finished" and received[-1]["data"]["epochs"] == 60


def test_pause_step_resume_stop(live):
    run = start(live, epochs=50_000, pace=30)
    stream = events(live.url + run["events_url"])
    next(e for e in stream if e["event"] == "frame" and e["data"]["epoch"] >= 2)
    control(live, run["id"], "pause")
    paused = next(e for e in stream if e["event"] == "state")
    assert paused["data"]["state"] == "paused"
    at_pause = status(live, run["id"])["epoch"]
    control(live, run["id"], "step")
    stepped = next(e for e in stream if e["event"] == "frame" and e["data"]["epoch"] != at_pause)
    assert stepped["data"]["epoch"] == at_pause + 1
    assert status(live, run["id"])["state"] == "paused"
    control(live, run["id"], "set", learning_rate=0.3)
    control(live, run["id"], "resume")
    live_frame = next(e for e in stream if e["event"] == "frame" and e["data"]["epoch"] > at_pause + 2)
    assert live_frame["data"]["learning_rate"] == 0.3
    control(live, run["id"], "stop")
    done = next(e for e in stream if e["event"] in ("done", "error"))
    assert done["event"] == "done" and done["data"]["reason"] == "stopped"


def test_closing_the_stream_stops_the_run(live):
    run = start(live, epochs=50_000, pace=30)
    stream = events(live.url + run["events_url"])
    next(e for e in stream if e["event"] == "frame")
    stream.close()  # the learner closes the tab
    wait_until(lambda: status(live, run["id"])["state"] == "done", 15, message="the run to stop")
    assert status(live, run["id"])["summary"]["reason"] == "stopped"


def test_full_pool_gives_429_and_queue_positions(live):
    capacity = live.health()["runs"]["capacity"]
    ids = [start(live, epochs=50_000, pace=5)["id"] for _ in range(capacity)]
    try:
        queued = [start(live, epochs=50_000, pace=5) for _ in range(2)]
        ids += [q["id"] for q in queued]
        assert [q["state"] for q in queued] == ["queued", "queued"]
        first = next(events(live.url + queued[1]["events_url"]))
        assert first["event"] == "queued" and first["data"]["position"] == 2
        response = requests.post(live.url + "/api/runs", json={}, timeout=10)
        assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
        assert response.json()["errors"][0]["field"] == "runs"
        control(live, ids[0], "stop")  # a slot frees: the first queued run starts
        wait_until(lambda: status(live, queued[0]["id"])["state"] in ("running", "starting"), 15,
                   message="the queued run to start")
    finally:
        for run_id in ids:
            control(live, run_id, "stop")
    wait_until(lambda: live.health()["runs"]["active"] == 0, 15, message="every slot to be free")


def test_killed_worker_gives_error_event_and_next_run_works(live):
    run = start(live, epochs=50_000, pace=30)
    stream = events(live.url + run["events_url"])
    started = next(e for e in stream if e["event"] == "started")
    pid = next(w["pid"] for w in live.health()["workers"] if w["index"] == started["data"]["worker"])
    next(e for e in stream if e["event"] == "frame")
    os.kill(pid, 9)
    error = next(e for e in stream if e["event"] in ("error", "done"))
    assert error["event"] == "error" and error["data"]["reason"] == "worker_died"
    live.wait_ready()
    assert pid not in live.worker_pids()
    again = start(live, epochs=20, pace="max")
    assert [e for e in events(live.url + again["events_url"])][-1]["event"] == "done"


def test_last_event_id_resumes_from_the_buffer(live):
    run = start(live, epochs=30, pace="max")
    full = list(events(live.url + run["events_url"]))
    resumed = list(events(live.url + run["events_url"], last_event_id=full[1]["id"]))
    assert [e["id"] for e in resumed] == [e["id"] for e in full[2:]]


def test_bad_control_values_do_not_disturb_the_run(live):
    run = start(live, epochs=40, pace="max")
    bad = requests.post(f"{live.url}/api/runs/{run['id']}/set", json={"learning_rate": "lots"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "learning_rate"
    assert list(events(live.url + run["events_url"]))[-1]["event"] == "done"


def test_sigterm_ends_streams_with_done_and_leaves_no_process(tmp_path):
    server = LiveServer(tmp_path, KP_WORKERS="1")
    try:
        server.wait_ready()
        pids = [server.process.pid, *(p.pid for p in psutil.Process(server.process.pid).children(recursive=True))]
        run = start(server, epochs=50_000, pace=30)
        stream = events(server.url + run["events_url"])
        next(e for e in stream if e["event"] == "frame")
        sent = time.monotonic()
        os.kill(server.process.pid, signal.SIGTERM)  # the master only, as `docker stop` does
        end = next(e for e in stream if e["event"] in ("done", "error"))
        assert end["event"] == "done" and end["data"]["reason"] == "stopped"
        server.process.wait(20)
        assert time.monotonic() - sent < 15
    finally:
        server.stop()
    wait_until(lambda: not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
                               for p in pids), 15, message="every process to exit")
