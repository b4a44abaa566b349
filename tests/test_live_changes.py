"""Live changes are validated once, in the web process, against the run's own config; domain errors map once."""

from __future__ import annotations

from typing import Any

import pytest

from app.config.live import LIVE_FIELDS, live_change
from app.config.parse import ConfigError
from app.config.run_config import RunConfig
from app.runner.base import RunFull, UnknownRun

CLASSIC = RunConfig(mode="classic")
KERAS = RunConfig(optimizer="sgd")


class RecordingRunner:
    """Two runs (one classic-mode, one keras-mode); records what the workers would receive."""

    def __init__(self, full: bool = False) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.full = full

    def status(self, run_id: str) -> dict[str, Any]:
        configs = {"classic": CLASSIC, "keras": KERAS}
        if run_id not in configs:
            raise UnknownRun(run_id)
        return {"id": run_id, "state": "running", "config": configs[run_id].model_dump(mode="json")}

    def control(self, run_id: str, action: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        self.status(run_id)
        self.sent.append((run_id, action, args or {}))
        return {"id": run_id, "state": "running"}

    def events(self, run_id: str, last_event_id: int | None = None):
        self.status(run_id)
        return iter(())

    def result(self, run_id: str) -> dict[str, Any] | None:
        self.status(run_id)
        return None

    def submit(self, config: RunConfig, weights: Any = None, start: str = "running") -> dict[str, Any]:
        raise RunFull(7, "full")

    def shutdown(self, timeout: float = 10.0) -> None:
        pass


@pytest.fixture
def runner():
    return RecordingRunner()


@pytest.fixture
def client(tmp_path, runner):
    from app import create_app, shutdown
    from app.web.ownership import _digest

    app = create_app({"TESTING": True, "KP_DATABASE_URL": f"sqlite:///{tmp_path}/t.db", "KP_RUNNER": runner})
    for run_id in ("classic", "keras"):  # the stand-in runs belong to whoever sends the control token
        app.extensions["kp_owners"].set(f"run:{run_id}", [], _digest("live-token"))
    test_client = app.test_client()
    test_client.environ_base["HTTP_X_CONTROL_TOKEN"] = "live-token"
    yield test_client
    shutdown(app)


def test_classic_run_refuses_momentum_and_nothing_reaches_the_workers(client, runner):
    response = client.post("/api/runs/classic/set", json={"momentum": 0.9})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "momentum"
    assert "classic" in response.get_json()["errors"][0]["message"]
    assert runner.sent == []


def test_keras_run_accepts_momentum_and_the_workers_receive_the_validated_value(client, runner):
    response = client.post("/api/runs/keras/set", json={"momentum": "0.9", "learning_rate": 0.1})
    assert response.status_code == 200, response.get_json()
    assert runner.sent == [("keras", "set", {"momentum": 0.9, "learning_rate": 0.1})]


@pytest.mark.parametrize(("body", "field"), [
    ({"learning_rate": -1}, "learning_rate"),
    ({"epochs": 0}, "epochs"),
    ({"pace": "fast"}, "pace"),
    ({"activation": "relu"}, "activation"),
    ({}, "body"),
])
def test_bad_live_values_name_their_field(client, runner, body, field):
    response = client.post("/api/runs/keras/set", json=body)
    assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == field
    assert runner.sent == []


@pytest.mark.parametrize("path", ["/api/runs/nope", "/api/runs/nope/pause", "/api/runs/nope/events",
                                  "/api/runs/nope/export/spec.json"])
def test_unknown_run_is_a_404_on_field_run_everywhere(client, path):
    response = client.post(path) if path.endswith("pause") else client.get(path)
    assert response.status_code == 404 and response.get_json()["errors"][0]["field"] == "run"


def test_unknown_run_when_saving_is_the_same_404(client):
    response = client.post("/api/saved", json={"name": "x", "run_id": "nope"})
    assert response.status_code == 404 and response.get_json()["errors"][0]["field"] == "run"


def test_full_pool_is_a_429_with_retry_after(client):
    response = client.post("/api/runs", json={})
    # The runner's hint (7 s); Flask-Limiter raises it to its own window's reset when that is later.
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 7
    assert response.get_json()["errors"] == [{"field": "runs", "message": "full"}]


def test_live_change_merges_into_the_runs_own_config():
    assert live_change(KERAS, {"momentum": 0.5}) == {"momentum": 0.5}
    with pytest.raises(ConfigError) as caught:
        live_change(CLASSIC, {"momentum": 0.5})
    assert caught.value.errors[0]["field"] == "momentum"


def test_every_live_field_is_a_run_config_field():
    assert set(LIVE_FIELDS) <= set(RunConfig.model_fields)
