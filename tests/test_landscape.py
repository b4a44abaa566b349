"""The loss landscape: its computation in the training process (app/engine/landscape.py, the keeper that holds
each run's path) and POST /api/runs/<id>/landscape (validation, states, size limits) with a stand-in runner."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from app import create_app, shutdown
from app.config.parse import parse_config
from app.engine.landscape import filter_normalized, neuron_norms
from app.engine.landscape_plan import MAX_PATH, LandscapeUnavailable, layout
from app.runner.base import Runner, UnknownRun
from app.runner.landscape_client import LandscapeRequests
from app.runner.landscape_keeper import LandscapeKeeper

# Regression on noisy data has a true minimum; cross-entropy on separable classes has none (it falls as the
# weights grow), so "the minimum is at the centre" is tested where a minimum exists.
CONFIG = parse_config({"problem": "regression", "dataset": "plane", "noise": 30, "features": ["x1", "x2"],
                       "hidden_layers": [3], "seed": 3, "n_samples": 200, "learning_rate": 0.03})
EPOCHS = 150
TOKEN = "landscape-test-token"


@pytest.fixture(scope="module")
def trained():
    """A small run trained to convergence, with the keeper that watched it (as a worker's loop does)."""
    from app.engine.trainer import Trainer

    trainer = Trainer(CONFIG)
    keeper = LandscapeKeeper()
    keeper.begin("run", trainer)
    for _ in range(EPOCHS):
        trainer.train_epoch()
        keeper.observe("run")
    yield trainer, keeper
    trainer.close()


def test_directions_are_filter_normalised():
    config = parse_config({"features": ["x1", "x2"], "hidden_layers": [4, 2], "batch_norm": True})
    kinds = layout(config)
    rng = np.random.default_rng(0)
    weights, width = [], 2
    for kind, layer in kinds:  # weights shaped as the model lays them out
        units = [4, 2, 1][layer]
        shape = (width, units) if kind == "kernel" else (units,)
        weights.append(rng.normal(size=shape).astype(np.float32) * (layer + 1))
        if kind == "bias":
            width = units
    assert len(weights) == len(kinds) == 14  # 2 hidden (kernel, bias, 4 batch-norm arrays) + output
    direction = filter_normalized(weights, kinds, np.random.default_rng(7))
    for got, want in zip(neuron_norms(direction, kinds), neuron_norms(weights, kinds), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5)
    assert all(not d.any() for d, (kind, _) in zip(direction, kinds, strict=True) if kind == "bn")
    other = filter_normalized(weights, kinds, np.random.default_rng(8))
    assert not np.allclose(direction[0], other[0])  # random, not the weights themselves


def test_line_at_one_is_the_current_loss_and_the_plane_is_lowest_at_the_centre(trained):
    trainer, keeper = trained
    assert trainer.last["train_loss"] < 0.05  # converged
    reply = keeper.compute("run", {"resolution": 21, "span": 0.5, "seed": 1})
    result = reply["result"]
    alphas, line = np.array(result["line"]["alpha"]), np.array(result["line"]["loss"])
    assert line[np.argmin(np.abs(alphas - 1))] == pytest.approx(trainer.last["train_loss"], rel=1e-4)
    assert line[np.argmin(np.abs(alphas))] > 2 * trainer.last["train_loss"]  # the start was worse
    plane = np.array(result["plane"]["loss"])
    assert plane.shape == (21, 21)
    row, col = np.unravel_index(np.argmin(plane), plane.shape)
    assert abs(row - 10) <= 1 and abs(col - 10) <= 1
    path = result["path"]
    assert path[0]["epoch"] == 0 and path[-1]["epoch"] == EPOCHS == result["epoch"]
    assert path[-1]["a"] == pytest.approx(0, abs=1e-6) and path[-1]["b"] == pytest.approx(0, abs=1e-6)
    assert path[0]["loss"] == pytest.approx(line[np.argmin(np.abs(alphas))], rel=1e-4)  # both are θ₀
    assert len(path) <= MAX_PATH + 1 and [p["epoch"] for p in path] == sorted(p["epoch"] for p in path)


def test_an_ended_run_keeps_its_landscape_without_its_model(trained):
    trainer, _ = trained
    keeper = LandscapeKeeper(keep_ended=1)
    keeper.begin("a", trainer)
    keeper.retire("a")
    kept = keeper.compute("a", {"resolution": 5, "span": 1.0, "seed": 0})["result"]
    assert kept["current_loss"] == pytest.approx(trainer.last["train_loss"], rel=1e-4)
    keeper.begin("b", trainer)
    keeper.retire("b")  # one ended run is kept here: "a" goes
    assert keeper.compute("a", {"resolution": 5, "span": 1.0, "seed": 0}) == {"error": "gone"}


class _Record:
    def __init__(self, worker: int | None) -> None:
        self.worker = worker


class _Worker:
    """A worker handle whose process is this thread: it answers a landscape message as worker.py does."""

    def __init__(self, runner: Any, keeper: LandscapeKeeper) -> None:
        self.state, self.runner, self.keeper = "ready", runner, keeper

    def send(self, message: tuple) -> None:
        _, request_id, run_id, params = message
        threading.Thread(target=lambda: self.runner._on_reply(
            ("reply", request_id, self.keeper.compute(run_id, params)))).start()


class _Embedded(LandscapeRequests):
    def __init__(self, keeper: LandscapeKeeper) -> None:
        self._lock = threading.RLock()
        self._workers = {0: _Worker(self, keeper)}
        self._records = {"run": _Record(0), "moved": _Record(5)}

    def _get(self, run_id: str) -> _Record:
        if run_id not in self._records:
            raise UnknownRun(run_id)
        return self._records[run_id]


def test_the_request_reaches_the_runs_process_and_its_answer_comes_back(trained):
    _, keeper = trained
    runner = _Embedded(keeper)
    result = runner.landscape("run", {"resolution": 5, "span": 1.0, "seed": 0})
    assert len(result["plane"]["loss"]) == 5
    with pytest.raises(LandscapeUnavailable) as gone:
        runner.landscape("moved", {"resolution": 5, "span": 1.0, "seed": 0})
    assert gone.value.status == 409
    with pytest.raises(UnknownRun):
        runner.landscape("nope", {})
    with pytest.raises(LandscapeUnavailable) as celery:
        Runner.landscape(runner, "run", {})  # a backend without it (Celery): 503 with a message, not a 500
    assert celery.value.status == 503


BIG = {"hidden_layers": [64, 64, 64], "features": ["x1", "x2"]}


class StandIn:
    """Runs in each state; the paused one answers from the trained keeper."""

    def __init__(self, keeper: LandscapeKeeper) -> None:
        self.keeper = keeper
        self.asked: list[dict] = []
        self.configs = {"paused": CONFIG, "done": CONFIG, "running": CONFIG, "error": CONFIG,
                        "big": parse_config(BIG), "many": parse_config({**BIG, "hidden_layers": [16, 16],
                                                                        "n_samples": 5000, "train_ratio": 90})}

    def status(self, run_id: str) -> dict[str, Any]:
        if run_id not in self.configs:
            raise UnknownRun(run_id)
        state = run_id if run_id in ("paused", "done", "running", "error") else "done"
        return {"id": run_id, "state": state, "config": self.configs[run_id].model_dump(mode="json")}

    def landscape(self, run_id: str, params: dict) -> dict:
        self.asked.append(params)
        return self.keeper.compute("run", params)["result"]

    def shutdown(self, timeout: float = 10.0) -> None:
        pass


@pytest.fixture
def api(tmp_path, trained):
    runner = StandIn(trained[1])
    app = create_app({"TESTING": True, "KP_DATABASE_URL": f"sqlite:///{tmp_path}/ls.db", "KP_RUNNER": runner})
    from app.web.ownership import _digest

    for run_id in runner.configs:
        app.extensions["kp_owners"].set(f"run:{run_id}", [], _digest(TOKEN))
    yield app.test_client(), runner
    shutdown(app)


def post(client, run_id: str, body: Any = None, token: str = TOKEN):
    headers = {"X-Control-Token": token}
    if body is None:
        return client.post(f"/api/runs/{run_id}/landscape", headers=headers)
    return client.post(f"/api/runs/{run_id}/landscape", json=body, headers=headers)


@pytest.mark.parametrize("body,status,field,fragment", [
    ({"resolution": 2}, 400, "resolution", "greater than or equal to 5"),
    ({"resolution": 99}, 400, "resolution", "less than or equal to 61"),
    ({"resolution": "41"}, 400, "resolution", "integer"),
    ({"span": 0}, 400, "span", "greater than 0"),
    ({"span": 7.5}, 400, "span", "less than or equal to 5"),
    ({"seed": -1}, 400, "seed", "greater than or equal to 0"),
    ({"colour": "red"}, 400, "colour", ""),
    ([1, 2], 400, "body", "JSON object"),
])
def test_bad_landscape_requests_name_the_field(api, body, status, field, fragment):
    client, runner = api
    response = post(client, "paused", body)
    assert response.status_code == status, response.get_json()
    errors = response.get_json()["errors"]
    assert any(e["field"] == field and fragment in e["message"] for e in errors), errors
    assert not runner.asked  # refused before the training process is bothered


@pytest.mark.parametrize("run_id,status,field,fragment", [
    ("nope", 404, "run", "no run"),
    ("running", 409, "run", "pause the run"),
    ("error", 409, "run", "error"),
    ("big", 400, "run", "at most 5000"),
    ("many", 400, "resolution", "at most"),
])
def test_landscape_refusals_by_run(api, run_id, status, field, fragment):
    client, runner = api
    response = post(client, run_id, {"resolution": 41})
    assert response.status_code == status, response.get_json()
    error = response.get_json()["errors"][0]
    assert error["field"] == field and fragment in error["message"], error
    assert not runner.asked


def test_a_good_landscape_answer(api):
    client, runner = api
    assert post(client, "done", {}, token="").status_code == 403  # someone else's run
    response = post(client, "paused", {"resolution": 7, "span": 2, "seed": 4})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert runner.asked == [{"resolution": 7, "span": 2.0, "seed": 4}]
    assert len(body["line"]["alpha"]) == len(body["line"]["loss"]) == 31
    assert len(body["plane"]["a"]) == len(body["plane"]["b"]) == 7 and len(body["plane"]["loss"]) == 7
    assert all(len(row) == 7 for row in body["plane"]["loss"]) and body["plane"]["a"][-1] == 2.0
    assert {"epoch", "a", "b", "loss", "off_plane"} <= set(body["path"][0])
    assert post(client, "done").status_code == 200  # no body: the defaults
    malformed = client.post("/api/runs/paused/landscape", data="{resolution", content_type="application/json",
                            headers={"X-Control-Token": TOKEN})
    assert malformed.status_code == 400 and malformed.get_json()["errors"][0]["field"] == "body"
