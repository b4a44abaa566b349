"""Build a `.keras` file from a config and weights, in a short-lived process of its own.

The web process never imports TensorFlow, so `GET .../model.keras` runs
``python -m app.share.keras_file`` with {"config", "weights"} JSON on stdin and reads the
file's bytes from stdout (about 4 s, mostly importing TensorFlow).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from app.config.run_config import RunConfig


def build_keras_file(config: RunConfig, weights: list[dict]) -> bytes:
    """Run the export in a child process; returns the .keras bytes or raises RuntimeError."""
    payload = json.dumps({"config": config.model_dump(mode="json"), "weights": weights})
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "app.share.keras_file"], input=payload.encode(), capture_output=True, timeout=120,
        cwd=root, env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.decode(errors="replace")[-500:])
    return result.stdout


def _main() -> None:
    import keras

    from app.config.run_config import parse_config
    from app.engine.model import build_model
    from app.share.spec import decode_weights

    doc = json.loads(sys.stdin.buffer.read())
    config = parse_config(doc["config"])
    model = build_model(config)
    model.set_weights(decode_weights(doc["weights"]))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        keras.saving.save_model(model, path)
        sys.stdout.buffer.write(path.read_bytes())


if __name__ == "__main__":
    _main()
