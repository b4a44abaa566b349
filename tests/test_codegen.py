"""The exported Python script is valid, self-contained, and trains the same model."""

import subprocess
import sys

import pytest

from app.config.lessons import LESSONS, lesson_configs
from app.config.parse import parse_config
from app.share.codegen import python_script

ALL_OPTIONS = {
    "dataset": "gauss", "loss": "focal", "optimizer": "adam", "input_dropout": 0.1, "epochs": 4,
    "layers": [{"units": 4, "batch_norm": True, "dropout": 0.2, "max_norm": 3, "activation": "elu",
                "activity_regularization": "l1", "activity_regularization_rate": 0.001}],
    "early_stopping": {"patience": 2}, "lr_schedule": {"kind": "cosine"}, "reduce_lr": {}, "target_loss": 0.001,
}


@pytest.mark.parametrize("config", [c for lesson in LESSONS for c in lesson_configs(lesson)])
def test_every_lesson_config_exports_valid_python(config):
    script = python_script(config)
    compile(script, "<export>", "exec")
    assert "import app" not in script and "from app" not in script


def test_script_carries_the_exact_settings():
    script = python_script(parse_config({"dataset": "spiral", "mode": "classic", "hidden_layers": [8, 3],
                                         "regularization": "l2", "regularization_rate": 0.01, "seed": 42}))
    assert "SEED = 42" in script and "def spiral(" in script
    assert "regularizers.L2(0.005)" in script  # classic mode: TF Playground's w²/2 penalty
    assert "def square(y_true, y_pred)" in script and "y = 2 * y - 1" in script
    assert script.count("layers.Dense(") == 3


def test_script_carries_the_engines_random_rules():
    script = python_script(parse_config({"dataset": "spiral", "hidden_layers": [8, 3], "dropout": 0.1, "seed": 5}))
    for rule in ("def kernel_seed(", "def dropout_seed(", "def batch_order("):
        assert rule in script
    assert "GlorotUniform(seed=kernel_seed(SEED, 0))" in script and "kernel_seed(SEED, 2)" in script
    assert "seed=dropout_seed(SEED, 1)" in script and "SEED + " not in script
    assert "shuffle=False" in script and "jit_compile=True" in script


@pytest.mark.parametrize(
    "body",
    [ALL_OPTIONS, {"problem": "regression", "dataset": "multigauss", "epochs": 3, "reduce_lr": {}},
     {"dataset": "moons", "mode": "classic", "epochs": 3, "features": ["x1", "x2", "x1_x2"]}],
    ids=["all-options", "regression", "classic-moons"],
)
def test_exported_script_runs(body, tmp_path):
    path = tmp_path / "run.py"
    path.write_text(python_script(parse_config(body)))
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "epochs run:" in result.stdout and (tmp_path / "playground_model.keras").exists()
