"""RunConfig -> Keras model. TensorFlow/Keras are imported here and below only."""

from __future__ import annotations

import keras

from app.config import RunConfig


def output_spec(config: RunConfig) -> tuple[str, str]:
    """Output activation and Keras loss name for the problem type."""
    if config.problem == "classification":
        return "sigmoid", "binary_crossentropy"
    return "linear", "mean_squared_error"


def make_regularizer(config: RunConfig) -> keras.regularizers.Regularizer | None:
    """Keras' own kernel regularizer for the config (None when off or rate 0)."""
    rate = config.regularization_rate
    if config.regularization == "none" or rate == 0:
        return None
    if config.regularization == "l1":
        return keras.regularizers.L1(rate)
    if config.regularization == "l2":
        return keras.regularizers.L2(rate)
    return keras.regularizers.L1L2(l1=rate, l2=rate)


def build_model(config: RunConfig) -> keras.Model:
    """A functional MLP: inputs (one per feature) -> hidden Dense layers -> one output unit."""
    out_activation, _ = output_spec(config)
    inputs = keras.Input(shape=(len(config.features),), name="features")
    x = inputs
    for i, units in enumerate(config.hidden_layers):
        x = keras.layers.Dense(
            units,
            activation=config.activation,
            kernel_regularizer=make_regularizer(config),
            name=f"hidden_{i + 1}",
        )(x)
    outputs = keras.layers.Dense(
        1, activation=out_activation, kernel_regularizer=make_regularizer(config), name="output"
    )(x)
    return keras.Model(inputs, outputs, name="playground")


def dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    """The Dense layers in order (hidden layers, then the output)."""
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def reset_weights(model: keras.Model, seed: int) -> None:
    """Draw fresh initial weights, deterministically from the seed (same seed, same run).

    Each variable gets its own initializer seed so re-using a cached model for a new
    run gives exactly the weights a freshly built one would get.
    """
    for i, layer in enumerate(dense_layers(model)):
        init = keras.initializers.GlorotUniform(seed=seed * 1009 + i)
        layer.kernel.assign(init(layer.kernel.shape))
        layer.bias.assign(keras.ops.zeros(layer.bias.shape))


def make_optimizer(config: RunConfig) -> keras.optimizers.Optimizer:
    """Plain mini-batch SGD, as TF Playground (more optimizers come with the course controls)."""
    return keras.optimizers.SGD(learning_rate=float(config.learning_rate))
