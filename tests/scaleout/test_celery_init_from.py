"""`init_from` through Celery + Redis: the initial weights are kept in the run's Redis hash (redis_state.py)."""

from __future__ import annotations

import requests

from tests.sse_client import events

SOURCE = {"dataset": "xor", "features": ["x1", "x2"], "hidden_layers": [3], "epochs": 2, "pace": "max", "seed": 5}


def first_frame(url: str, created: dict) -> dict:
    stream = list(events(url + created["events_url"], deadline=120))
    assert stream[-1]["event"] == "done"
    return {k: v for k, v in next(e["data"] for e in stream if e["event"] == "frame").items() if k != "elapsed"}


def test_same_start_through_celery_repeats_the_first_frame(cohort):
    url = cohort["web"].url
    learner = requests.Session()
    source = learner.post(url + "/api/runs", json=SOURCE, timeout=10)
    assert source.status_code == 201, source.text
    expected = first_frame(url, source.json())
    again = learner.post(url + "/api/runs", json={**SOURCE, "seed": 6, "initializer": "he_normal",
                                                  "init_from": source.json()["id"]}, timeout=10)
    assert again.status_code == 201, again.text
    assert first_frame(url, again.json()) == expected
    wider = learner.post(url + "/api/runs", json={**SOURCE, "hidden_layers": [4], "init_from": source.json()["id"]},
                         timeout=10)
    assert wider.status_code == 400 and wider.json()["errors"][0]["field"] == "hidden_layers"
