"""The lab: stratified folds, scaling fitted inside each fold, the Keras estimator, jobs through the API."""

from __future__ import annotations

import io

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from app import settings
from app.lab.folds import load, run_fold, splits
from app.lab.plan import PRESETS, LabJob
from tests.conftest import wait_until


class Recorder(ClassifierMixin, BaseEstimator):
    """Remembers the mean and spread of the features it was trained on; predicts the majority class."""

    def fit(self, x, y):
        self.seen_mean_, self.seen_std_ = x.mean(axis=0), x.std(axis=0)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[counts.argmax()]
        return self

    def predict(self, x):
        return np.full(len(x), self.majority_)


def test_sonar_folds_are_stratified_and_cover_every_row_once():
    _x, y, classes = load("sonar")
    folds = splits(y, 10, seed=7)
    assert classes == ["M", "R"] and len(folds) == 10
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested.tolist()) == list(range(208))
    share = np.bincount(y) / len(y)
    for train, test in folds:
        assert not set(train) & set(test)
        counts = np.bincount(y[test], minlength=2)
        assert np.all(np.abs(counts - share * len(test)) <= 1)  # 111 M and 97 R: 11-12 and 9-10 per fold


def test_scaler_is_fitted_on_the_training_rows_of_each_fold():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = np.repeat([0, 1], 30)
    x[::4] += 50.0  # rows far away: whichever fold holds them out shifts a global mean a lot
    for train, test in splits(y, 5, seed=1):
        result, fitted = run_fold(x, y, train, test, Recorder())
        scaler, model = fitted.named_steps["scale"], fitted.named_steps["model"]
        np.testing.assert_allclose(scaler.mean_, x[train].mean(axis=0))
        # What the model saw is standardised with its own rows' statistics: a scaler fitted on
        # all 60 rows (leaking the test fold) would leave these away from 0 and 1.
        np.testing.assert_allclose(model.seen_mean_, 0, atol=1e-9)
        np.testing.assert_allclose(model.seen_std_, 1, atol=1e-9)
        assert not np.allclose(scaler.mean_, x.mean(axis=0))
        assert result["test_rows"] == len(test) and 0 <= result["accuracy"] <= 1


def test_presets_are_the_articles_three_configurations():
    job = LabJob()
    assert job.dataset == "sonar" and job.folds == 10 and [c.name for c in job.configs] == [p["name"] for p in PRESETS]
    base, visible, hidden = job.configs
    assert base.hidden_layers == [60, 30] and base.learning_rate == 0.01 and base.momentum == 0.8
    assert visible.input_dropout == 0.2 and visible.max_norm == 3 and visible.learning_rate == 0.1
    assert hidden.dropout == 0.2 and hidden.input_dropout == 0 and hidden.momentum == 0.9
    assert all(c.epochs == 300 and c.batch_size == 16 for c in job.configs)


def test_keras_estimator_learns_and_respects_max_norm():
    from app.lab.model import KerasMLP

    rng = np.random.default_rng(3)
    y = np.repeat([0, 1, 2], 40)
    x = rng.normal(size=(120, 4)) + np.eye(3, 4)[y] * 4
    model = KerasMLP(hidden_layers=(16,), input_dropout=0.1, max_norm=1.0, learning_rate=0.05, momentum=0.9,
                     epochs=40, batch_size=8, seed=1)
    assert model.fit(x, y).score(x, y) >= 0.95
    hidden = [layer for layer in model.model_.layers if hasattr(layer, "kernel")][0]
    assert np.linalg.norm(hidden.kernel.numpy(), axis=0).max() <= 1.0 + 1e-5
    assert model.predict_proba(x[:3]).shape == (3, 3)


def learner(app):
    """Another learner's browser, with its own client cookie (KP_LAB_JOBS_PER_CLIENT counts per client)."""
    client = app.test_client()
    client.get("/api/lab/presets")  # the page's first request hands out the cookie
    return client


@pytest.fixture
def uploads(tmp_path, monkeypatch):
    monkeypatch.setenv("KP_UPLOAD_DIR", str(tmp_path / "uploads"))
    settings.reset()  # the settings are read once: read them again with this directory


@pytest.mark.parametrize(
    "body,status,field",
    [
        ({"folds": 11}, 400, "folds"),
        ({"folds": 1}, 400, "folds"),
        ({"dataset": "circle"}, 400, "dataset"),
        ({"configs": []}, 400, "configs"),
        ({"configs": [{"name": "x", "dropout": 0.95}]}, 400, "configs.0.dropout"),
        ({"configs": [{"name": "x", "optimizer": "adam"}]}, 400, "configs.0.optimizer"),
        ({"configs": [{"name": "x", "epochs": 1000}] * 4}, 400, "configs"),  # 8.3 M row-epochs: over the 5 M cap
        ({"dataset": "upload:nosuchupload1"}, 404, "dataset"),
        ({"colour": "red"}, 400, "colour"),
    ],
)
def test_bad_jobs_are_refused_naming_the_field(client, uploads, body, status, field):
    response = client.post("/api/lab/jobs", json=body)
    assert response.status_code == status
    assert field in [e["field"] for e in response.get_json()["errors"]]


