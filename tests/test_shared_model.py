"""Runs of one architecture share one compiled model and take turns on it, yet each trains exactly as alone.

A run's state (weights, optimizer slots and step, live settings, batch-norm statistics, dropout seeds, what
callbacks change) goes in and out of the shared model's variables (app/engine/compiled.py). Each scenario
trains a few runs of one shape round-robin, with frames, edits and live changes between their epochs, and
compares every epoch's figures and the final weights, bit for bit, with the same runs trained one at a time.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.config.lessons import DAY65
from app.config.run_config import RunConfig
from app.engine.trainer import ModelCache, Trainer

EPOCHS = 12

# Per scenario: runs of one architecture that differ in everything a run may (seed, data, rate, callbacks), and
# what happens to one of them between epochs: (run index, after epoch, action, arguments).
SCENARIOS = {
    "day65_classic": (
        [dict(DAY65, seed=1), dict(DAY65, seed=2, learning_rate=0.1), dict(DAY65, seed=3, noise=20)],
        [(1, 4, "set_live", {"learning_rate": 0.01}), (2, 6, "set_weight", (0, 1, 2, 0.5))],
    ),
    "dropout_batchnorm_adam_l2": (
        [{"dataset": "xor", "hidden_layers": [5, 3], "dropout": 0.2, "batch_norm": True, "optimizer": "adam",
          "regularization": "l2", "regularization_rate": 0.01, "seed": s} for s in (4, 5)],
        [(0, 3, "set_live", {"regularization_rate": 0.03, "beta_1": 0.8}), (1, 5, "set_bias", (1, 2, -0.25))],
    ),
    "callbacks": (
        [{"dataset": "circle", "hidden_layers": [4], "seed": 6,
          "lr_schedule": {"kind": "step", "factor": 0.5, "every": 3}},
         {"dataset": "circle", "hidden_layers": [4], "seed": 7, "learning_rate": 0.3,
          "early_stopping": {"patience": 3, "min_delta": 1, "restore_best_weights": True}},  # stops at 4
         {"dataset": "circle", "hidden_layers": [4], "seed": 8,
          "reduce_lr": {"patience": 1, "factor": 0.5, "monitor": "loss"}}],
        [],
    ),
}


def act(trainer: Trainer, action: str, args) -> None:
    if action == "set_live":
        trainer.set_live(args)
    else:
        getattr(trainer, action)(*args)


def record(trainer: Trainer, epochs: list[dict]) -> dict:
    """What a learner sees of a run: every epoch's figures, the final weights and a frame."""
    frame = trainer.frame(grids=True, exact=True)
    return {"history": epochs, "weights": trainer.get_weights(), "boundary": frame["boundary"]["data"],
            "summary": {k: v for k, v in trainer.summary().items() if k not in ("elapsed", "weights")}}


def alone(configs, actions, cache) -> list[dict]:
    out = []
    for i, config in enumerate(configs):
        trainer = Trainer(RunConfig(**config), cache)
        epochs = []
        for epoch in range(1, EPOCHS + 1):
            if trainer.stop_reason:
                break
            epochs.append(trainer.train_epoch())
            for _, _, action, args in [a for a in actions if a[0] == i and a[1] == epoch]:
                act(trainer, action, args)
        out.append(record(trainer, epochs))
        trainer.close()
    return out


def interleaved(configs, actions, cache) -> list[dict]:
    trainers = [Trainer(RunConfig(**config), cache) for config in configs]
    epochs: list[list[dict]] = [[] for _ in trainers]
    for epoch in range(1, EPOCHS + 1):
        for i, trainer in enumerate(trainers):
            if trainer.stop_reason:
                continue
            epochs[i].append(trainer.train_epoch())
            for _, _, action, args in [a for a in actions if a[0] == i and a[1] == epoch]:
                act(trainer, action, args)
            if epoch % 3 == 0:
                trainers[i - 1].frame(grids=epoch % 2 == 0)  # another run's frame between two epochs
    pairs = list(zip(trainers, epochs, strict=True))
    out = [record(t, e) for t, e in reversed(pairs)][::-1]  # read in another order than trained
    for trainer in trainers:
        trainer.close()
    return out


@pytest.mark.parametrize("name", SCENARIOS)
def test_runs_sharing_a_compiled_model_train_exactly_as_alone(name):
    configs, actions = SCENARIOS[name]
    shared = ModelCache()
    got = interleaved(configs, actions, shared)
    assert len(shared) == 1 and shared.misses == 1  # one compiled model served every run
    want = alone(configs, actions, shared)  # one run at a time on the same model: each starts from a clean state
    for run, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g["history"] == w["history"], (name, run)
        assert g["summary"] == w["summary"], (name, run)
        assert g["boundary"] == w["boundary"], (name, run)
        for a, b in zip(g["weights"], w["weights"], strict=True):
            np.testing.assert_array_equal(a, b)
    if name == "callbacks":  # the callbacks did act: a stepped rate, an early stop
        assert got[0]["history"][-1]["learning_rate"] < got[0]["history"][0]["learning_rate"]
        assert got[1]["summary"]["early_stopping"]["stopped_epoch"] is not None


def test_cache_keeps_one_model_per_shape_and_drops_only_unused_ones():
    cache = ModelCache(max_entries=1)
    a, b = Trainer(RunConfig(), cache), Trainer(RunConfig(seed=2), cache)
    assert a.compiled is b.compiled and a.compiled.users == 2
    other = Trainer(RunConfig(hidden_layers=[3]), cache)  # a second shape while the first is in use: both kept
    assert len(cache) == 2
    a.close()
    a.close()  # closing twice gives back once
    assert b.compiled.users == 1
    b.close()
    other.close()
    assert len(cache) == 1 and cache.has(RunConfig(hidden_layers=[3])) and not cache.has(RunConfig())
