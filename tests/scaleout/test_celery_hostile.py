"""Issue 18 on the Celery backend: Redis down or full answers 503, events bounded in bytes, Last-Event-ID
checked, ownership kept in Redis (so every web process agrees). Real redis-server and gunicorn."""

from __future__ import annotations

import json
import time

import pytest
import redis
import requests

from app.runner.redis_state import RedisState, events_key, run_key
from tests.conftest import LiveServer, wait_until
from tests.scaleout.conftest import RedisServer
from tests.sse_client import parse


@pytest.fixture(scope="module")
def lone(tmp_path_factory):
    """A redis-server and a web process on it, no training worker: what the web answers on its own."""
    tmp = tmp_path_factory.mktemp("lone")
    state = {"redis": RedisServer(tmp), "tmp": tmp}
    env = {"KP_RUNNER": "celery", "KP_REDIS_URL": state["redis"].url, "KP_RATE_LIMIT": "100000 per minute"}
    state["web"] = web = LiveServer(tmp, **env)
    try:
        wait_until(lambda: web.health() is not None, 60, 0.2, "the web process to answer")
        yield state
    finally:
        web.stop()
        state["redis"].stop()


def timed(method: str, url: str, **kwargs) -> tuple[requests.Response, float]:
    start = time.perf_counter()
    response = requests.request(method, url, timeout=15, **kwargs)
    return response, time.perf_counter() - start


def test_redis_down_answers_503_with_retry_after_and_healthz_says_so(lone):
    url = lone["web"].url
    assert requests.get(url + "/healthz", timeout=10).status_code == 200
    port = lone["redis"].port
    lone["redis"].stop()
    try:
        health, seconds = timed("GET", url + "/healthz")
        assert health.status_code == 503 and seconds < 5
        assert health.json()["status"] == "unavailable" and health.json()["redis"] == "down"
        assert int(health.headers["Retry-After"]) > 0
        for method, path, body in (("POST", "/api/runs", {}), ("GET", "/api/runs/abc/events", None),
                                   ("POST", "/api/runs/abc/stop", None), ("GET", "/api/runs/abc", None)):
            response, seconds = timed(method, url + path, json=body)
            assert response.status_code == 503, (path, response.text)
            assert seconds < 5 and int(response.headers["Retry-After"]) > 0
            error = response.json()["errors"][0]
            assert error["field"] == "redis" and "Redis" in error["message"]
        page, seconds = timed("GET", url + "/")  # the page itself needs no Redis: the rate limit lets it through
        assert page.status_code == 200 and seconds < 5
    finally:
        lone["redis"] = RedisServer(lone["tmp"], port)  # back on the same port: the web reconnects by itself
    wait_until(lambda: requests.get(url + "/healthz", timeout=10).status_code == 200, 20, 0.2, "healthz 200 again")


def test_redis_full_answers_503(lone):
    url = lone["web"].url
    admin = redis.Redis.from_url(lone["redis"].url)
    admin.config_set("maxmemory-policy", "noeviction")
    admin.config_set("maxmemory", "1")  # nothing fits and nothing may be evicted
    try:
        response, seconds = timed("POST", url + "/api/runs", json={})
        assert response.status_code == 503 and seconds < 5 and int(response.headers["Retry-After"]) > 0
        assert "full" in response.json()["errors"][0]["message"]
    finally:
        admin.config_set("maxmemory", "0")
    assert requests.get(url + "/healthz", timeout=10).status_code == 200


def test_a_runs_events_are_bounded_in_bytes_and_keep_the_newest(lone):
    store = RedisState(redis.Redis.from_url(lone["redis"].url, decode_responses=True), buffer=500,
                       max_bytes=4096)
    store.r.hset(run_key("bytes"), mapping={"state": "running"})
    payload = json.dumps({"epoch": 0, "pad": "x" * 480})
    for _ in range(100):  # 100 × ~500 bytes, far past 4 KiB
        store.add("bytes", "frame", payload, {"epoch": 1})
    entries = store.r.xrange(events_key("bytes"))
    held = sum(len(fields["d"]) for _, fields in entries)
    assert held <= 4096 and len(entries) == 4096 // len(payload)
    assert int(store.r.hget(run_key("bytes"), "bytes")) == held  # the count matches what is kept
    assert entries[-1][0] == "0-100"  # the newest stays; the oldest went first
    done = json.dumps({"reason": "finished", "weights": "w" * 10_000})  # larger than the bound: still kept
    assert store.add("bytes", "done", done, {}) == 101
    last = store.r.xrange(events_key("bytes"))
    assert len(last) == 1 and last[0][1]["n"] == "done"


def test_a_bad_last_event_id_is_ignored_not_sent_to_redis(cohort):
    url = cohort["web"].url
    run = requests.post(url + "/api/runs", json={"epochs": 5, "pace": "max"}, timeout=10).json()
    with requests.get(url + run["events_url"], stream=True, timeout=30) as response:
        whole = [e["id"] for e in parse(response, 60)]
    for bad in ("-1", "0--1", "+3", "abc", "1" * 40):
        with requests.get(url + run["events_url"], headers={"Last-Event-ID": bad}, stream=True,
                          timeout=30) as response:
            assert response.status_code == 200
            received = list(parse(response, 60))
        assert [e["id"] for e in received] == whole, bad  # from the start, as with no id at all
        assert received[-1]["event"] == "done"
    assert requests.get(url + "/healthz", timeout=10).status_code == 200


def test_ownership_holds_across_web_processes(cohort, tmp_path):
    url = cohort["web"].url
    owner = requests.Session()
    owner.get(url + "/")  # the page hands out the client cookie
    created = owner.post(url + "/api/runs?start=paused", json={"epochs": 1000}, timeout=10).json()
    other = requests.Session()
    other.get(url + "/")
    refused = other.post(f"{url}/api/runs/{created['id']}/stop", timeout=10)
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "control_token"
    second = LiveServer(tmp_path, **cohort["env"])  # another web process of the cohort: the record is in Redis
    try:
        wait_until(lambda: second.health() is not None, 60, 0.2, "the second web process")
        assert requests.post(f"{second.url}/api/runs/{created['id']}/stop", cookies=other.cookies.get_dict(),
                             timeout=10).status_code == 403
        token = {"X-Control-Token": created["control_token"]}
        assert requests.post(f"{second.url}/api/runs/{created['id']}/stop", headers=token,
                             timeout=10).status_code == 200
    finally:
        second.stop()
    wait_until(lambda: owner.get(f"{url}/api/runs/{created['id']}", timeout=10).json()["state"] == "done", 30, 0.2,
               "the token's stop to end the run")
