"""The callback and normalisation lessons show what they teach, with fixed seeds (Day-65 ones: test_lessons.py)."""

from __future__ import annotations

import pytest

from app.config.lessons import lesson_by_id, lesson_configs
from app.engine.trainer import ModelCache, Trainer


@pytest.fixture(scope="module")
def cache():
    return ModelCache()


def runs(lesson_id: str, seed: int, cache) -> list[Trainer]:
    """Every compared setting of a lesson, trained to its end with one seed."""
    return [run(c.model_copy(update={"seed": seed}), cache) for c in lesson_configs(lesson_by_id(lesson_id))]


def run(config, cache) -> Trainer:
    trainer = Trainer(config, cache)
    while trainer.stop_reason is None and not trainer.diverged:
        trainer.train_epoch()
    trainer.summary()
    trainer.close()
    return trainer


def test_early_stopping_lesson_saves_most_epochs_and_keeps_a_better_model(cache):
    full, stopped = runs("early-stopping", 1, cache)
    assert full.epoch == 1000 and stopped.stop_reason == "early_stopping" and stopped.epoch < 200
    assert stopped.last["test_loss"] < full.last["test_loss"]


def test_batch_norm_lesson_trains_the_deep_sigmoid_net(cache):
    plain, normalised = runs("batch-norm", 2, cache)
    assert normalised.last["test_loss"] < plain.last["test_loss"] / 3 and normalised.last["test_accuracy"] > 0.9


def test_fast_lr_decay_helps_a_too_high_rate(cache):
    none, _, exponential, _ = lesson_configs(lesson_by_id("lr-decay"))
    seeds = (1, 2, 3, 4)  # one seed can go either way (seed 1 is worse with decay); the mean is the lesson
    without = sum(run(none.model_copy(update={"seed": s}), cache).last["test_loss"] for s in seeds)
    decayed = sum(run(exponential.model_copy(update={"seed": s}), cache).last["test_loss"] for s in seeds)
    assert decayed < 0.75 * without
