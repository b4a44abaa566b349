"""Drawn datasets (POST /api/drawn, "drawn:<id>"): validation naming the field, the 2,000-point limit,
ownership and expiry as for uploads, the split and noise of built-in sets, and a run that trains on one."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app import settings
from app.config.parse import ConfigError, parse_config
from app.data import datasets, drawn, upload_store


@pytest.fixture(autouse=True)
def upload_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KP_UPLOAD_DIR", str(tmp_path / "uploads"))
    settings.reset()  # the settings are read once: read them again with this directory
    yield tmp_path / "uploads"
    monkeypatch.undo()
    settings.reset()


def quadrants(per: int = 10) -> list[dict]:
    """A drawn XOR: blue (1) in the quadrants where x1·x2 > 0, orange (0) in the others."""
    rng = np.random.default_rng(1)
    points = []
    for sx, sy in ((1, 1), (-1, -1), (1, -1), (-1, 1)):
        for _ in range(per):
            x1, x2 = sx * rng.uniform(1, 5), sy * rng.uniform(1, 5)
            points.append({"x1": round(x1, 3), "x2": round(x2, 3), "label": int(sx * sy > 0)})
    return points


def test_drawn_points_are_stored_and_read_back(client):
    points = quadrants()
    response = client.post("/api/drawn", json={"points": points})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["dataset"] == f"drawn:{body['id']}" and body["rows"] == 40 and body["classes"] == 2
    assert response.headers["Location"] == f"/api/drawn/{body['id']}"
    back = client.get(f"/api/drawn/{body['id']}").get_json()
    assert back["points"] == points and "owner" not in back


GOOD = [{"x1": 1, "x2": 1, "label": 0}, {"x1": 2, "x2": 1, "label": 0},
        {"x1": -1, "x2": 1, "label": 1}, {"x1": -2, "x2": 1, "label": 1}]


@pytest.mark.parametrize(
    "body,field,words",
    [
        ({}, "points", "list of points"),
        ({"points": "many"}, "points", "list of points"),
        ({"points": [*GOOD, 7]}, "points.4", "expected an object"),
        ({"points": [*GOOD, {"x1": 6.5, "x2": 0, "label": 0}]}, "points.4.x1", "from -6 to 6"),
        ({"points": [*GOOD, {"x1": 0, "x2": "a", "label": 0}]}, "points.4.x2", "from -6 to 6"),
        ({"points": [*GOOD, {"x1": 0, "x2": True, "label": 0}]}, "points.4.x2", "from -6 to 6"),
        ({"points": [*GOOD, {"x1": 0, "x2": 0}]}, "points.4.label", "a class from 0 to 4"),
        ({"points": [*GOOD, {"x1": 0, "x2": 0, "label": 5}]}, "points.4.label", "a class from 0 to 4"),
        ({"points": [*GOOD, {"x1": 0, "x2": 0, "label": 1.5}]}, "points.4.label", "a class from 0 to 4"),
        ({"points": GOOD[:2]}, "points", "at least two classes"),
        ({"points": [*GOOD[:3]]}, "points", "(class 1 has 1)"),
        ({"points": [*GOOD, {"x1": 0, "x2": 0, "label": 3}, {"x1": 1, "x2": 0, "label": 3}]}, "points",
         "(class 2 has 0)"),
        ({"points": [{"x1": 0, "x2": 0, "label": i % 2} for i in range(2001)]}, "points", "at most 2000 points"),
    ],
)
def test_bad_points_are_refused_naming_the_field(client, body, field, words):
    response = client.post("/api/drawn", json=body)
    assert response.status_code == 400
    error = response.get_json()["errors"][0]
    assert error["field"] == field and words in error["message"], error


def test_every_bad_point_is_reported_up_to_a_limit(client):
    bad = [{"x1": 9, "x2": 0, "label": 0}] * 50
    errors = client.post("/api/drawn", json={"points": [*GOOD, *bad]}).get_json()["errors"]
    assert len(errors) == drawn.MAX_ERRORS and errors[0]["field"] == "points.4.x1"


def test_not_json_is_refused(client):
    response = client.post("/api/drawn", data="points", content_type="text/plain")
    assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "body"


def test_exactly_the_limit_is_accepted(client):
    points = [{"x1": 0, "x2": 0, "label": i % 2} for i in range(drawn.MAX_POINTS)]
    assert client.post("/api/drawn", json={"points": points}).status_code == 201


def test_drawn_sets_belong_to_their_owner_as_uploads_do(client, app):
    body = client.post("/api/drawn", json={"points": GOOD}).get_json()
    listed = client.get("/api/uploads").get_json()["uploads"]
    assert [u["dataset"] for u in listed] == [body["dataset"]]
    stranger = app.test_client()
    assert stranger.get("/api/uploads").get_json() == {"uploads": []}
    assert stranger.get(f"/api/drawn/{body['id']}").status_code == 200  # the link is the permission to read
    assert stranger.delete(f"/api/drawn/{body['id']}").status_code == 404
    assert client.delete(f"/api/drawn/{body['id']}").status_code == 204
    assert client.get(f"/api/drawn/{body['id']}").status_code == 404


def test_a_csv_upload_is_not_readable_as_a_drawn_set(client):
    import io

    csv = "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n"
    upload = client.post("/api/uploads", data={"file": (io.BytesIO(csv.encode()), "d.csv")},
                         content_type="multipart/form-data").get_json()
    assert client.get(f"/api/drawn/{upload['id']}").status_code == 404
    with pytest.raises(ConfigError, match="no drawn set"):
        parse_config({"dataset": f"drawn:{upload['id']}"})


def test_expired_drawn_sets_are_gone_with_a_message(client):
    body = client.post("/api/drawn", json={"points": GOOD}).get_json()
    assert upload_store.cleanup(now=time.time() + 86_401) == 1
    response = client.get(f"/api/drawn/{body['id']}")
    assert response.status_code == 404 and "draw it again" in response.get_json()["errors"][0]["message"]
    with pytest.raises(ConfigError) as info:
        parse_config({"dataset": body["dataset"]})
    assert info.value.errors[0]["field"] == "dataset" and "open the link" in info.value.errors[0]["message"]


def test_split_and_noise_apply_as_for_built_in_sets(client):
    points = quadrants()
    body = client.post("/api/drawn", json={"points": points}).get_json()
    clean = datasets.make(body["dataset"], 500, 0, 30, 7)
    assert len(clean.x_train) == 12 and len(clean.x_test) == 28  # every point, 30 % train
    drawn_xy = {(p["x1"], p["x2"]) for p in points}
    got = np.vstack([clean.x_train, clean.x_test])
    assert {(round(float(a), 3), round(float(b), 3)) for a, b in got} == drawn_xy  # map coordinates kept
    noisy = datasets.make(body["dataset"], 500, 50, 30, 7)
    moved = np.abs(np.vstack([noisy.x_train, noisy.x_test]) - got)
    assert moved.max() > 0.2 and moved.max() <= drawn.NOISE_SPAN * 0.5 + 1e-6
    assert datasets.make(body["dataset"], 500, 50, 30, 7).x_train.tolist() == noisy.x_train.tolist()  # by seed
    served = client.get(f"/api/datasets/{body['dataset']}?train_ratio=50&noise=0").get_json()
    assert len(served["train"]["x1"]) == 20 and served["n_classes"] == 2


def test_drawn_sets_count_towards_the_owners_upload_quota(client, monkeypatch):
    monkeypatch.setenv("KP_UPLOADS_PER_OWNER", "2")
    settings.reset()
    assert client.post("/api/drawn", json={"points": GOOD}).status_code == 201
    assert client.post("/api/drawn", json={"points": GOOD}).status_code == 201
    response = client.post("/api/drawn", json={"points": GOOD})
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 86_400
    error = response.get_json()["errors"][0]
    assert error["field"] == "points" and "2 uploads" in error["message"] and "delete one" in error["message"]
    first = client.get("/api/uploads").get_json()["uploads"][0]["id"]
    assert client.delete(f"/api/drawn/{first}").status_code == 204
    assert client.post("/api/drawn", json={"points": GOOD}).status_code == 201  # deleting one frees its place


def test_three_drawn_classes_train_with_softmax(client):
    points = [{"x1": k * 2 - 2 + 0.1 * i, "x2": 0, "label": k} for k in range(3) for i in range(3)]
    body = client.post("/api/drawn", json={"points": points}).get_json()
    config = parse_config({"dataset": body["dataset"]})
    assert config.classes == 3 and config.resolved_loss == "categorical_crossentropy"


def test_a_run_on_a_drawn_xor_trains(client):
    from app.engine.trainer import ModelCache, Trainer

    body = client.post("/api/drawn", json={"points": quadrants(15)}).get_json()
    config = parse_config({"dataset": body["dataset"], "features": ["x1", "x2", "x1_x2"], "hidden_layers": [4],
                           "learning_rate": 0.1, "epochs": 60, "train_ratio": 70})
    trainer = Trainer(config, ModelCache())
    try:
        for _ in range(60):
            metrics = trainer.train_epoch()
    finally:
        trainer.close()
    assert metrics["train_accuracy"] >= 0.9 and metrics["test_accuracy"] >= 0.9, metrics
