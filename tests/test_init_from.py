"""`init_from`: a run restarted from another run's initial weights and data (app/web/init_from.py), on a real server."""

from __future__ import annotations

import pytest
import requests

from tests.sse_client import events

SOURCE = {"dataset": "xor", "features": ["x1", "x2"], "hidden_layers": [4, 2], "epochs": 3, "pace": "max",
          "learning_rate": 0.03, "seed": 7, "noise": 10}


def first_frame_and_end(base: str, created: dict) -> tuple[dict, dict]:
    """The run's first frame and its done event (the stream read to its end)."""
    stream = list(events(base + created["events_url"], deadline=120))
    frame = next(e["data"] for e in stream if e["event"] == "frame")
    return frame, stream[-1]


def comparable(frame: dict) -> dict:
    """A frame without its wall-clock figure."""
    return {k: v for k, v in frame.items() if k != "elapsed"}


@pytest.fixture(scope="module")
def learner(live):
    """A learner (one client cookie) with a finished source run: (session, base url, source id, first frame)."""
    session = requests.Session()
    created = session.post(live.url + "/api/runs", json=SOURCE, timeout=30)
    assert created.status_code == 201, created.text
    frame, end = first_frame_and_end(live.url, created.json())
    assert end["event"] == "done"
    return session, live.url, created.json()["id"], frame


def test_same_start_gives_the_same_first_frame_though_the_request_asks_other_data_and_initializer(learner):
    session, base, source_id, source_frame = learner
    # Another seed, noise and initializer: without init_from, weights and points would both differ.
    body = {**SOURCE, "seed": 99, "noise": 40, "initializer": "he_normal", "init_from": source_id}
    created = session.post(base + "/api/runs", json=body, timeout=30)
    assert created.status_code == 201, created.text
    assert created.json()["init_from"] == source_id
    frame, _ = first_frame_and_end(base, created.json())
    assert frame["epoch"] == source_frame["epoch"] == 1
    assert comparable(frame) == comparable(source_frame)
    config = session.get(f"{base}/api/runs/{created.json()['id']}", timeout=10).json()["config"]
    assert (config["seed"], config["noise"], config["initializer"]) == (7, 10, "he_normal")  # the source's data


def test_a_fresh_run_with_another_initializer_starts_elsewhere(learner):
    """The control: the same settings without init_from give another first frame (the test above can fail)."""
    session, base, _, source_frame = learner
    created = session.post(base + "/api/runs", json={**SOURCE, "initializer": "he_normal"}, timeout=30)
    frame, _ = first_frame_and_end(base, created.json())
    assert frame["weights"] != source_frame["weights"]


@pytest.mark.parametrize(("change", "field"), [
    ({"hidden_layers": [4]}, "hidden_layers"),
    ({"hidden_layers": [4, 3]}, "hidden_layers"),
    ({"features": ["x1", "x2", "x1_x2"]}, "features"),
    ({"batch_norm": True}, "batch_norm"),
])
def test_a_different_architecture_is_a_400_naming_the_field(learner, change, field):
    session, base, source_id, _ = learner
    response = session.post(base + "/api/runs", json={**SOURCE, **change, "init_from": source_id}, timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == field
    assert "must match the run you start from" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("value", ["", "../etc", 5, None, "x" * 65])
def test_a_malformed_init_from_is_a_400(learner, value):
    session, base, _, _ = learner
    response = session.post(base + "/api/runs", json={**SOURCE, "init_from": value}, timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == "init_from"


def test_an_unknown_run_or_another_learners_run_is_a_404(learner):
    session, base, source_id, _ = learner
    unknown = session.post(base + "/api/runs", json={**SOURCE, "init_from": "no-such-run"}, timeout=30)
    other = requests.Session()
    other.cookies.set("kp_client", "someone-else-entirely")
    theirs = other.post(base + "/api/runs", json={**SOURCE, "init_from": source_id}, timeout=30)
    for response in (unknown, theirs):
        assert response.status_code == 404, response.text
        assert response.json()["errors"][0]["field"] == "init_from"
    # the same answer as for a run that does not exist: another learner's run ids are not confirmed
    assert theirs.json()["errors"][0]["message"] == unknown.json()["errors"][0]["message"].replace(
        "no-such-run", source_id)
