"""Build a `.keras` file from a config and weights, in a warm task process (app/runner/tasks.py).

The web process never imports TensorFlow, so `GET .../model.keras` hands the build to the
shared task pool: no new interpreter per download, at most KP_TASK_WORKERS builds at once, a
bounded queue ahead of them (exports go before lab folds), and every wait bounded.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from app.config.run_config import RunConfig
from app.runner import tasks

EXPORT_SECONDS = 60.0  # the longest one build may run before its process is stopped (a build takes < 1 s warm)
EXPORT_WAIT = 20.0  # the longest a download waits for a free task process before it is told to come back


def build_keras_file(config: RunConfig, weights: list[dict]) -> bytes:
    """The .keras bytes of this model; raises tasks.TaskBusy, TaskTimeout or TaskFailed (all RuntimeError)."""
    return tasks.shared().run(build_in_task, config.model_dump(mode="json"), weights,
                              timeout=EXPORT_SECONDS, wait=EXPORT_WAIT, priority=0)


def build_in_task(config_data: dict, weights: list[dict]) -> bytes:
    """Runs in a task process: build the model, set the weights, save and read back the file."""
    import keras

    from app.config.parse import parse_config
    from app.engine.model import build_model
    from app.share.spec import decode_weights

    model = build_model(parse_config(config_data))
    model.set_weights(decode_weights(weights))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        keras.saving.save_model(model, path)
        return path.read_bytes()  # no clear_session(): the lab's compiled models share this process
