"""TF Playground parity on the server: live settings, weight edits, divergence, edit validation.

Drives Trainer and ActiveRun directly (no worker processes): each test asserts one behaviour a
learner coming from TF Playground relies on (docs/parity.md).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.config.run_config import RunConfig
from app.engine.divergence import EXPLODE_EPOCHS, ExplosionWatch, baseline_loss
from app.engine.trainer import ModelCache, Trainer
from app.engine.weight_edit import EditRefused, check_edit, layer_sizes
from app.runner.active_run import ActiveRun


@pytest.fixture(scope="module")
def cache():
    return ModelCache()


def trained(config: RunConfig, cache: ModelCache, epochs: int) -> Trainer:
    trainer = Trainer(config, cache)
    for _ in range(epochs):
        trainer.train_epoch()
    return trainer


def kernel_norm(trainer: Trainer) -> float:
    return float(sum(np.abs(w).sum() for w in trainer.get_weights()[::2]))


def penalty(trainer: Trainer) -> float:
    return float(sum(float(loss) for loss in trainer.compiled.model.losses))


def test_regularization_rate_changes_live_without_a_reset(cache):
    config = RunConfig(regularization="l2", regularization_rate=0.0, learning_rate=0.1, seed=4)
    live, still = trained(config, cache, 3), trained(config, cache, 3)
    assert penalty(live) == 0.0
    live.set_live({"regularization_rate": 1.0})
    assert live.epoch == 3 and penalty(live) > 0
    for _ in range(5):
        live.train_epoch()
        still.train_epoch()
    assert live.epoch == 8 and live.config.regularization_rate == 1.0
    assert kernel_norm(live) < 0.9 * kernel_norm(still)  # the penalty shrank the weights from epoch 4 on
    live.close()
    still.close()
    fresh = Trainer(config, cache)  # the cached model comes back with this run's rate, not the last one's
    assert penalty(fresh) == 0.0
    fresh.close()


def test_classic_l2_rate_is_halved_as_tf_playground_does(cache):
    trainer = Trainer(RunConfig(mode="classic", regularization="l2", regularization_rate=0.2), cache)
    weights = trainer.get_weights()[::2]
    assert penalty(trainer) == pytest.approx(0.1 * sum(float((w**2).sum()) for w in weights), rel=1e-4)
    trainer.close()


def test_momentum_set_live_trains_as_a_run_started_with_it(cache):
    base = {"dataset": "xor", "learning_rate": 0.1, "seed": 2}
    switched = Trainer(RunConfig(**base, momentum=0.0), cache)
    switched.set_live({"momentum": 0.9})
    started = Trainer(RunConfig(**base, momentum=0.9), cache)
    plain = Trainer(RunConfig(**base, momentum=0.0), cache)
    for _ in range(3):
        for trainer in (switched, started, plain):
            trainer.train_epoch()
    for a, b in zip(switched.get_weights(), started.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(switched.get_weights()[0], plain.get_weights()[0])
    for trainer in (switched, started, plain):
        trainer.close()


def test_adam_betas_change_live(cache):
    trainer = Trainer(RunConfig(optimizer="adam", learning_rate=0.01), cache)
    trainer.set_live({"beta_1": 0.5, "beta_2": 0.9})
    assert float(trainer.compiled.optimizer.beta_1.numpy()) == pytest.approx(0.5)
    assert float(trainer.compiled.optimizer.beta_2.numpy()) == pytest.approx(0.9)
    trainer.train_epoch()
    trainer.close()


def test_stop_conditions_change_live(cache):
    trainer = trained(RunConfig(epochs=1000), cache, 2)
    assert trainer.stop_reason is None
    trainer.set_live({"epochs": 2})
    assert trainer.stop_reason == "finished"
    trainer.set_live({"epochs": 1000, "target_loss": 5.0})
    assert trainer.stop_reason == "target"
    trainer.close()


def test_spiral_at_learning_rate_10_diverges_and_lower_rates_do_not(cache):
    ten = Trainer(RunConfig(dataset="spiral", mode="classic", learning_rate=10, seed=7), cache)
    one = Trainer(RunConfig(dataset="spiral", mode="classic", learning_rate=1, seed=7), cache)
    for _ in range(100):
        one.train_epoch()
        if not ten.diverged:
            ten.train_epoch()
    assert ten.diverged and ten.explosion.exploded and ten.epoch >= EXPLODE_EPOCHS
    assert not one.diverged
    ten.close()
    one.close()


def test_explosion_needs_epochs_in_a_row():
    watch = ExplosionWatch(baseline=0.5)
    for _ in range(EXPLODE_EPOCHS - 1):
        watch.update(0.9)
    watch.update(0.6)  # one epoch back under 1.5 × baseline starts the count again
    for _ in range(EXPLODE_EPOCHS - 1):
        watch.update(0.9)
    assert not watch.exploded
    watch.update(0.9)
    assert watch.exploded
    assert ExplosionWatch(None).exploded is False


def test_baseline_is_the_loss_of_a_constant_guess():
    from app.engine import losses

    y = np.array([0, 1, 1, 0], dtype=np.float32)
    assert baseline_loss(losses.get("binary_crossentropy"), y, 2) == pytest.approx(np.log(2), rel=1e-4)
    assert baseline_loss(losses.get("square"), 2 * y - 1, 2) == pytest.approx(0.5)
    three = np.array([0, 1, 2, 0, 1, 2], dtype=np.float32)
    assert baseline_loss(losses.get("categorical_crossentropy"), three, 3) == pytest.approx(np.log(3), rel=1e-4)


class Events:
    """Collects what an ActiveRun emits."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict]] = []

    def __call__(self, run_id: str, name: str, data: str, meta: dict) -> None:
        self.items.append((name, json.loads(data)))

    def last(self, name: str) -> dict:
        return [d for n, d in self.items if n == name][-1]


