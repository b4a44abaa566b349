"""The architectures a training process compiles while idle are the ones a class starts."""

from __future__ import annotations

from app.config.lessons import DAY65
from app.config.run_config import RunConfig
from app.engine.compiled import architecture_key
from app.engine.trainer import WARM_CONFIGS


def _shape(config: RunConfig) -> tuple:
    """What a traced epoch depends on: the architecture and the number of train and test points."""
    return architecture_key(config), config.n_samples, config.train_ratio


def test_the_day65_lesson_preset_is_warm():
    warm = {_shape(RunConfig(**c)) for c in WARM_CONFIGS}
    assert _shape(RunConfig(**DAY65)) in warm
    assert _shape(RunConfig()) in warm  # TF Playground's default, the page's first run
