"""Lesson presets are valid and reproduce the course's qualitative outcomes with fixed seeds."""

import statistics

import pytest

from app.config.lessons import LESSONS, lesson_by_id, lesson_configs
from app.engine.trainer import ModelCache, Trainer


@pytest.fixture(scope="module")
def cache():
    return ModelCache()


def final_test_loss(config, cache) -> float:
    trainer = Trainer(config, cache)
    while trainer.stop_reason is None and not trainer.diverged:
        trainer.train_epoch()
    trainer.close()
    loss = trainer.last["test_loss"]
    return float("inf") if loss is None else loss


def mean_losses(lesson_id, cache, seeds=(0, 1, 2)):
    configs = lesson_configs(lesson_by_id(lesson_id))
    return [statistics.mean(final_test_loss(c.model_copy(update={"seed": s}), cache) for s in seeds) for c in configs]


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson["id"] for lesson in LESSONS])
def test_every_lesson_is_valid_and_bilingual(lesson):
    configs = lesson_configs(lesson)
    assert len(configs) == len(lesson["compare"]["values"]) >= 2
    for key in ("title", "text", "question"):
        assert lesson[key]["zh-TW"] and lesson[key]["en"]


def test_ex7_sigmoid_beats_tanh_and_relu_at_learning_rate_1(cache):
    tanh, relu, sigmoid = mean_losses("day65-ex7-activation", cache)
    assert sigmoid < tanh and sigmoid < relu


def test_ex8_large_l1_is_worse_than_small_l2(cache):
    none, l2_small, l1_small, l2_large, l1_large = mean_losses("day65-ex8-regularization", cache, seeds=(0, 1))
    assert l2_small < l1_large and l2_small < l2_large and l1_large > l2_large


def test_ex6_rate_above_1_does_not_converge(cache):
    losses = mean_losses("day65-ex6-learning-rate", cache, seeds=(0, 1))
    rates = lesson_by_id("day65-ex6-learning-rate")["compare"]["values"]
    by_rate = dict(zip(rates, losses, strict=True))
    assert by_rate[3] > 2 * by_rate[0.1] and by_rate[3] > 0.3
