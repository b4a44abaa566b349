"""What the course panel reads from a run's events, through the embedded runner and real workers:
the learning rate of every epoch in the frames' history, and the done event's reason and
early-stopping epochs (stopped, restored)."""

from __future__ import annotations

import multiprocessing

import pytest

from app.config.parse import parse_config
from app.runner.embedded import EmbeddedRunner
from tests.conftest import wait_until
from tests.test_runner import Reader, settings


@pytest.fixture(scope="module")
def runner():
    runner = EmbeddedRunner(settings())
    wait_until(lambda: all(w["ready"] for w in runner.health()["workers"]), 120, 0.2, "a warm worker")
    yield runner
    runner.shutdown()
    assert not multiprocessing.active_children()


def events_until_done(runner, config: dict) -> tuple[list[dict], dict]:
    """Every frame of a run, and its done event."""
    run_id = runner.submit(parse_config(config))["id"]
    reader = Reader(runner, run_id)
    frames = []
    try:
        while True:
            name, data = reader.next("frame", "done", "error", timeout=120)
            assert name != "error", data
            if name == "done":
                return frames, data
            frames.append(data)
    finally:
        reader.close()


def test_frames_carry_the_learning_rate_of_every_epoch(runner):
    frames, done = events_until_done(runner, {"dataset": "circle", "learning_rate": 0.4, "epochs": 40, "pace": "max",
                                              "lr_schedule": {"kind": "step", "factor": 0.5, "every": 10}})
    epochs = [e for f in frames for e in f["history"]["epoch"]]
    rates = [r for f in frames for r in f["history"]["learning_rate"]]
    assert epochs == list(range(1, 41)) and done["reason"] == "finished" and done["epochs"] == 40
    assert rates[:10] == [0.4] * 10 and rates[10] == 0.2 and rates[39] == pytest.approx(0.05)
    assert frames[-1]["learning_rate"] == pytest.approx(0.05)


def test_done_says_early_stopping_and_which_epochs_it_stopped_and_restored(runner):
    frames, done = events_until_done(runner, {
        "dataset": "xor", "noise": 50, "n_samples": 60, "hidden_layers": [16, 16], "optimizer": "adam",
        "learning_rate": 0.05, "epochs": 2000, "pace": "max",
        "layers": [{"units": 16, "activation": "relu", "dropout": 0.2}, {"units": 16, "activation": "relu"}],
        "early_stopping": {"monitor": "val_loss", "patience": 10, "restore_best_weights": True},
    })
    info = done["early_stopping"]
    assert done["reason"] == "early_stopping" and done["epochs"] < 2000
    assert info == {"stopped_epoch": done["epochs"], "best_epoch": done["epochs"] - 10, "restored_best_weights": True}
    assert frames[-1]["epoch"] == done["epochs"]
    # The restored weights' figures: the test loss of the best epoch, not of the last one trained.
    history = {e: loss for f in frames for e, loss in zip(f["history"]["epoch"], f["history"]["test_loss"],
                                                           strict=True)}
    assert done["test_loss"] == pytest.approx(history[info["best_epoch"]], rel=1e-3)