def test_more_folds_than_rows_of_a_class_is_refused(client, uploads):
    text = "a,b,c,label\n" + "".join(f"{i},{i % 3},{i % 5},{'x' if i < 17 else 'y'}\n" for i in range(20))
    upload = client.post("/api/uploads", data={"file": (io.BytesIO(text.encode()), "d.csv")},
                         content_type="multipart/form-data").get_json()
    response = client.post("/api/lab/jobs", json={"dataset": f"upload:{upload['id']}", "folds": 5})
    assert response.status_code == 400
    error = response.get_json()["errors"][0]
    assert error["field"] == "folds" and "smallest class has 3 rows" in error["message"]


def test_small_lab_runs_complete_with_per_fold_results(app, client, uploads):
    tiny = {"hidden_layers": [8], "epochs": 5, "batch_size": 32}
    body = {"folds": 3, "configs": [{"name": "plain", **tiny}, {"name": "dropped", "input_dropout": 0.2, **tiny}]}
    created = client.post("/api/lab/jobs", json=body)
    assert created.status_code == 201
    job = created.get_json()
    assert job["progress"] == {"done": 0, "total": 6} and job["rows"] == 208

    rng = np.random.default_rng(0)
    rows = "".join(f"{c * 6 + rng.normal():.3f},{rng.normal():.3f},{rng.normal():.3f},k{c}\n"
                   for c in range(3) for _ in range(20))
    upload = client.post("/api/uploads", data={"file": (io.BytesIO(("a,b,c,label\n" + rows).encode()), "k.csv")},
                         content_type="multipart/form-data").get_json()
    other = learner(app).post("/api/lab/jobs", json={"dataset": f"upload:{upload['id']}", "folds": 2,
                                               "configs": [{"name": "k3", "hidden_layers": [8], "epochs": 40,
                                                           "learning_rate": 0.1, "momentum": 0.9}]})
    assert other.status_code == 201

    def finished(job_id):
        status = client.get(f"/api/lab/jobs/{job_id}").get_json()
        assert status["state"] in ("queued", "running", "done"), status.get("error")
        return status if status["state"] == "done" else None

    sonar = wait_until(lambda: finished(job["id"]), 400, 0.5, "the Sonar lab job")
    assert sonar["progress"] == {"done": 6, "total": 6}
    for config in sonar["configs"]:
        accuracies = [r["accuracy"] for r in config["results"]]
        assert len(accuracies) == 3 and all(0 <= a <= 1 for a in accuracies)
        assert config["mean"] == pytest.approx(np.mean(accuracies), abs=1e-4)
        assert config["std"] == pytest.approx(np.std(accuracies), abs=1e-4)
        assert sum(r["test_rows"] for r in config["results"]) == 208
    three = wait_until(lambda: finished(other.get_json()["id"]), 400, 0.5, "the upload lab job")
    assert three["classes"] == ["k0", "k1", "k2"] and three["configs"][0]["mean"] >= 0.8
    assert client.get("/api/lab/jobs/nope").status_code == 404


def test_a_cancelled_job_stops_and_keeps_its_finished_folds(app, client, uploads):
    created = client.post("/api/lab/jobs", json={"folds": 10, "configs": [{"name": "long", "epochs": 1000}]})
    assert created.status_code == 201
    job_id = created.get_json()["id"]
    cancelled = client.post(f"/api/lab/jobs/{job_id}/cancel").get_json()
    assert cancelled["state"] == "cancelled" and cancelled["progress"]["done"] < 10
    # A cancelled job no longer counts against KP_LAB_MAX_JOBS (2): two more are admitted (one per learner:
    # KP_LAB_JOBS_PER_CLIENT is 1, so the second comes from another learner, as the third).
    small = {"folds": 2, "configs": [{"name": "x", "epochs": 200}]}  # seconds of work: still running below
    assert learner(app).post("/api/lab/jobs", json=small).status_code == 201
    assert learner(app).post("/api/lab/jobs", json=small).status_code == 201
    busy = learner(app).post("/api/lab/jobs", json=small)
    assert busy.status_code == 429 and busy.headers["Retry-After"] and busy.get_json()["errors"][0]["field"] == "jobs"
    assert client.post("/api/lab/jobs/nope/cancel").status_code == 404


def test_a_fold_past_its_time_limit_ends_the_job_with_the_reason(tmp_path, uploads):
    from app import create_app, shutdown
    from app.lab.jobs import LabRunner

    app = create_app({"TESTING": True, "KP_DATABASE_URL": f"sqlite:///{tmp_path}/lab.db",
                      "KP_LAB_RUNNER": LabRunner(fold_seconds=0.01)})  # no fold trains this fast
    client = app.test_client()
    try:
        created = client.post("/api/lab/jobs", json={"folds": 2, "configs": [{"name": "x", "epochs": 5}]})
        assert created.status_code == 201
        url = f"/api/lab/jobs/{created.get_json()['id']}"

        def failed():
            status = client.get(url).get_json()
            assert status["state"] in ("queued", "running", "error"), status
            return status if status["state"] == "error" else None

        status = wait_until(failed, 300, 0.5, "the job to fail")
        assert "fold 1 of configuration 1" in status["error"] and "limit of 0.01 s" in status["error"]
        assert status["progress"]["done"] == 0
    finally:
        shutdown(app)
