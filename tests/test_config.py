"""RunConfig: defaults from TF Playground, and a clear field-level message for every bad value."""

import pytest

from app.config.parse import ConfigError, field_docs, parse_config
from app.config.run_config import RunConfig


def test_defaults_are_tf_playground_defaults():
    c = parse_config({})
    assert (c.dataset, c.activation, c.learning_rate, c.batch_size) == ("circle", "tanh", 0.03, 10)
    assert c.hidden_layers == [4, 2] and c.features == ["x1", "x2"]
    assert (c.noise, c.train_ratio, c.n_samples, c.regularization) == (0, 50, 500, "none")


def test_integer_learning_rate_becomes_float():
    assert isinstance(parse_config({"learning_rate": 1}).learning_rate, float)


@pytest.mark.parametrize(
    "body,field,fragment",
    [
        ({"colour": "red"}, "colour", "unknown field"),
        ({"learning_rate": 20}, "learning_rate", "less than or equal to 10"),
        ({"learning_rate": 0}, "learning_rate", "greater than 0"),
        ({"learning_rate": "fast"}, "learning_rate", "valid number"),
        ({"batch_size": 0}, "batch_size", "greater than or equal to 1"),
        ({"noise": 80}, "noise", "less than or equal to 50"),
        ({"train_ratio": 95}, "train_ratio", "less than or equal to 90"),
        ({"dataset": "nope"}, "dataset", "unknown dataset"),
        ({"dataset": "plane"}, "dataset", "regression dataset"),
        ({"problem": "regression", "dataset": "circle"}, "dataset", "classification dataset"),
        ({"features": []}, "features", "at least 1"),
        ({"features": ["x1", "x1"]}, "features", "only once"),
        ({"features": ["x3"]}, "features.0", "must be one of"),
        ({"hidden_layers": [100]}, "hidden_layers.0", "less than or equal to 64"),
        ({"hidden_layers": [2] * 9}, "hidden_layers", "at most 8"),
        ({"activation": "softmax"}, "activation", "must be one of"),
        ({"regularization": "l3"}, "regularization", "must be one of"),
        ({"pace": "fast"}, "pace", '"max"'),
        ({"pace": 0}, "pace", "from 1 to 10000"),
        ({"epochs": 0}, "epochs", "greater than or equal to 1"),
        ({"seed": -1}, "seed", "greater than or equal to 0"),
    ],
)
def test_bad_values_name_the_field(body, field, fragment):
    with pytest.raises(ConfigError) as info:
        parse_config(body)
    assert any(e["field"] == field and fragment in e["message"] for e in info.value.errors), info.value.errors


def test_non_object_body_is_rejected():
    with pytest.raises(ConfigError) as info:
        parse_config([1, 2])
    assert info.value.errors[0]["field"] == "body"


def test_max_pace_and_empty_hidden_layers_are_valid():
    c = parse_config({"pace": "max", "hidden_layers": []})
    assert c.pace == "max" and c.hidden_layers == []


def test_every_field_is_documented():
    docs = field_docs()
    assert set(docs) == set(RunConfig.model_fields)
    assert all(text.strip() for text in docs.values())
    from scripts.config_doc import render

    assert open("docs/config.md", encoding="utf-8").read() == render(), "docs/config.md is stale: run make docs"
