"""The exported script is the run's computation: same initial weights, batches, steps, figures (issue 24).

The loss cases run each exported script as a learner would (a subprocess, plain `python script.py`),
all started at once by a module fixture so their TensorFlow imports overlap, while the engine
trains the same configs in this process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from app.config.lessons import DAY65
from app.config.parse import parse_config
from app.config.run_config import RunConfig
from app.share.codegen import python_script

KERAS_DAY65 = {**DAY65, "mode": "keras", "seed": 1}
EVERYTHING = {**KERAS_DAY65, "hidden_layers": [8, 4], "regularization": "l2", "regularization_rate": 0.001,
              "dropout": 0.1, "input_dropout": 0.05, "batch_norm": True, "optimizer": "adam", "learning_rate": 0.01}
SCHEDULE_AND_STOP = {**KERAS_DAY65, "learning_rate": 0.3, "lr_schedule": {"kind": "step", "factor": 0.5, "every": 5},
                     "reduce_lr": {"patience": 3}, "early_stopping": {"patience": 4, "min_delta": 0.002}}

# name -> config: the Day-65 preset in both modes, everything at once, schedules with early stopping.
LOSS_CASES = {
    "day65-keras-300": {**KERAS_DAY65, "epochs": 300},  # the one full-length case (the table)
    "day65-classic-l2": {**DAY65, "seed": 2, "regularization": "l2", "regularization_rate": 0.003, "epochs": 20},
    "l2-dropout-bn-adam": {**EVERYTHING, "epochs": 15},
    "schedule-reduce-lr-early-stop": {**SCHEDULE_AND_STOP, "epochs": 200},
}
SCRIPT_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
              "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}


def run_engine(config: RunConfig):
    """Train as a runner does (epoch after epoch until a stop reason); the trainer and its summary."""
    from app.engine.trainer import Trainer

    trainer = Trainer(config)
    while trainer.stop_reason is None:
        trainer.train_epoch()
    return trainer, trainer.stop_reason, trainer.summary()


def exec_script(source: str, until: str | None = None) -> dict:
    """Run a script's text in this process (up to the line starting `until`); its globals."""
    if until is not None:
        source = source[: source.index(f"\n{until}")]
    namespace: dict = {"__name__": "exported"}
    exec(compile(source.replace("model.summary()", ""), "exported.py", "exec"), namespace)  # noqa: S102 (our own)
    return namespace


@pytest.fixture(scope="module")
def engine_runs():
    """The run of every loss case, trained once: name -> (trainer, stop reason, summary)."""
    return {name: run_engine(parse_config(body)) for name, body in LOSS_CASES.items()}


@pytest.fixture(scope="module")
def script_runs():
    """Start every loss case's exported script at once; name -> (stdout, directory)."""
    tmp = Path(tempfile.mkdtemp(prefix="script-parity-"))
    procs = {}
    for name, body in LOSS_CASES.items():
        folder = tmp / name
        folder.mkdir()
        (folder / "run.py").write_text(python_script(parse_config(body)), encoding="utf-8")
        procs[name] = (subprocess.Popen([sys.executable, "run.py"], cwd=folder, env=SCRIPT_ENV, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE), folder)
    results = {}
    for name, (proc, folder) in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        results[name] = (out, folder)
    return results


def printed(stdout: str) -> tuple[int, float, float]:
    """Epochs run, final train loss and test loss, as the script prints them."""
    epochs = int(re.search(r"epochs run: (\d+)", stdout).group(1))
    match = re.search(r"train loss: (\S+) test loss: (\S+)", stdout)
    return epochs, float(match.group(1)), float(match.group(2))


@pytest.mark.parametrize(
    "body",
    [KERAS_DAY65, {**DAY65, "seed": 7}, {**EVERYTHING, "initializer": "he_normal"},
     {**{k: v for k, v in KERAS_DAY65.items() if k != "hidden_layers"}, "initializer": "zeros",
      "layers": [{"units": 5, "initializer": "uniform"}, {"units": 3, "activation": "relu"}]}],
    ids=["day65-keras", "day65-classic", "he-normal-bn-dropout", "per-layer-initializers"],
)
def test_script_starts_from_the_runs_initial_weights(body):
    from app.engine.trainer import Trainer

    config = parse_config(body)
    script = exec_script(python_script(config), until="LOSS = ")
    run = Trainer(config).get_weights()
    mine = script["model"].get_weights()
    assert [w.shape for w in mine] == [w.shape for w in run]
    for a, b in zip(mine, run, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize(
    "body",
    [{**KERAS_DAY65, "epochs": 3}, {**EVERYTHING, "epochs": 3}],
    ids=["day65-keras", "l2-dropout-bn-adam"],
)
def test_three_epochs_of_fit_are_the_runs_three_epochs(body, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the script saves playground_model.keras where it runs
    config = parse_config(body)
    trainer, _, _ = run_engine(config)
    script = exec_script(python_script(config))
    names = [v.path for v in trainer.compiled.model.weights]
    for name, mine, run in zip(names, script["model"].get_weights(), trainer.get_weights(), strict=True):
        assert np.abs(mine - run).max() <= 1e-5, name
    assert len(script["history"].history["loss"]) == 3


@pytest.mark.timeout(900)  # the first one waits for the scripts: CPU-bound, slow on a loaded machine
@pytest.mark.parametrize("name", list(LOSS_CASES))
def test_script_prints_the_runs_final_losses(name, script_runs, engine_runs):
    config = parse_config(LOSS_CASES[name])
    _, reason, summary = engine_runs[name]
    epochs, train_loss, test_loss = printed(script_runs[name][0])
    assert epochs == summary["epochs"]
    assert test_loss == pytest.approx(summary["test_loss"], abs=1e-3)
    assert train_loss == pytest.approx(summary["train_loss"], abs=1e-3)
    if name == "schedule-reduce-lr-early-stop":
        assert reason == "early_stopping" and epochs < config.epochs  # the case exercises the stop


@pytest.mark.parametrize("name", ["l2-dropout-bn-adam"])
def test_keras_export_evaluates_to_the_runs_test_loss(name, engine_runs):
    import keras

    from app.engine import losses
    from app.share.keras_file import build_keras_file

    config = parse_config(LOSS_CASES[name])  # dropout and batch norm at inference
    trainer, _, summary = engine_runs[name]
    data = build_keras_file(config, summary["weights"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        path.write_bytes(data)
        model = keras.saving.load_model(path, compile=False)  # our own export, not a user's file
    pred = model(trainer._xt, training=False)
    loss = float(keras.ops.mean(losses.get(config.resolved_loss)(trainer._yt, pred)))
    assert loss == pytest.approx(summary["test_loss"], abs=1e-5)
