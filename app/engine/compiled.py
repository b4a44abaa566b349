"""Compiled models: one architecture's Keras model with its XLA epoch and probe functions, shared by its runs.

One Python call runs a whole epoch (every mini-batch step, then train and test loss
and accuracy) inside one ``tf.function(jit_compile=True)``: about 200x the speed of
one ``fit(epochs=1)`` per epoch (docs/performance.md). A ModelCache keeps one compiled
model per architecture, shared by every run of that shape in the process: a run's own
state (weights, optimizer slots, live settings, dropout seeds) goes in and comes out of
the same compiled epoch call, so taking turns costs no extra call (docs/performance.md,
"One compiled model per architecture").
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
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


class FlatCall:
    """One traced signature of a tf.function, called without the function's per-call dispatch.

    Calling a tf.function matches its arguments against every traced signature and flattens them each time:
    ~0.4 ms of Python on a Day-65 epoch whose XLA work takes ~0.3 ms (docs/performance.md, "The epoch call").
    A run's arguments keep their shapes and dtypes from epoch to epoch, so the match is done once, here, and
    later calls hand the tensors straight to the traced function (TensorFlow's own last step of a call). Falls
    back to the concrete function's public call when this TensorFlow lacks that internal entry point.
    """

    def __init__(self, function: Any, *args: Any) -> None:
        concrete = function.get_concrete_function(*args)
        atomic = getattr(concrete, "_inference_function", None)
        self._call = getattr(atomic, "call_flat", None)
        self._captured = tuple(concrete.captured_inputs)  # the variables' handles: fixed for a compiled model
        self._concrete = concrete

    def __call__(self, *args: Any) -> list[tf.Tensor]:
        """The traced function's outputs, flat (the nested arguments flattened in order: lists spread)."""
        flat = [t for a in args for t in (a if isinstance(a, (list, tuple)) else (a,))]
        if self._call is None:
            return tf.nest.flatten(self._concrete(*args))
        return list(self._call(*flat, *self._captured))


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
    state_vars: tuple[Any, ...] = ()  # every variable a run owns, in the order of a run's state
    save_state: Any = None  # () -> the variables' values (a run's state)
    load_state: Any = None  # (state) -> None: the variables take a run's state
    owner: Any = None  # the run whose state the variables hold now (app/engine/trainer.py)
    users: int = 0  # runs using it (ModelCache never drops one in use)
    epoch_calls: dict[Any, FlatCall] = field(default_factory=dict)  # per data shape: train_epoch, dispatched once
    places: dict[int, tuple[int, int, tuple[int, ...]]] = field(default_factory=dict)  # id(var) -> where in a state

    def values_in(self, state: list[tf.Tensor], variables: list[Any]) -> list[np.ndarray]:
        """What `variables` hold in a run's packed state: one read per state tensor, not one per variable.

        A frame's weights and the landscape's snapshots come from here (~10 µs against ~20 µs per variable).
        """
        flats: dict[int, np.ndarray] = {}
        out = []
        for var in variables:
            group, offset, shape = self.places[id(var)]
            if group not in flats:
                flats[group] = state[group].numpy()
            out.append(flats[group][offset:offset + int(np.prod(shape))].reshape(shape))
        return out

    def epoch(self, x: tf.Tensor, y: tf.Tensor, x_test: tf.Tensor, y_test: tf.Tensor, order: tf.Tensor,
              state: list[tf.Tensor]) -> tuple[tf.Tensor, list[tf.Tensor]]:
        """train_epoch through its FlatCall for these shapes: (metrics, the run's new state)."""
        key = (x.shape, x_test.shape)
        call = self.epoch_calls.get(key)
        if call is None:
            call = self.epoch_calls[key] = FlatCall(self.train_epoch, x, y, x_test, y_test, order, state)
        out = call(x, y, x_test, y_test, order, state)
        return out[0], out[1:]


def state_variables(model: keras.Model, optimizer: keras.optimizers.Optimizer,
                    live: LiveParams | None) -> tuple[Any, ...]:
    """Everything that differs between two runs of one architecture, each variable once."""
    extra: list[Any] = []
    if live is not None:
        for var in (live.l1, live.l2, *live.optimizer.values()):
            if var is not None:
                extra += [var, *([var.complement] if hasattr(var, "complement") else [])]
    seen: set[int] = set()
    out = []
    for var in (*model.variables, *optimizer.variables, *extra):
        if id(var) not in seen:
            seen.add(id(var))
            out.append(var)
    return tuple(out)


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

    state_vars = state_variables(model, optimizer, live)
    # A run's state travels as one flat tensor per dtype: each tensor passed to or returned by a compiled call
    # costs ~20 µs of Python, so 28 variables one by one would cost an epoch's time (bench/bench_engine.py).
    groups: dict[Any, list[Any]] = {}
    for var in state_vars:
        groups.setdefault(var.dtype, []).append(var)
    packed = tuple(groups.values())
    places = {}
    for index, group in enumerate(packed):
        offset = 0
        for var in group:
            places[id(var)] = (index, offset, tuple(var.shape))
            offset += int(np.prod(var.shape))

    def pack() -> list[tf.Tensor]:
        return [tf.concat([tf.reshape(var.value, [-1]) for var in group], 0) for group in packed]

    def unpack(state: list[tf.Tensor]) -> None:
        for group, flat in zip(packed, state, strict=True):
            parts = tf.split(flat, [int(np.prod(var.shape)) for var in group])
            for var, part in zip(group, parts, strict=True):
                var.assign(tf.reshape(part, var.shape))

    @tf.function(jit_compile=True, reduce_retracing=True)
    def train_epoch(x, y, x_test, y_test, order, state):
        unpack(state)  # this run's state in, in the same call
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
        return tf.stack([train_loss, test_loss, train_acc, test_acc]), pack()

    @tf.function(jit_compile=True)
    def save_state():
        return pack()

    @tf.function(jit_compile=True)
    def load_state(state):
        unpack(state)

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
    return Compiled(model, optimizer, train_epoch, evaluate_all, probe, predict, initial, live,
                    state_vars, save_state, load_state, places=places)


class ModelCache:
    """One compiled model per architecture, shared by the runs of one worker process.

    Runs of one shape take turns on it (each keeps its own state: app/engine/trainer.py), so a new
    run of a known shape never compiles and memory does not grow with the number of runs. Entries no
    run uses are dropped, least recently used first, past max_entries.
    """

    def __init__(self, max_entries: int = 16) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Compiled] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def acquire(self, config: RunConfig) -> Compiled:
        """The compiled model of this architecture (built on first use); give it back with release()."""
        key = architecture_key(config)
        compiled = self._entries.get(key)
        if compiled is None:
            self.misses += 1
            compiled = self._entries[key] = compile_model(config)
        else:
            self.hits += 1
        self._entries.move_to_end(key)
        compiled.users += 1
        self._trim()
        return compiled

    def has(self, config: RunConfig) -> bool:
        """True when acquire() would not compile: this architecture is in the cache."""
        return architecture_key(config) in self._entries

    def adopt(self, config: RunConfig, compiled: Compiled) -> None:
        """Keep a model compiled elsewhere (the compile thread) unless this shape has one already."""
        key = architecture_key(config)
        if key not in self._entries:
            compiled.owner = None
            self._entries[key] = compiled
            self._trim()

    def release(self, config: RunConfig, compiled: Compiled) -> None:
        """A run is done with it; the model stays cached for the next run of its shape."""
        compiled.users = max(0, compiled.users - 1)
        self._trim()

    def _trim(self) -> None:
        unused = [k for k, c in self._entries.items() if c.users == 0]  # oldest first
        for key in unused[: max(0, len(self._entries) - self.max_entries)]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
