"""A small scikit-learn classifier around a Keras MLP, so a Pipeline can scale inside each fold.

scikeras would do this too; ours is ~60 lines with only the options the lab offers
(the course article's: layer sizes, input and hidden dropout, max-norm, SGD with
momentum), and it keeps the dependency list short. Keras is imported in fit(), so the
web process can build (and test) pipelines without importing TensorFlow.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

_COMPILED: OrderedDict[tuple, tuple[Any, Any, Any, list[np.ndarray]]] = OrderedDict()


class KerasMLP(ClassifierMixin, BaseEstimator):
    """Dense layers (relu by default), optional input/hidden dropout and max-norm, trained with SGD + momentum."""

    def __init__(self, hidden_layers: tuple[int, ...] = (60, 30), activation: str = "relu",
                 input_dropout: float = 0.0, dropout: float = 0.0, max_norm: float = 0.0,
                 learning_rate: float = 0.01, momentum: float = 0.8, epochs: int = 300, batch_size: int = 16,
                 seed: int = 0, max_seconds: float = 0.0) -> None:
        self.hidden_layers = hidden_layers
        self.activation = activation
        self.input_dropout = input_dropout
        self.dropout = dropout
        self.max_norm = max_norm
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.epochs = epochs
        self.batch_size = batch_size
        self.seed = seed
        self.max_seconds = max_seconds  # wall-time budget of one fit (0 = none): training stops at the epoch past it

    def _build(self, n_features: int, n_classes: int) -> Any:
        import keras

        constraint = (lambda: keras.constraints.MaxNorm(self.max_norm)) if self.max_norm else (lambda: None)
        layers: list[Any] = [keras.Input((n_features,))]
        if self.input_dropout:
            layers.append(keras.layers.Dropout(self.input_dropout))
        for units in self.hidden_layers:
            layers.append(keras.layers.Dense(units, activation=self.activation, kernel_constraint=constraint()))
            if self.dropout:
                layers.append(keras.layers.Dropout(self.dropout))
        binary = n_classes == 2
        layers.append(keras.layers.Dense(1 if binary else n_classes, activation="sigmoid" if binary else "softmax"))
        return keras.Sequential(layers)

    def _compiled(self, n_features: int, n_classes: int) -> tuple[Any, Any, Any, list[np.ndarray]]:
        """Model, optimizer, compiled epoch and the optimizer's initial state, cached by architecture.

        Tracing costs seconds, training a Sonar fold about as much: the ten folds of one
        configuration share one compiled model, re-initialised for each fold.
        """
        import keras
        import tensorflow as tf

        key = (tuple(self.hidden_layers), self.activation, self.input_dropout, self.dropout, self.max_norm,
               self.momentum, self.batch_size, n_features, n_classes)
        if key in _COMPILED:
            _COMPILED.move_to_end(key)
            return _COMPILED[key]
        model = self._build(n_features, n_classes)
        optimizer = keras.optimizers.SGD(learning_rate=self.learning_rate, momentum=self.momentum)
        optimizer.build(model.trainable_variables)
        loss_fn = keras.losses.BinaryCrossentropy() if n_classes == 2 else keras.losses.SparseCategoricalCrossentropy()
        batch = self.batch_size

        def step(xb: tf.Tensor, yb: tf.Tensor) -> None:
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, model(xb, training=True))
            optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)

        # A graph, not XLA: XLA compiles for seconds and its CPU dropout RNG made dropout folds 3x slower.
        @tf.function  # traced once per training-set size (two sizes in a k-fold split)
        def epoch(xs: tf.Tensor, ys: tf.Tensor, seed: tf.Tensor) -> None:
            n = xs.shape[0]
            size = min(batch, n)
            order = tf.argsort(tf.random.stateless_uniform([n], seed=seed))
            xe, ye = tf.gather(xs, order), tf.gather(ys, order)
            for i in tf.range(n // size):
                step(tf.slice(xe, [i * size, 0], [size, xe.shape[1]]), tf.slice(ye, [i * size, 0], [size, 1]))
            if n % size:  # the short last batch, as fit() does
                step(xe[(n // size) * size:], ye[(n // size) * size:])

        entry = (model, optimizer, epoch, [v.numpy() for v in optimizer.variables])
        _COMPILED[key] = entry
        while len(_COMPILED) > 6:
            _COMPILED.popitem(last=False)
        return entry

    def fit(self, x: np.ndarray, y: np.ndarray) -> KerasMLP:
        """Train a freshly initialised model on (x, y); y holds class indices.

        Keras' own layers, optimizer (which applies the max-norm constraint) and loss, driven by a
        compiled epoch (a tf.function) as app/trainer.py does. The model is shared with later fits of the same
        architecture in this process: score before fitting another.
        """
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(self.seed)  # the same fold and seed give the same model
        self.classes_ = np.unique(y)
        model, optimizer, epoch, initial = self._compiled(x.shape[1], len(self.classes_))
        for i, layer in enumerate(d for d in model.layers if isinstance(d, keras.layers.Dense)):
            layer.kernel.assign(keras.initializers.GlorotUniform(seed=self.seed * 100 + i)(layer.kernel.shape))
            layer.bias.assign(np.zeros(layer.bias.shape, np.float32))
        for var, value in zip(optimizer.variables, initial, strict=True):
            var.assign(value)
        optimizer.learning_rate.assign(self.learning_rate)
        self.model_ = model
        targets = np.searchsorted(self.classes_, y).astype(np.float32).reshape(-1, 1)
        xs, ys = tf.constant(x.astype(np.float32)), tf.constant(targets)
        deadline = time.monotonic() + self.max_seconds if self.max_seconds else None
        self.epochs_run_ = 0
        for e in range(self.epochs):
            if deadline is not None and time.monotonic() > deadline:
                break
            epoch(xs, ys, tf.constant([self.seed, e], dtype=tf.int32))
            self.epochs_run_ = e + 1
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, one column per class."""
        out = np.asarray(self.model_(x.astype(np.float32), training=False))
        return np.column_stack([1 - out[:, 0], out[:, 0]]) if out.shape[1] == 1 else out

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The most probable class."""
        return self.classes_[self.predict_proba(x).argmax(axis=1)]
