"""Hostile requests (issue 18, request side): each one's status, time and response size, as a Markdown table.

Run: `.venv/bin/python -m bench.hostile` (in-process Flask client, default body limit, a stand-in runner so no
TensorFlow starts). The figures before and after the hardening are in docs/security.md.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from app.runner.base import UnknownRun
from app.share.spec import encode_weights

DIGITS_400 = "9" * 400
UPLOAD_ID = "goneupload0000"


class StandInRunner:
    """A finished run ("done", xor) and a live run ("live") on an upload that may be deleted."""

    def __init__(self) -> None:
        self.weights = encode_weights([np.zeros((2, 2), np.float32), np.zeros(2, np.float32),
                                       np.zeros((2, 1), np.float32), np.zeros(1, np.float32)])

    def status(self, run_id: str) -> dict[str, Any]:
        configs = {"done": {"dataset": "xor", "hidden_layers": [2]},
                   "live": {"dataset": f"upload:{UPLOAD_ID}", "hidden_layers": [2]}}
        if run_id not in configs:
            raise UnknownRun(run_id)
        return {"id": run_id, "state": "paused", "config": configs[run_id]}

    def result(self, run_id: str) -> dict[str, Any] | None:
        if run_id != "done":
            raise UnknownRun(run_id)
        return {"epochs": 3, "reason": "finished", "train_loss": 0.4, "test_loss": 0.4, "weights": self.weights}

    def control(self, run_id: str, action: str, args: dict) -> dict[str, Any]:
        return {"id": run_id, "state": "paused"}

    def shutdown(self, timeout: float = 10.0) -> None:
        pass


def nested(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def csv_file(text: str) -> dict:
    return {"data": {"file": (io.BytesIO(text.encode()), "h.csv")}, "content_type": "multipart/form-data"}


def cases(features: int, columns: int) -> list[tuple[str, str, str, Callable[[], dict]]]:
    """(label, method, path, kwargs-factory) of each hostile request."""
    big = [0] * features  # each item an error: the case
    header = ",".join(f"c{i}" for i in range(columns)) + f",c{columns - 1}\n"
    rows = "".join(",".join(["1"] * (columns + 1)) + "\n" for _ in range(4))
    huge_cell = "a,b,label\n" + "1," * 1 + "x" * 140_000 + ",y\n" + "1,2,x\n1,2,y\n1,2,x\n"
    return [
        (f"features: {features:,} items", "POST", "/api/runs", lambda: {"json": {"features": big}}),
        (f"sweep base with {features:,} features", "POST", "/api/sweeps",
         lambda: {"json": {"base": {"features": big}, "params": {"learning_rate": [0.1]}}}),
        (f"/api/export/script with {features:,} features", "POST", "/api/export/script",
         lambda: {"json": {"features": big}}),
        ("dataset name of 5 MB", "POST", "/api/runs", lambda: {"json": {"dataset": "d" * 5_000_000}}),
        (f"CSV header of {columns:,} columns, last repeated", "POST", "/api/uploads",
         lambda: csv_file(header + rows)),
        ("CSV cell over 131,072 characters", "POST", "/api/uploads", lambda: csv_file(huge_cell)),
        ('/regenerate {"seed": Infinity}', "POST", "/api/runs/live/regenerate",
         lambda: {"data": b'{"seed": Infinity}', "content_type": "application/json"}),
        ("/edit with a 400-digit value", "POST", "/api/runs/live/edit",
         lambda: {"data": b'{"layer": 0, "source": 0, "target": 0, "value": ' + DIGITS_400.encode() + b"}",
                  "content_type": "application/json"}),
        ('sweep base {"seed": "x"}', "POST", "/api/sweeps",
         lambda: {"json": {"base": {"seed": "x"}, "params": {"learning_rate": [0.1]}}}),
        ("JSON nested 100,000 levels", "POST", "/api/runs",
         lambda: {"data": nested(100_000), "content_type": "application/json"}),
        ("GET /api/saved?offset=1e20", "GET", "/api/saved?offset=1e20", dict),
        ("GET /api/saved?offset=10^20", "GET", "/api/saved?offset=100000000000000000000", dict),
        ("run on a deleted upload, then /edit", "POST", "/api/runs/live/edit",
         lambda: {"json": {"layer": 0, "source": 0, "target": 0, "value": 1}}),
        ("saved run with NaN in history, then GET it", "POST", "/api/saved",
         lambda: {"data": b'{"name": "n", "run_id": "done", "history": {"epoch": [1], "train_loss": [NaN]}}',
                  "content_type": "application/json"}),
        ("saved run with a 1 MB forked_from", "POST", "/api/saved",
         lambda: {"json": {"name": "f", "run_id": "done", "forked_from": "f" * 1_000_000}}),
        ("GET /api/saved?limit=50 after it", "GET", "/api/saved?limit=50", dict),
        ("lab job with a 5 MB dataset name", "POST", "/api/lab/jobs",
         lambda: {"json": {"dataset": "upload:" + "u" * 5_000_000}}),
    ]


def uploads(app) -> None:
    """Disk per owner: 30 uploads from one owner; then listing one owner's uploads among 300 others'."""
    good = "a,b,label\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(2000))
    one = app.test_client()
    statuses = [one.post("/api/uploads", **csv_file(good)).status_code for _ in range(30)]
    print(f"| 30 uploads from one owner | {statuses.count(201)} × 201, {statuses.count(429)} × 429 | | |")
    for _ in range(300):
        app.test_client().post("/api/uploads", **csv_file(good))
    start = time.perf_counter()
    response = one.get("/api/uploads")
    print(f"| GET /api/uploads among 330 uploads | {response.status_code} | {time.perf_counter() - start:.3f} | "
          f"{len(response.get_data()):,} |")


def main() -> None:
    features = int(os.environ.get("HOSTILE_FEATURES", "300000"))
    columns = int(os.environ.get("HOSTILE_COLUMNS", "20000"))
    tmp = tempfile.mkdtemp()
    os.environ["KP_UPLOAD_DIR"] = os.path.join(tmp, "uploads")
    from app import create_app

    app = create_app({"TESTING": True, "KP_DATABASE_URL": f"sqlite:///{tmp}/h.db", "KP_RUNNER": StandInRunner(),
                      "KP_RATE_LIMIT": "100000 per minute"})
    client = app.test_client()
    print("| request | status | time (s) | response bytes |\n|---|---|---|---|")
    saved_nan = None
    for label, method, path, make in cases(features, columns):
        kwargs = make()
        if "json" in kwargs:  # serialised before the clock starts: only the server's work is timed
            kwargs = {"data": json.dumps(kwargs.pop("json")).encode(), "content_type": "application/json"}
        start = time.perf_counter()
        try:
            response = client.open(path, method=method, **kwargs)
            status, size = str(response.status_code), len(response.get_data())
            if "NaN" in label and response.status_code == 201:
                saved_nan = response.get_json()["id"]
        except Exception as exc:  # the test client re-raises what the server would answer with a 500
            status, size = f"crash ({type(exc).__name__})", 0
        print(f"| {label} | {status} | {time.perf_counter() - start:.2f} | {size:,} |", flush=True)
    if saved_nan:
        body = client.get(f"/api/saved/{saved_nan}").get_data(as_text=True)
        try:
            json.loads(body, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
            verdict = "valid JSON"
        except ValueError:
            verdict = "invalid JSON (NaN)"
        print(f"| GET that saved run | {verdict} | | |")
    uploads(app)
    print(f"| server still answering /healthz-free GET /api/config | {client.get('/api/config').status_code} | | |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
