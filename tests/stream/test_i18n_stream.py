"""Stream error messages in the reader's language, against the real gunicorn (workers have no request)."""

from __future__ import annotations

import requests

from tests.sse_client import events

ALL = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
DIVERGES = {"problem": "regression", "dataset": "plane", "features": ALL, "hidden_layers": [8], "activation": "relu",
            "learning_rate": 10, "epochs": 500, "pace": "max"}


def test_a_diverged_run_reads_in_zh_tw_and_in_english(live):
    response = requests.post(live.url + "/api/runs", json=DIVERGES, timeout=10)
    assert response.status_code == 201, response.text
    url = live.url + response.json()["events_url"]
    zh = [e for e in events(url + "?lang=zh-TW", deadline=120)][-1]
    assert zh["event"] == "error" and zh["data"]["reason"] == "diverged"
    assert zh["data"]["message"].startswith("訓練在第 ") and "學習速率（這次用的是 10）" in zh["data"]["message"]
    # The same buffered events, read again in English (a finished run keeps its events for a while).
    en = [e for e in events(url, deadline=60)][-1]
    message = en["data"]["message"]
    assert message.startswith("Training diverged at epoch ") and "this run used 10" in message
    assert en["data"]["epoch"] == zh["data"]["epoch"]
