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


TOKENS: dict[str, str] = {}  # run id -> control token: a test stops runs that its learners' tabs started


def start(url: str, session: requests.Session | None = None, **settings) -> dict:
    response = (session or requests).post(url + "/api/runs", json=settings, timeout=10)
    assert response.status_code == 201, response.text
    TOKENS[response.json()["id"]] = response.json()["control_token"]
    return response.json()


def stop(url: str, run_id: str) -> None:
    token = {"X-Control-Token": TOKENS[run_id]} if run_id in TOKENS else {}  # else made here without a cookie
    response = requests.post(f"{url}/api/runs/{run_id}/stop", headers=token, timeout=10)
    assert response.status_code in (200, 404), response.text


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


def test_a_run_created_to_step_trains_one_epoch_then_waits(cohort):
    url = cohort["web"].url
    response = requests.post(url + "/api/runs?start=step", json={"epochs": 50_000, "pace": "max"}, timeout=10)
    assert response.status_code == 201, response.text
    run = response.json()
    seen = []
    for event in events(url + run["events_url"]):
        seen.append((event["event"], event["data"].get("epoch")))
        if event["event"] == "frame" and len([s for s in seen if s[0] == "frame"]) == 1:
            requests.post(f"{url}/api/runs/{run['id']}/step", timeout=10)
        elif event["event"] == "frame":
            break
    stop(url, run["id"])
    assert [s for s in seen if s[0] in ("state", "frame")] == [("state", 0), ("frame", 1), ("frame", 2)]


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


def learner(url: str) -> requests.Session:
    """A browser tab: its own client cookie, so the runs-at-once limit counts it apart."""
    session = requests.Session()
    session.get(url + "/api/config", timeout=10)
    return session


def test_a_full_cohort_queues_with_positions_then_gives_429(cohort):
    web = cohort["web"]
    capacity = web.health()["runs"]["capacity"]  # 2 processes × KP_RUNS_PER_WORKER=3
    assert capacity == 6
    # Runs of earlier tests (stopped, or left to their watchers' grace) must be gone: this test fills every slot.
    wait_until(lambda: web.health()["runs"]["active"] == 0 and web.health()["runs"]["queued"] == 0, 60, 0.3,
               "the earlier tests' runs to end")
    tabs = [learner(web.url) for _ in range(4)]
    ids: list[str] = []
    try:
        ids += [start(web.url, tabs[i // 3], epochs=50_000, pace=5)["id"] for i in range(capacity)]
        wait_until(lambda: web.health()["runs"]["active"] == capacity
                   and all(requests.get(f"{web.url}/api/runs/{i}", timeout=10).json()["state"] != "queued"
                           for i in ids), 60, 0.3, "this test's runs to take every slot")
        queued = [start(web.url, tabs[2], epochs=50_000, pace=5) for _ in range(2)]
        ids += [q["id"] for q in queued]
        first = next(events(web.url + queued[1]["events_url"]))
        assert first["event"] == "queued" and first["data"]["position"] == 2
        full = tabs[3].post(web.url + "/api/runs", json={"epochs": 10}, timeout=10)
        assert full.status_code == 429 and int(full.headers["Retry-After"]) > 0
        assert full.json()["errors"][0]["field"] == "runs"
        stop(web.url, ids[0])  # a slot frees: the first queued run starts, the second moves up
        wait_until(lambda: requests.get(f"{web.url}/api/runs/{queued[0]['id']}", timeout=10).json()["state"]
                   in ("starting", "running"), 30, 0.3, "the first queued run to start")
        moved = next(e for e in events(web.url + queued[1]["events_url"], last_event_id=first["id"])
                     if e["event"] == "queued")
        assert moved["data"]["position"] == 1
    finally:
        for run_id in ids:
            stop(web.url, run_id)
    wait_until(lambda: web.health()["runs"]["active"] == 0, 30, 0.3, "every slot to be free")


def test_a_run_nobody_watches_is_stopped(cohort):
    """The web side is a library: a runner made here, with a short grace, against the same Redis and workers."""
    from app.config.parse import parse_config
    from app.runner.base import RunnerSettings
    from app.runner.celery_runner import CeleryRunner

    runner = CeleryRunner(RunnerSettings(disconnect_grace=1.0, connect_timeout=60, queue_size=2), cohort["redis"].url)
    try:
        run_id = runner.submit(parse_config({"epochs": 50_000, "pace": 10}))["id"]
        stream = runner.events(run_id)
        next(e for e in stream if e is not None and e.name == "frame")
        stream.close()  # the tab is closed
        wait_until(lambda: runner.status(run_id)["state"] == "done", 30, 0.2, "the abandoned run to stop")
        assert runner.result(run_id)["reason"] == "stopped"
    finally:
        runner.shutdown()


WATCHER = """
import sys
from app.config.parse import parse_config
from app.runner.base import RunnerSettings
from app.runner.celery_runner import CeleryRunner

runner = CeleryRunner(RunnerSettings(heartbeat=0.5, connect_timeout=600, disconnect_grace=600), sys.argv[1])
run_id = runner.submit(parse_config({"epochs": 50_000, "pace": 10}))["id"]
stream = runner.events(run_id)
next(e for e in stream if e is not None and e.name == "frame")
print(run_id, flush=True)
for _ in stream:  # watching, until this process is killed
    pass
"""


def test_a_web_process_killed_hard_does_not_keep_its_runs_watched(cohort):
    """Its streams' leases end; another web process's monitor stops the run after the grace period."""
    import subprocess
    import sys
    from pathlib import Path

    from app.runner.base import RunnerSettings
    from app.runner.celery_runner import CeleryRunner
    from app.runner.redis_state import watch_key

    root = Path(__file__).resolve().parents[2]
    web = subprocess.Popen([sys.executable, "-c", WATCHER, cohort["redis"].url], cwd=root, stdout=subprocess.PIPE,
                           text=True, env={**os.environ, "PYTHONPATH": str(root)})
    runner = CeleryRunner(RunnerSettings(disconnect_grace=1.0, connect_timeout=600), cohort["redis"].url)
    try:
        run_id = web.stdout.readline().strip()
        assert run_id, "the watching process printed no run id"
        r = redis.Redis.from_url(cohort["redis"].url, decode_responses=True)
        first = r.zrange(watch_key(run_id), 0, -1, withscores=True)
        assert len(first) == 1
        # A live watcher renews its lease, so the run goes on under a monitor with a 1 s grace.
        wait_until(lambda: r.zscore(watch_key(run_id), first[0][0]) > first[0][1], 10, 0.1, "a renewed lease")
        assert runner.status(run_id)["state"] == "running"
        web.send_signal(signal.SIGKILL)  # no finally: blocks run, the lease is simply not renewed
        web.wait(10)
        assert r.zcard(watch_key(run_id)) == 1
        wait_until(lambda: runner.status(run_id)["state"] == "done", 30, 0.2, "the unwatched run to stop")
        assert runner.result(run_id)["reason"] == "stopped"
    finally:
        if web.poll() is None:
            web.kill()
        runner.shutdown()
