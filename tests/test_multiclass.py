"""More than two classes: generators, softmax model, per-class boundary, confusion matrix."""

import base64

import numpy as np
import pytest

from app.config.parse import ConfigError, parse_config
from app.data import datasets
from app.engine.model import build_model, dense_layers
from app.engine.trainer import ModelCache, Trainer
from app.share.codegen import python_script


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_blobs_and_arms_make_k_balanced_classes(k):
    for gen in (datasets.blobs, datasets.spiral_arms):
        x, y = gen(600, 0.0, np.random.default_rng(0), n_classes=k)
        assert x.shape == (600, 2) and set(np.unique(y)) == set(range(k))
        assert np.bincount(y).max() - np.bincount(y).min() <= 1


def test_softmax_output_with_one_unit_per_class():
    config = parse_config({"dataset": "blobs", "n_classes": 4})
    out = dense_layers(build_model(config))[-1]
    assert out.units == 4 and out.activation.__name__ == "softmax"
    assert config.resolved_loss == "categorical_crossentropy"


@pytest.mark.parametrize(
    "body,field",
    [({"dataset": "circle", "n_classes": 3}, "n_classes"), ({"dataset": "blobs", "n_classes": 7}, "n_classes"),
     ({"dataset": "blobs", "loss": "hinge"}, "loss"), ({"dataset": "blobs", "mode": "classic"}, "loss"),
     ({"dataset": "circle", "loss": "categorical_crossentropy"}, "loss")],
)
def test_multiclass_combinations_are_checked(body, field):
    with pytest.raises(ConfigError) as info:
        parse_config(body)
    assert field in [e["field"] for e in info.value.errors]


def test_separable_blobs_reach_high_accuracy_with_classes_in_the_frame():
    config = parse_config({"dataset": "blobs", "n_classes": 4, "hidden_layers": [8], "learning_rate": 0.1,
                           "epochs": 60, "grid_resolution": 20})
    trainer = Trainer(config, ModelCache())
    for _ in range(60):
        metrics = trainer.train_epoch()
    frame = trainer.frame()
    trainer.close()
    assert metrics["test_accuracy"] >= 0.97
    classes = np.frombuffer(base64.b64decode(frame["boundary"]["classes"]), dtype=np.uint8)
    assert frame["boundary"]["n_classes"] == 4 and set(np.unique(classes)) == {0, 1, 2, 3}
    confusion = np.array(frame["confusion"]["test"])
    assert confusion.shape == (4, 4) and confusion.sum() == 250 and np.trace(confusion) >= 0.97 * 250


def test_binary_confusion_matrix_counts_every_point():
    trainer = Trainer(parse_config({"dataset": "gauss"}), ModelCache())
    trainer.train_epoch()
    confusion = trainer.frame()["confusion"]
    trainer.close()
    assert np.array(confusion["train"]).sum() == 250 and np.array(confusion["test"]).shape == (2, 2)


def test_multiclass_script_compiles():
    compile(python_script(parse_config({"dataset": "spiral_arms", "n_classes": 5})), "<export>", "exec")
