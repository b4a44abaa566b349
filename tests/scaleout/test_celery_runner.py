"""The Celery + Redis backend end to end: real redis-server, real Celery prefork workers, real gunicorn."""

from __future__ import annotations

import os
import signal

import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import LiveServer, wait_until
from tests.sse_client import events

ALL = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]


def start(url: str, session: requests.Session | None = None, **settings) -> dict:
    response = (session or requests).post(url + "/api/runs", json=settings, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def stop(url: str, run_id: str) -> None:
    requests.post(f"{url}/api/runs/{run_id}/stop", timeout=10)


def test_a_run_end_to_end_through_celery(cohort):
    url = cohort["web"].url
    run = start(url, dataset="spiral", features=ALL, hidden_layers=[8], epochs=40, pace="max")
    received = list(events(url + run["events_url"]))
    names = [e["event"] for e in received]
    assert names[0] == "started" and names[-1] == "done" and "frame" in names
    ids = [e["id"] for e in received]
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # stream entry 0-<n> is SSE id n: no gaps
    frames = [e["data"] for e in received if e["event"] == "frame"]
    assert [ep for f in frames for ep in f["history"]["epoch"]] == list(range(1, 41))
    assert received[-1]["data"]["reason"] == "finished"
    status = requests.get(f"{url}/api/runs/{run['id']}", timeout=10).json()
    assert status["state"] == "done" and status["epoch"] == 40 and status["summary"]["epochs"] == 40


def test_reconnect_with_last_event_id_misses_no_frame(cohort):
    url = cohort["web"].url
    run = start(url, epochs=80, pace=40)
    first = []
    for event in events(url + run["events_url"]):
        first.append(event)
        if event["event"] == "frame" and event["data"]["epoch"] >= 10:
            break  # the connection drops here
    rest = list(events(url + run["events_url"], last_event_id=first[-1]["id"]))
    assert rest[0]["id"] == first[-1]["id"] + 1 and rest[-1]["event"] == "done"
    whole = list(events(url + run["events_url"]))  # the stream replayed from its start
    assert [e["id"] for e in first + rest] == [e["id"] for e in whole]
    epochs = [ep for e in first + rest if e["event"] == "frame" for ep in e["data"]["history"]["epoch"]]
    assert epochs == list(range(1, 81))


def test_killing_the_training_process_gives_an_error_event(cohort):
    url = cohort["web"].url
    run = start(url, epochs=50_000, pace=20)
    stream = events(url + run["events_url"], deadline=60)
    next(e for e in stream if e["event"] == "frame")
    worker = requests.get(f"{url}/api/runs/{run['id']}", timeout=10).json()["worker"]
    pid = int(worker.rsplit(":", 1)[1])
    os.kill(pid, signal.SIGKILL)
    error = next(e for e in stream if e["event"] in ("error", "done"))
    assert error["event"] == "error" and error["data"]["reason"] == "worker_died"
    assert requests.get(f"{url}/api/runs/{run['id']}", timeout=10).json()["state"] == "error"
    # Celery's parent replaces the killed process; the next run trains.
    def replaced():
        workers = cohort["web"].health()["workers"]
        return pid not in [w["pid"] for w in workers] and len([w for w in workers if w["ready"]]) == 2

    wait_until(replaced, 120, 0.5, "a replacement training process")
    again = start(url, epochs=5, pace="max")
    last = [e for e in events(url + again["events_url"])][-1]
    assert last["event"] == "done", last


def test_restarting_the_web_process_keeps_the_stream(cohort):
    web = cohort["web"]
    run = start(web.url, epochs=120, pace=30)
    seen = []
    for event in events(web.url + run["events_url"]):
        seen.append(event)
        if event["event"] == "frame":
            break
    web.stop()
    cohort["web"] = web = LiveServer(cohort["tmp"], **cohort["env"])
    wait_until(web.health, 60, 0.2, "the restarted web process")
    rest = list(events(web.url + run["events_url"], last_event_id=seen[-1]["id"]))
    assert rest[0]["id"] == seen[-1]["id"] + 1 and rest[-1]["event"] == "done"
    assert rest[-1]["data"]["epochs"] == 120


def test_runs_at_once_per_client_and_requests_per_minute_give_429(cohort):
    url = cohort["web"].url
    learner = requests.Session()
    learner.get(url + "/api/lessons", timeout=10)  # as the page's first load: the server hands out its cookie
    assert learner.cookies.get("kp_client")
    runs = [start(url, learner, epochs=50_000, pace=5) for _ in range(3)]
    try:
        refused = learner.post(url + "/api/runs", json={"epochs": 10}, timeout=10)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert refused.json()["errors"][0]["field"] == "runs"
        other = start(url, epochs=3, pace="max")  # another learner is not held back
        stop(url, other["id"])
    finally:
        for run in runs:
            stop(url, run["id"])
    # Requests per minute: the counter lives in Redis; fill this learner's budget there, as many requests would.
    r = redis.Redis.from_url(cohort["redis"].url)
    client = learner.cookies["kp_client"]
    assert learner.get(url + "/api/lessons", timeout=10).status_code == 200
    keys = [k for k in r.scan_iter(match=f"*{client}*") if b"kp-limits" in k]
    assert keys, "the limiter keeps its counters in Redis"
    for key in keys:
        r.set(key, 10_000, keepttl=True)
    limited = learner.get(url + "/api/lessons", timeout=10)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.json()["errors"][0]["field"] == "rate"


def test_healthz_and_metrics(cohort):
    url = cohort["web"].url
    health = requests.get(url + "/healthz", timeout=10).json()
    assert health["backend"] == "celery" and len(health["workers"]) == 2
    assert {"active", "queued", "completed"} <= set(health["runs"])
    text = requests.get(url + "/metrics", timeout=10).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert {"kp_runs_active", "kp_runs_queued", "kp_frames_per_second", "kp_worker_rss_bytes",
            "kp_rejected_429"} <= set(families)
    assert families["kp_frames"].samples[0].value > 0  # earlier tests trained
    assert all(s.value > 10 * 2**20 for s in families["kp_worker_rss_bytes"].samples)
