"""Sweeps API: validation without starting a worker, then real sweeps on the live server (gunicorn + pool)."""

from __future__ import annotations

import csv
import io

import pytest
import requests

from app.sweeps.plan import MAX_RUNS
from tests.conftest import wait_until
from tests.sse_client import events

SMALL = {"dataset": "xor", "epochs": 30, "hidden_layers": [4]}
LONG = {"dataset": "spiral", "epochs": 50000, "hidden_layers": [8, 8]}


@pytest.mark.parametrize(
    "body,status,field,fragment",
    [
        ({"params": {"colour": [1, 2]}}, 400, "params", "cannot be swept"),
        ({"params": {"learning_rate": [0.1] * 13}}, 400, "params", "1 to 12 values"),
        ({"params": {"learning_rate": [0.1], "batch_size": [1], "noise": [0], "dropout": [0]}}, 400, "params",
         "at most 3"),
        ({"params": {"learning_rate": [0.01 * i for i in range(1, 13)], "batch_size": [1, 2, 3, 4, 5, 6]}}, 400,
         "params", f"than {MAX_RUNS} runs"),
        ({"params": {"learning_rate": [0.1]}, "repeats": "many"}, 400, "repeats", "integer"),
        ({"params": {"learning_rate": [0.1]}, "repeats": 9}, 400, "repeats", "5"),
        ({"params": {"learning_rate": [0.1]}, "colour": 1}, 400, "colour", "unknown field"),
        ({"params": {"learning_rate": [0.1, 50]}}, 400, "params", "learning_rate"),
        ({"mode": "grid", "params": {"learning_rate": {"low": 0.01, "high": 1}}}, 400, "params", "lists of values"),
        ({"base": {"dataset": "nowhere"}, "params": {"learning_rate": [0.1]}}, 400, "params", "dataset"),
        ({"lesson": "no-such-lesson"}, 404, "lesson", "no lesson"),
        ({"lesson": "day65-ex6-learning-rate", "repeats": 0}, 400, "repeats", "1 to 5"),
        ({"lesson": "day65-ex6-learning-rate", "colour": 1}, 400, "colour", "unknown field"),
        ([1, 2], 400, "body", "JSON object"),
    ],
)
def test_bad_sweeps_are_refused_before_any_worker_starts(app, client, body, status, field, fragment):
    response = client.post("/api/sweeps", json=body)
    assert response.status_code == status, response.get_json()
    errors = response.get_json()["errors"]
    assert errors[0]["field"].startswith(field) and fragment in errors[0]["message"], errors
    assert not app.extensions["kp_runner"].started()


def test_unknown_sweep_is_404_with_the_field(client):
    for path in ("/api/sweeps/nope", "/api/sweeps/nope/results.csv"):
        response = client.get(path)
        assert response.status_code == 404 and response.get_json()["errors"][0]["field"] == "sweep"
    assert client.post("/api/sweeps/nope/cancel").status_code == 404


def create(live, body) -> dict:
    response = requests.post(live.url + "/api/sweeps", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def view(live, sweep_id) -> dict:
    return requests.get(f"{live.url}/api/sweeps/{sweep_id}", timeout=10).json()


def test_results_arrive_for_every_point_with_stream_and_csv(live):
    body = {"base": SMALL, "params": {"learning_rate": [0.01, 0.1, 0.3]}, "repeats": 2}
    created = create(live, body)
    assert created["runs"] == 6
    received = list(events(live.url + created["events_url"], deadline=240))
    names = [e["event"] for e in received]
    assert names[-1] == "done" and names.count("trial") == 6
    final = view(live, created["id"])
    assert final["state"] == "done" and final["counts"]["done"] == 6
    rows = final["rows"]
    assert [r["params"]["learning_rate"] for r in rows] == [0.01, 0.1, 0.3]
    assert all(r["runs"] == 2 and r["failed"] == 0 and r["test_loss"] is not None for r in rows)
    assert all(r["epochs"] == 30 and r["test_loss_std"] is not None for r in rows)
    assert sum(r["best"] for r in rows) == 1
    best = min(rows, key=lambda r: r["test_loss"])
    assert final["best"] == best["index"]
    for trial in final["trials"]:
        assert trial["state"] == "done" and trial["summary"]["epochs"] == 30
        assert trial["thumbnail"]["resolution"] > 0 and trial["thumbnail"]["data"]
        assert trial["curves"]["epoch"][-1] == 30 and len(trial["curves"]["test_loss"]) == 30
    assert {t["seed"] for t in final["trials"]} == {0, 1}  # repeats differ by seed
    text = requests.get(f"{live.url}/api/sweeps/{created['id']}/results.csv", timeout=10).text
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["learning_rate"] for r in table] == ["0.01", "0.1", "0.3"]
    assert [r["best"] for r in table].count("1") == 1 and all(float(r["test_loss"]) > 0 for r in table)


def test_lesson_sweep_runs_each_compared_value(live):
    created = create(live, {"lesson": "day65-ex7-activation"})
    sweep_id = created["id"]
    try:
        running = wait_until(lambda: view(live, sweep_id)["counts"]["running"] > 0, 60, 0.2, "a running trial")
        assert running
        first = view(live, sweep_id)
        assert first["kind"] == "lesson" and first["params"] == ["activation"]
        assert [t["point"]["activation"] for t in first["trials"]] == ["tanh", "relu", "sigmoid"]
    finally:
        requests.post(f"{live.url}/api/sweeps/{sweep_id}/cancel", timeout=10)
        wait_until(lambda: view(live, sweep_id)["state"] == "cancelled", 30, 0.2, "the sweep to end")


def test_cancel_frees_the_workers_and_the_client_cap(live):
    first = create(live, {"base": LONG, "params": {"learning_rate": [0.01, 0.03, 0.1, 0.3]}})
    second = create(live, {"base": LONG, "params": {"batch_size": [5, 10]}})
    refused = requests.post(live.url + "/api/sweeps", json={"base": SMALL, "params": {"learning_rate": [0.1]}},
                            timeout=10)
    assert refused.status_code == 429 and refused.json()["errors"][0]["field"] == "sweeps"
    assert "Retry-After" in refused.headers
    wait_until(lambda: view(live, first["id"])["counts"]["running"] + view(live, second["id"])["counts"]["running"]
               >= 2, 60, 0.2, "trials of both sweeps to run")
    # At most KP_SWEEP_SLOTS (one per training worker: 2) trials run at once over every sweep.
    assert view(live, first["id"])["counts"]["running"] + view(live, second["id"])["counts"]["running"] == 2
    run_ids = [t["run_id"] for s in (first, second) for t in view(live, s["id"])["trials"] if t["run_id"]]
    for sweep in (first, second):
        response = requests.post(f"{live.url}/api/sweeps/{sweep['id']}/cancel", timeout=10)
        assert response.status_code == 200
    wait_until(lambda: all(view(live, s["id"])["state"] == "cancelled" for s in (first, second)), 30, 0.2,
               "both sweeps to end cancelled")
    final = view(live, first["id"])
    assert final["counts"]["cancelled"] == 4 and final["counts"]["pending"] == 0
    for run_id in run_ids:
        assert requests.get(f"{live.url}/api/runs/{run_id}", timeout=10).json()["state"] == "done"
    wait_until(lambda: live.health()["runs"]["active"] == 0, 30, 0.2, "the workers to be free")
    # The cap counts unfinished sweeps only: a new one is accepted now.
    again = create(live, {"base": SMALL, "params": {"learning_rate": [0.1]}})
    requests.post(f"{live.url}/api/sweeps/{again['id']}/cancel", timeout=10)
