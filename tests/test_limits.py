"""Per-client limits (memory storage, the embedded default) and /metrics of the embedded runner."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from tests.conftest import wait_until


class CountingRunner:
    """Stands in for the training backend: the limits only ask it to start runs and for their state."""

    def __init__(self) -> None:
        self.states: dict[str, str] = {}

    def submit(self, config, weights=None, start="running"):
        run_id = f"r{len(self.states)}"
        self.states[run_id] = "running"
        return {"id": run_id, "state": "running"}

    def status(self, run_id):
        return {"id": run_id, "state": self.states[run_id]}


def test_requests_per_minute_give_429_with_retry_after(tmp_path):
    app = create_app({"TESTING": True, "KP_DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
                      "KP_RATE_LIMIT": "3 per minute"})
    client = app.test_client()
    client.get("/api/config")  # the page's first request: the client cookie (counted against the address)
    assert [client.get(path).status_code for path in ("/api/lessons", "/api/losses", "/api/lessons")] == [200] * 3
    limited = client.get("/api/config")  # one budget for every route
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert limited.get_json()["errors"][0]["field"] == "rate"
    other = app.test_client()  # another learner is not held back
    other.get("/api/config")
    assert other.get("/api/lessons").status_code == 200


def test_runs_at_once_per_client(tmp_path):
    runner = CountingRunner()
    app = create_app({"TESTING": True, "KP_DATABASE_URL": f"sqlite:///{tmp_path}/t.db", "KP_RUNNER": runner,
                      "KP_RUNS_PER_CLIENT": 2})
    learner = app.test_client()
    learner.get("/api/lessons")  # the page's first request: the client cookie
    assert [learner.post("/api/runs", json={}).status_code for _ in range(2)] == [201, 201]
    refused = learner.post("/api/runs", json={})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["errors"][0]["field"] == "runs"
    runner.states["r0"] = "done"
    assert learner.post("/api/runs", json={}).status_code == 201  # one ended: room for one more
    neighbour = app.test_client()
    neighbour.get("/api/lessons")
    assert neighbour.post("/api/runs", json={}).status_code == 201


def test_metrics_of_the_embedded_runner_parse(live):
    def scrape():
        text = requests.get(live.url + "/metrics", timeout=10).text
        families = {f.name: f for f in text_string_to_metric_families(text)}
        return families if len(families["kp_worker_rss_bytes"].samples) == 2 else None

    families = wait_until(scrape, 60, 0.5, "both workers' memory figures")  # each reports once a second
    assert families["kp_workers_ready"].samples[0].value == 2
    assert families["kp_runs_capacity"].samples[0].value == 6
    assert all(s.value > 10 * 2**20 for s in families["kp_worker_rss_bytes"].samples)
    assert {"kp_runs_active", "kp_runs_queued", "kp_frames", "kp_frames_per_second", "kp_rejected_429"} <= set(families)
