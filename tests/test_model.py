"""The Keras model matches its config: layers, units, activations, regularizers, seeding."""

import keras
import numpy as np
import pytest

from app.config.run_config import RunConfig
from app.engine.model import build_model, dense_layers, make_optimizer, reset_weights


def test_layers_units_and_activations_follow_config():
    model = build_model(RunConfig(features=["x1", "x2", "sin_x1"], hidden_layers=[5, 3], activation="relu"))
    layers = dense_layers(model)
    assert model.input_shape == (None, 3)
    assert [layer.units for layer in layers] == [5, 3, 1]
    assert [layer.activation.__name__ for layer in layers] == ["relu", "relu", "sigmoid"]


def test_regression_has_linear_output_and_no_hidden_layers_is_allowed():
    model = build_model(RunConfig(problem="regression", dataset="plane", hidden_layers=[]))
    (out,) = dense_layers(model)
    assert out.activation.__name__ == "linear" and out.units == 1


@pytest.mark.parametrize(
    "kind,cls,attrs",
    [("l1", keras.regularizers.L1, {"l1": 0.01}), ("l2", keras.regularizers.L2, {"l2": 0.01}),
     ("l1_l2", keras.regularizers.L1L2, {"l1": 0.01, "l2": 0.01})],
)
def test_kernel_regularizer_is_keras_own(kind, cls, attrs):
    model = build_model(RunConfig(regularization=kind, regularization_rate=0.01))
    for layer in dense_layers(model):
        assert isinstance(layer.kernel_regularizer, cls)
        for name, value in attrs.items():
            assert float(getattr(layer.kernel_regularizer, name)) == pytest.approx(value)
        assert layer.bias_regularizer is None


def test_no_regularizer_when_rate_is_zero():
    model = build_model(RunConfig(regularization="l2", regularization_rate=0))
    assert all(layer.kernel_regularizer is None for layer in dense_layers(model))


def test_same_seed_same_weights_other_seed_other_weights():
    config = RunConfig(seed=7)
    a, b = build_model(config), build_model(config)
    reset_weights(a, config)
    reset_weights(b, config)
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights(), strict=True))
    reset_weights(b, RunConfig(seed=8))
    assert not np.array_equal(a.get_weights()[0], b.get_weights()[0])


def test_optimizer_is_sgd_with_float_rate():
    opt = make_optimizer(RunConfig(learning_rate=1))
    assert isinstance(opt, keras.optimizers.SGD) and float(opt.learning_rate) == 1.0
