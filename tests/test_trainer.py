"""The trainer learns, is deterministic, reuses compiled models, and emits documented frames."""

import numpy as np
import pytest

from app.config.run_config import RunConfig
from app.engine.frames import decode_grid
from app.engine.trainer import ModelCache, Trainer

ALL = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]


@pytest.fixture(scope="module")
def cache():
    return ModelCache()


def train(config, cache, epochs=None):
    trainer = Trainer(config, cache)
    for _ in range(epochs or config.epochs):
        metrics = trainer.train_epoch()
    return trainer, metrics


@pytest.mark.parametrize(
    "config",
    [
        RunConfig(dataset="circle", learning_rate=0.1, epochs=300),
        RunConfig(dataset="xor", features=["x1", "x2", "x1_x2"], epochs=300),
        RunConfig(dataset="gauss", epochs=100),
    ],
    ids=["circle", "xor", "gauss"],
)
def test_learns_classification_to_95_percent(config, cache):
    trainer, metrics = train(config, cache)
    trainer.close()
    assert metrics["test_accuracy"] >= 0.95, metrics


def test_learns_plane_regression_to_low_loss(cache):
    trainer, metrics = train(RunConfig(problem="regression", dataset="plane", epochs=200), cache)
    trainer.close()
    assert metrics["test_loss"] < 0.01 and metrics["train_accuracy"] is None


def test_same_config_same_run_even_from_cache(cache):
    config = RunConfig(dataset="spiral", features=ALL, hidden_layers=[8], epochs=20)
    first, m1 = train(config, cache)
    first.close()
    second, m2 = train(config, cache)  # re-uses the compiled entry first gave back
    second.close()
    assert m1["train_loss"] == pytest.approx(m2["train_loss"], rel=1e-5)
    assert cache.hits >= 1


def test_frame_follows_documented_schema(cache):
    config = RunConfig(features=["x1", "x2", "sin_x1"], hidden_layers=[3, 2], grid_resolution=30)
    trainer, _ = train(config, cache, epochs=5)
    frame = trainer.frame()
    trainer.close()
    assert frame["epoch"] == 5 and frame["history"]["epoch"] == [1, 2, 3, 4, 5]
    assert set(frame["history"]) == {"epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
                                     "learning_rate"}
    assert frame["boundary"]["resolution"] == 30 and frame["boundary"]["extent"] == [-6, 6]
    boundary = decode_grid(frame["boundary"]["data"], 30)
    assert boundary.min() >= -1 and boundary.max() <= 1 and boundary.std() > 0
    res = frame["neurons"]["resolution"]
    assert [len(layer) for layer in frame["neurons"]["layers"]] == [3, 2]
    assert decode_grid(frame["neurons"]["layers"][0][0], res).shape == (res, res)
    shapes = [(len(w["kernel"]), len(w["kernel"][0]), len(w["bias"])) for w in frame["weights"]]
    assert shapes == [(3, 3, 3), (3, 2, 2), (2, 1, 1)]
    assert trainer.frame()["history"]["epoch"] == []  # history is handed out once


def test_boundary_separates_circle_after_training(cache):
    trainer, _ = train(RunConfig(learning_rate=0.1, epochs=300, grid_resolution=21), cache)
    grid = decode_grid(trainer.frame()["boundary"]["data"], 21)
    trainer.close()
    assert grid[10, 10] > 0.5  # centre: inner class (blue, +1)
    assert grid[0, 0] < -0.5  # corner: outer class (orange, -1)


def test_live_learning_rate_change(cache):
    trainer = Trainer(RunConfig(), cache)
    trainer.set_learning_rate(0.3)
    assert trainer.train_epoch()["learning_rate"] == pytest.approx(0.3)
    trainer.close()


def test_stop_reason_finished_at_epoch_limit(cache):
    trainer, _ = train(RunConfig(epochs=3), cache)
    assert trainer.stop_reason == "finished" and trainer.summary()["epochs"] == 3
    trainer.close()


def test_divergence_is_detected(cache):
    config = RunConfig(problem="regression", dataset="plane", learning_rate=10, epochs=200)
    trainer = Trainer(config, cache)
    for _ in range(200):
        trainer.train_epoch()
        if trainer.diverged:
            break
    trainer.close()
    assert trainer.diverged
    assert trainer.frame()["train_loss"] is None  # NaN is sent as null, never as invalid JSON


def test_weight_and_bias_edits_take_effect_and_training_continues(cache):
    trainer, _ = train(RunConfig(hidden_layers=[2]), cache, epochs=2)
    trainer.set_weight(0, 1, 0, 3.5)
    trainer.set_bias(1, 0, -0.25)
    weights = trainer.frame()["weights"]
    assert weights[0]["kernel"][1][0] == 3.5 and weights[1]["bias"][0] == -0.25
    assert trainer.train_epoch()["epoch"] == 3
    trainer.close()


def test_regenerate_keeps_network_and_epoch(cache):
    trainer, _ = train(RunConfig(noise=20), cache, epochs=3)
    before = trainer.frame()["weights"]
    old_points = trainer.split.x_train.copy()
    trainer.regenerate(99)
    assert trainer.epoch == 3 and trainer.frame()["weights"] == before
    assert not np.array_equal(old_points, trainer.split.x_train)
    trainer.close()
