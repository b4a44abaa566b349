"""RunConfig -> Keras model and optimizer. TensorFlow/Keras are imported here and below only.

Every hidden layer `i` ends in a layer named ``hidden_<i>`` whose output is that layer's
neurons (after batch norm and activation, before dropout): the per-neuron thumbnails.
"""

from __future__ import annotations

import keras

from app.config.options import LOSS_TABLE, LayerConfig
from app.config.run_config import RunConfig
from app.engine.seeds import dropout_seed, kernel_seed

CLASSIC_BIAS = 0.1  # TF Playground's initial bias (nn.ts)


def output_activation(config: RunConfig) -> str:
    """sigmoid, tanh (classic mode, hinge, square error), softmax (> 2 classes) or linear (regression)."""
    if config.problem == "regression":
        return "linear"
    if config.mode == "classic":
        return "tanh"
    return LOSS_TABLE[config.resolved_loss][1]


def output_spec(config: RunConfig) -> tuple[str, str]:
    """Output activation and loss name for the config."""
    return output_activation(config), config.resolved_loss


def make_regularizer(kind: str, rate: float, classic: bool = False) -> keras.regularizers.Regularizer | None:
    """Keras' own regularizer; classic mode halves L2 to match TF Playground's penalty of w²/2."""
    if kind == "none" or rate == 0:
        return None
    if kind == "l1":
        return keras.regularizers.L1(rate)
    l2 = rate / 2 if classic else rate
    if kind == "l2":
        return keras.regularizers.L2(l2)
    return keras.regularizers.L1L2(l1=rate, l2=l2)


def make_initializer(name: str, seed: int | None = None) -> keras.initializers.Initializer:
    """Kernel initializer by name; 'uniform' is TF Playground's U(-0.5, 0.5)."""
    if name == "uniform":
        return keras.initializers.RandomUniform(-0.5, 0.5, seed=seed)
    if name == "zeros":
        return keras.initializers.Zeros()
    if name == "he_normal":
        return keras.initializers.HeNormal(seed=seed)
    return keras.initializers.GlorotUniform(seed=seed)


def _hidden_block(x, spec: LayerConfig, index: int, classic: bool):
    """Dense (+ BatchNormalization + Activation) (+ Dropout) for one hidden layer."""
    name = f"hidden_{index}"
    dense = keras.layers.Dense(
        spec.units,
        activation=None if spec.batch_norm else spec.activation,
        kernel_initializer=make_initializer("uniform" if classic else spec.initializer),
        kernel_regularizer=make_regularizer(spec.regularization, spec.regularization_rate, classic),
        activity_regularizer=make_regularizer(spec.activity_regularization, spec.activity_regularization_rate),
        kernel_constraint=keras.constraints.MaxNorm(spec.max_norm) if spec.max_norm > 0 else None,
        name=f"{name}_dense" if spec.batch_norm else name,
    )
    x = dense(x)
    if spec.batch_norm:
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
        x = keras.layers.Activation(spec.activation, name=name)(x)
    if spec.dropout > 0:
        x = keras.layers.Dropout(spec.dropout, name=f"{name}_dropout")(x)
    return x


def build_model(config: RunConfig) -> keras.Model:
    """A functional MLP: inputs (one per feature) -> hidden blocks -> one output unit."""
    classic = config.mode == "classic"
    inputs = keras.Input(shape=(len(config.features),), name="features")
    x = inputs
    if config.input_dropout > 0:
        x = keras.layers.Dropout(config.input_dropout, name="input_dropout")(x)
    for i, spec in enumerate(config.layer_specs(), start=1):
        x = _hidden_block(x, spec, i, classic)
    outputs = keras.layers.Dense(
        config.classes if config.classes > 2 else 1,
        activation=output_activation(config),
        kernel_initializer=make_initializer("uniform" if classic else config.initializer),
        kernel_regularizer=make_regularizer(config.regularization, config.regularization_rate, classic),
        kernel_constraint=keras.constraints.MaxNorm(config.max_norm) if config.max_norm > 0 else None,
        name="output",
    )(x)
    return keras.Model(inputs, outputs, name="playground")


def dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    """The Dense layers in order (hidden layers, then the output): the network diagram's weights."""
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def neuron_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The layers whose outputs are the hidden neurons (``hidden_1``, ``hidden_2``, ...)."""
    names = {layer.name: layer for layer in model.layers}
    return [names[f"hidden_{i}"] for i in range(1, len(names) + 1) if f"hidden_{i}" in names]


def reset_weights(model: keras.Model, config: RunConfig) -> None:
    """Fresh initial weights, deterministic from the seed, for a new or a cached model.

    Each kernel gets its own initializer seed, so re-using a cached model for a new run
    gives exactly the weights a freshly built one gets. Batch-norm statistics and dropout
    seeds are reset too. The seeds are app.engine.seeds' rules, which the exported script copies.
    """
    classic = config.mode == "classic"
    specs = config.layer_specs()
    for i, layer in enumerate(dense_layers(model)):
        name = "uniform" if classic else (specs[i].initializer if i < len(specs) else config.initializer)
        layer.kernel.assign(make_initializer(name, seed=kernel_seed(config.seed, i))(layer.kernel.shape))
        layer.bias.assign(keras.ops.full(layer.bias.shape, CLASSIC_BIAS if classic else 0.0))
    dropouts = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            for var, value in ((layer.gamma, 1.0), (layer.beta, 0.0), (layer.moving_mean, 0.0),
                               (layer.moving_variance, 1.0)):
                var.assign(keras.ops.full(var.shape, value))
        elif isinstance(layer, keras.layers.Dropout):  # the state Dropout(seed=s) starts from: [s, 0]
            state = layer.seed_generator.state
            state.assign(keras.ops.convert_to_tensor([dropout_seed(config.seed, dropouts), 0], dtype=state.dtype))
            dropouts += 1


def make_optimizer(config: RunConfig) -> keras.optimizers.Optimizer:
    """Keras' own optimizer with the config's parameters (the learning rate stays a variable)."""
    lr = float(config.learning_rate)
    if config.optimizer == "adam":
        return keras.optimizers.Adam(lr, beta_1=config.beta_1, beta_2=config.beta_2)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr, rho=config.rho, momentum=config.momentum)
    if config.optimizer == "adagrad":
        return keras.optimizers.Adagrad(lr)
    return keras.optimizers.SGD(lr, momentum=config.momentum, nesterov=config.nesterov)
