"""Compiled models: one architecture's Keras model with its XLA epoch and probe functions, cached for reuse.

One Python call runs a whole epoch (every mini-batch step, then train and test loss
and accuracy) inside one ``tf.function(jit_compile=True)``: about 200x the speed of
one ``fit(epochs=1)`` per epoch (docs/performance.md). Compiled functions are cached
by architecture in a ModelCache so a re-run with the same shape skips tracing.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from app.config.run_config import RunConfig
from app.engine import losses
from app.engine.live import LiveParams
from app.engine.model import build_model, dense_layers, make_optimizer, neuron_layers, output_activation

# Settings that do not change the compiled graph: data, pacing, callbacks, live-changeable rate.
_NOT_ARCHITECTURE = {
    "dataset", "n_samples", "noise", "train_ratio", "seed", "features", "learning_rate", "epochs", "pace",
    "grid_resolution", "early_stopping", "lr_schedule", "reduce_lr", "target_loss",
}


def architecture_key(config: RunConfig) -> str:
    """What a compiled step depends on; runs that share it share compiled code."""
    rest = config.model_dump(exclude=_NOT_ARCHITECTURE)
    return f"{len(config.features)}|{config.layer_specs()}|{sorted(rest.items())}"


@dataclass
class Compiled:
    """A built model with its optimizer and compiled epoch / probe functions."""

    model: keras.Model
    optimizer: keras.optimizers.Optimizer
    train_epoch: Any
    evaluate: Any
    probe: Any
    predict: Any
    optimizer_initial: list[np.ndarray]
    live: LiveParams | None = None


def compile_model(config: RunConfig) -> Compiled:
    """Build the model and the XLA-compiled epoch and probe functions for one architecture."""
    model = build_model(config)
    optimizer = make_optimizer(config)
    live = LiveParams.attach(model, optimizer, config, dense_layers(model))  # before build: momentum slots
    optimizer.build(model.trainable_variables)
    loss_fn = losses.get(config.resolved_loss)
    model.compile(optimizer=optimizer, loss=loss_fn)  # callbacks reach the optimizer through the model
    classification = config.problem == "classification"
    multiclass = config.classes > 2
    threshold = 0.0 if output_activation(config) == "tanh" else 0.5  # tanh outputs have ±1 targets
    batch = config.batch_size
    hidden = [layer.output for layer in neuron_layers(model)]
    probe_model = keras.Model(model.inputs, [*hidden, model.outputs[0]])

    def step(xb: tf.Tensor, yb: tf.Tensor) -> None:
        with tf.GradientTape() as tape:
            pred = model(xb, training=True)
            loss = tf.reduce_mean(loss_fn(yb, pred))
            if model.losses:
                loss = loss + tf.add_n(model.losses)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)

    def evaluate(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        pred = model(x, training=False)
        loss = tf.reduce_mean(loss_fn(y, pred))
        if multiclass:
            hits = tf.equal(tf.argmax(pred, axis=1, output_type=tf.int32), tf.cast(y[:, 0], tf.int32))
            acc = tf.reduce_mean(tf.cast(hits, tf.float32))
        elif classification:
            acc = tf.reduce_mean(tf.cast(tf.equal(pred > threshold, y > threshold), tf.float32))
        else:
            acc = tf.constant(float("nan"))
        return loss, acc

    @tf.function(jit_compile=True, reduce_retracing=True)
    def train_epoch(x, y, x_test, y_test, order):
        n = x.shape[0]
        xs, ys = tf.gather(x, order), tf.gather(y, order)
        full = n // batch
        for i in tf.range(full):
            start = i * batch
            step(
                tf.slice(xs, [start, 0], [batch, xs.shape[1]]),
                tf.slice(ys, [start, 0], [batch, 1]),
            )
        if n % batch:  # the short last batch, as Keras' fit does
            step(xs[full * batch :], ys[full * batch :])
        train_loss, train_acc = evaluate(x, y)
        test_loss, test_acc = evaluate(x_test, y_test)
        return tf.stack([train_loss, test_loss, train_acc, test_acc])

    @tf.function(jit_compile=True, reduce_retracing=True)
    def evaluate_all(x, y, x_test, y_test):
        train_loss, train_acc = evaluate(x, y)
        test_loss, test_acc = evaluate(x_test, y_test)
        return tf.stack([train_loss, test_loss, train_acc, test_acc])

    @tf.function(jit_compile=True, reduce_retracing=True)
    def probe(grid):
        return probe_model(grid, training=False)

    @tf.function(jit_compile=True, reduce_retracing=True)
    def predict(x):
        return model(x, training=False)

    initial = [v.numpy() for v in optimizer.variables]
    return Compiled(model, optimizer, train_epoch, evaluate_all, probe, predict, initial, live)


class ModelCache:
    """Compiled models keyed by architecture, reused across runs in one worker process.

    A run takes a free entry (or builds one) and gives it back when it ends; two
    concurrent runs with the same architecture get two entries.
    """

    def __init__(self, max_entries: int = 16) -> None:
        self.max_entries = max_entries
        self._free: OrderedDict[tuple, list[Compiled]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def acquire(self, config: RunConfig) -> Compiled:
        """A compiled model for this architecture: cached if one is free, else new."""
        key = architecture_key(config)
        entries = self._free.get(key)
        if entries:
            self.hits += 1
            self._free.move_to_end(key)
            return entries.pop()
        self.misses += 1
        return compile_model(config)

    def has_free(self, config: RunConfig) -> bool:
        """True when acquire() would not compile: a copy of this architecture is free."""
        return bool(self._free.get(architecture_key(config)))

    def release(self, config: RunConfig, compiled: Compiled) -> None:
        """Give an entry back; the least recently used ones are dropped past max_entries."""
        key = architecture_key(config)
        self._free.setdefault(key, []).append(compiled)
        self._free.move_to_end(key)
        while sum(len(v) for v in self._free.values()) > self.max_entries:
            oldest = next(iter(self._free))
            self._free[oldest].pop(0)
            if not self._free[oldest]:
                del self._free[oldest]

    def __len__(self) -> int:
        return sum(len(v) for v in self._free.values())
