"""A finished sweep is stored: another app on the same database (a restart) shows its table, trials and CSV."""

from __future__ import annotations

from app import create_app
from tests.conftest import wait_until
from tests.test_sweep_jobs import FakeRunner

SPEC = {"base": {"dataset": "xor", "epochs": 30}, "params": {"learning_rate": [0.1, 0.3]}, "repeats": 2}


def make_app(tmp_path, runner: FakeRunner):
    return create_app({"TESTING": True, "KP_DATABASE_URL": f"sqlite:///{tmp_path}/kp.db", "KP_RUNNER": runner})


def finish_a_sweep(tmp_path) -> tuple[str, dict, bytes]:
    runner = FakeRunner()
    app = make_app(tmp_path, runner)
    client = app.test_client()
    created = client.post("/api/sweeps", json=SPEC)
    assert created.status_code == 201, created.get_json()
    sweep_id = created.get_json()["id"]

    def release_then_view():  # every trial ends as soon as it has started (two run at once)
        for run_id in runner.live():
            runner.runs[run_id].set()
        view = client.get(f"/api/sweeps/{sweep_id}").get_json()
        return view if view["state"] == "done" else None

    view = wait_until(release_then_view, 20, 0.05, "the sweep to finish")
    csv = client.get(f"/api/sweeps/{sweep_id}/results.csv").data
    app.extensions["kp_sweeps"].close()
    return sweep_id, view, csv


def test_a_finished_sweep_is_readable_after_a_restart(tmp_path):
    sweep_id, before, csv = finish_a_sweep(tmp_path)
    assert before["counts"]["done"] == 4 and len(before["rows"]) == 2
    client = make_app(tmp_path, FakeRunner()).test_client()  # a new process: nothing in memory
    after = client.get(f"/api/sweeps/{sweep_id}").get_json()
    assert {k: after[k] for k in ("state", "rows", "best", "params", "counts", "wall_time")} == \
        {k: before[k] for k in ("state", "rows", "best", "params", "counts", "wall_time")}
    assert [t["thumbnail"] for t in after["trials"]] == [t["thumbnail"] for t in before["trials"]]
    assert [t["curves"] for t in after["trials"]] == [t["curves"] for t in before["trials"]]
    assert client.get(f"/api/sweeps/{sweep_id}/results.csv").data == csv
    stream = client.get(f"/api/sweeps/{sweep_id}/events").get_data(as_text=True)  # replays, then ends
    names = [line.removeprefix("event: ") for line in stream.splitlines() if line.startswith("event: ")]
    assert names == ["trial"] * 4 + ["progress", "done"]
    cancelled = client.post(f"/api/sweeps/{sweep_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "done"


def test_an_unknown_sweep_is_still_a_404_naming_the_field(tmp_path):
    client = make_app(tmp_path, FakeRunner()).test_client()
    response = client.get("/api/sweeps/not-a-sweep")
    assert response.status_code == 404 and response.get_json()["errors"][0]["field"] == "sweep"
