"""Sweeps: grid and random expansion with scikit-learn, caps, validation, and the results table."""

import pytest

from app.config.parse import ConfigError
from app.sweeps.plan import MAX_RUNS, SweepSpec, expand, points, table


def test_grid_is_every_combination_with_repeats_as_seeds():
    spec = SweepSpec(base={"dataset": "spiral", "seed": 10}, params={"learning_rate": [0.01, 0.1, 1],
                                                                    "batch_size": [1, 10]}, repeats=2)
    runs = expand(spec)
    assert len(runs) == 12 and len({i for i, _, _ in runs}) == 6
    assert {c.seed for _, _, c in runs} == {10, 11}
    assert {(c.learning_rate, c.batch_size) for _, _, c in runs} == {(lr, b) for lr in (0.01, 0.1, 1) for b in (1, 10)}


def test_random_search_draws_in_log_space_reproducibly():
    spec = SweepSpec(mode="random", params={"learning_rate": {"low": 0.001, "high": 1, "log": True}}, n_trials=20)
    drawn = [p["learning_rate"] for p in points(spec)]
    assert drawn == [p["learning_rate"] for p in points(spec)] and len(drawn) == 20
    assert all(0.001 <= v <= 1 for v in drawn) and sum(v < 0.03 for v in drawn) >= 5  # log: many small rates


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({"params": {"colour": [1, 2]}}, "cannot be swept"),
        ({"params": {"learning_rate": list(range(1, 14))}}, "1 to 12 values"),
        ({"params": {"a": [1], "b": [1], "c": [1], "d": [1]}}, "at most 3"),
        ({"params": {"learning_rate": {"low": 1, "high": 0.1}}, "mode": "random"}, "low must be below high"),
    ],
)
def test_bad_sweeps_are_rejected(body, fragment):
    with pytest.raises(ValueError) as info:
        SweepSpec(**body)
    assert fragment in str(info.value)


def test_caps_and_invalid_points_name_the_problem():
    with pytest.raises(ConfigError) as info:
        expand(SweepSpec(params={"learning_rate": [0.01 * i for i in range(1, 13)], "batch_size": [1, 2, 3, 4, 5, 6]}))
    assert str(MAX_RUNS) in info.value.errors[0]["message"]
    with pytest.raises(ConfigError) as info:
        expand(SweepSpec(params={"learning_rate": [0.1, 50]}))
    assert "learning_rate" in info.value.errors[0]["message"]


def test_table_means_stds_and_best():
    results = [
        (0, {"lr": 0.1}, {"test_loss": 0.2, "train_loss": 0.1, "epochs": 10}),
        (0, {"lr": 0.1}, {"test_loss": 0.4, "train_loss": 0.3, "epochs": 10}),
        (1, {"lr": 1}, {"test_loss": 0.1, "train_loss": 0.05, "epochs": 10}),
        (1, {"lr": 1}, None),
    ]
    rows = table(results)
    assert rows[0]["test_loss"] == pytest.approx(0.3) and rows[0]["test_loss_std"] == pytest.approx(0.1414, abs=1e-3)
    assert rows[1]["failed"] == 1 and rows[1]["best"] and not rows[0]["best"]
