"""What Schemathesis found on the live server (500s), kept as plain regression tests."""

from __future__ import annotations

import io

from app import create_app


class StoppedBeforeTraining:
    """A runner whose run ended (stopped) before its first epoch: a result without weights."""

    def status(self, run_id):
        return {"id": run_id, "state": "done", "config": {"dataset": "xor"}}

    def result(self, run_id):
        return {"epochs": 0, "reason": "stopped"}


def test_export_or_save_of_a_run_without_weights_is_a_409(tmp_path):
    app = create_app({"TESTING": True, "KP_DATABASE_URL": f"sqlite:///{tmp_path}/kp.db",
                      "KP_RUNNER": StoppedBeforeTraining()})
    client = app.test_client()
    response = client.get("/api/runs/abc/export/spec.json")
    assert response.status_code == 409 and response.get_json()["errors"][0]["field"] == "run"
    response = client.post("/api/saved", json={"name": "n", "run_id": "abc"})
    assert response.status_code == 409 and response.get_json()["errors"][0]["field"] == "run_id"


def test_a_csv_with_a_carriage_return_inside_a_cell_is_a_400(client):
    data = {"file": (io.BytesIO(b"a,b,label\n1,2\r3,0\n"), "bad.csv")}
    response = client.post("/api/uploads", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "file"
