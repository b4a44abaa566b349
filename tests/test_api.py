"""API contract with the Flask test client: one error shape, field-level messages, never a 500 for bad input."""

import subprocess
import sys
import textwrap

import pytest


@pytest.mark.parametrize(
    "kwargs,status,field,fragment",
    [
        ({"json": {"learning_rate": "fast"}}, 400, "learning_rate", "valid number"),
        ({"json": {"learning_rate": 11}}, 400, "learning_rate", "less than or equal to 10"),
        ({"json": {"batch_size": 0}}, 400, "batch_size", "greater than or equal to 1"),
        ({"json": {"wings": 2}}, 400, "wings", "unknown field"),
        ({"json": {"dataset": "unicorns"}}, 400, "dataset", "unknown dataset"),
        ({"json": {"dataset": "plane"}}, 400, "dataset", "regression dataset"),
        ({"json": {"hidden_layers": [4, "x"]}}, 400, "hidden_layers.1", "valid integer"),
        ({"json": [1, 2]}, 400, "body", "JSON object"),
        ({"data": "{not json", "content_type": "application/json"}, 400, "body", "malformed JSON"),
        ({"data": "hello", "content_type": "text/plain"}, 400, "content_type", "wrong content type"),
        ({"data": {"learning_rate": "99"}}, 400, "learning_rate", "less than or equal to 10"),
        ({"data": {"features": "x1,nope"}}, 400, "features.1", "must be one of"),
        ({"json": {"features": ["x1"] * 70000}}, 413, "body", "larger than"),
        ({"json": {}, "query_string": {"start": "later"}}, 400, "start", "must be one of"),
    ],
)
def test_bad_run_requests_name_the_field(client, kwargs, status, field, fragment):
    response = client.post("/api/runs", **kwargs)
    assert response.status_code == status
    errors = response.get_json()["errors"]
    assert any(e["field"] == field and fragment in e["message"] for e in errors), errors


@pytest.mark.parametrize(
    "method,path,status,field",
    [
        ("get", "/api/nothing", 404, "path"),
        ("delete", "/api/runs", 405, "method"),
        ("get", "/api/datasets/unicorns", 404, "dataset"),
        ("get", "/api/datasets/circle?noise=90", 400, "noise"),
        ("get", "/api/datasets/circle?colour=red", 400, "colour"),
        ("get", "/api/datasets/blobs?n_classes=9", 400, "n_classes"),
        ("get", "/api/saved/nothing-here", 404, "saved"),
        ("get", "/api/runs/nope", 404, "run"),
        ("post", "/api/runs/nope/pause", 404, "run"),
        ("post", "/api/runs/nope/fly", 404, "action"),
    ],
)
def test_errors_are_json_with_a_field(client, method, path, status, field):
    response = getattr(client, method)(path)
    assert response.status_code == status and response.is_json
    assert response.get_json()["errors"][0]["field"] == field


def test_405_lists_allowed_methods(client):
    assert "POST" in client.delete("/api/runs").headers["Allow"]


def test_dataset_points_are_split_and_seeded(client):
    a = client.get("/api/datasets/xor?n_samples=100&train_ratio=70&seed=3").get_json()
    b = client.get("/api/datasets/xor?n_samples=100&train_ratio=70&seed=3").get_json()
    assert a == b and a["problem"] == "classification"
    assert len(a["train"]["x1"]) == 70 and len(a["test"]["label"]) == 30
    assert set(a["train"]["label"]) <= {0, 1}


def test_config_lists_every_dataset_and_default(client):
    info = client.get("/api/config").get_json()
    assert {d["name"] for d in info["datasets"]} >= {"circle", "xor", "gauss", "spiral", "moons", "plane",
                                                      "multigauss"}
    assert info["defaults"]["learning_rate"] == 0.03 and 0.03 in info["learning_rates"]


def test_losses_show_project_code_and_lessons_are_served(client):
    assert "def focal(y_true, y_pred" in client.get("/api/losses").get_json()["focal"]
    assert any(lesson["id"] == "day65-ex7-activation" for lesson in client.get("/api/lessons").get_json())


def test_export_script_for_a_config(client):
    response = client.post("/api/export/script", json={"dataset": "spiral", "hidden_layers": [8]})
    assert response.status_code == 200 and "def spiral(" in response.get_data(as_text=True)


def test_control_arguments_are_validated(client):
    # What needs no run is checked before the run is looked up, so no worker pool is needed here; values are
    # checked against the run's own config (tests/test_live_changes.py).
    for body, field in (({"activation": "relu"}, "activation"), ({"seed": "x"}, "seed")):
        action = "regenerate" if "seed" in body else "set"
        response = client.post(f"/api/runs/abc/{action}", json=body)
        assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == field


def test_web_process_never_imports_tensorflow_even_after_starting_a_run(tmp_path):
    code = textwrap.dedent(f"""
        import os, sys
        os.environ["KP_WORKERS"] = "1"
        from app import create_app
        from app import shutdown
        app = create_app({{"KP_DATABASE_URL": "sqlite:///{tmp_path}/t.db"}})
        assert "tensorflow" not in sys.modules
        client = app.test_client()
        response = client.post("/api/runs", json={{"epochs": 5}})
        assert response.status_code == 201, response.get_json()
        assert client.get("/healthz").status_code == 200
        assert "tensorflow" not in sys.modules and "keras" not in sys.modules
        shutdown(app)
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr[-2000:]