def test_an_edited_weight_is_in_the_next_frame_and_training_goes_on_from_it(cache):
    events = Events()
    run = ActiveRun("r1", trained(RunConfig(hidden_layers=[3]), cache, 2), events, budget=60, paused=True)
    run.edit({"kind": "weight", "layer": 0, "source": 1, "target": 2, "value": 4.5})
    frame = events.last("frame")
    assert frame["weights"][0]["kernel"][1][2] == 4.5 and frame["epoch"] == 2
    run.edit({"kind": "bias", "layer": 1, "node": 0, "value": -1.25})
    assert events.last("frame")["weights"][1]["bias"][0] == -1.25
    run.step()
    run.tick(0.0)
    after = events.last("frame")
    assert after["epoch"] == 3 and after["weights"][0]["kernel"][1][2] != 4.5  # trained on from 4.5
    assert abs(after["weights"][0]["kernel"][1][2] - 4.5) < 1
    run.finish("stopped")


def test_live_set_through_a_run_keeps_the_epoch(cache):
    events = Events()
    run = ActiveRun("r2", trained(RunConfig(regularization="l1"), cache, 4), events, budget=60, paused=True)
    run.set({"regularization_rate": 0.03, "pace": 240})
    run.step()
    run.tick(0.0)
    assert events.last("frame")["epoch"] == 5 and run.trainer.config.regularization_rate == 0.03
    run.finish("stopped")


def test_divergence_error_says_what_happened_and_what_to_try(cache):
    events = Events()
    run = ActiveRun("r3", Trainer(RunConfig(dataset="spiral", mode="classic", learning_rate=10, seed=7), cache),
                    events, budget=60)
    for _ in range(200):
        run.tick(10.0)
        if run.ended:
            break
    error = events.last("error")
    assert error["reason"] == "diverged" and error["cause"] == "exploded"
    assert "smaller learning rate" in error["message"] and "10" in error["message"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"kind": "weight", "layer": 3, "source": 0, "target": 0, "value": 1}, "layer"),
        ({"kind": "weight", "layer": 0, "source": 2, "target": 0, "value": 1}, "source"),
        ({"kind": "weight", "layer": 1, "source": 3, "target": 2, "value": 1}, "target"),
        ({"kind": "bias", "layer": 2, "node": 1, "value": 1}, "node"),
    ],
)
def test_edit_indices_outside_the_network_are_refused(app, args, field):
    config = RunConfig(hidden_layers=[4, 2])  # columns: 2 inputs, 4, 2, 1 output
    assert layer_sizes(config) == [2, 4, 2, 1]
    with pytest.raises(EditRefused) as caught:  # a domain error: the web layer maps it to a 400 (app/web/errors.py)
        check_edit(args, config)
    check_edit({"kind": "weight", "layer": 2, "source": 1, "target": 0, "value": 1}, config)
    assert caught.value.field == field


def test_set_accepts_live_settings_and_refuses_others(app, client):
    from app.config.live import live_change

    with app.test_request_context():
        args = live_change(RunConfig(), {"regularization_rate": 0.01, "momentum": 0.9, "target_loss": None})
    assert args == {"regularization_rate": 0.01, "momentum": 0.9, "target_loss": None}
    response = client.post("/api/runs/nope/set", json={"activation": "relu"})
    assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "activation"
