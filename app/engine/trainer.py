"""The training engine: a compiled (XLA) epoch loop over a Keras model, yielding frames.

One Python call runs a whole epoch (every mini-batch step, then train and test loss
and accuracy) inside one ``tf.function(jit_compile=True)``: about 200x the speed of
one ``fit(epochs=1)`` per epoch (docs/performance.md). Compiled functions are cached
by architecture in a ModelCache so a re-run with the same shape skips tracing.
"""

from __future__ import annotations

import base64
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from app.config.run_config import RunConfig
from app.data import datasets, features
from app.engine import losses
from app.engine.callbacks import build_callbacks, keras_logs
from app.engine.divergence import ExplosionWatch, baseline_loss
from app.engine.frames import clean, encode_grid, grid_points, round_weights
from app.engine.live import LIVE_SETTINGS, LiveParams
from app.engine.model import build_model, dense_layers, make_optimizer, neuron_layers, output_activation, reset_weights
from app.engine.seeds import batch_order
from app.share.spec import encode_weights

NEURON_RESOLUTION = 20
METRIC_NAMES = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")


def _sig(x: float, digits: int = 6) -> float:
    """Round to significant digits: float32 noise (0.029999999) off, frames smaller."""
    return float(f"{x:.{digits}g}")


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


def _compile(config: RunConfig) -> Compiled:
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
        return _compile(config)

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


@dataclass
class _History:
    """Per-epoch metrics accumulated between two frames."""

    rows: dict[str, list] = field(default_factory=lambda: {k: [] for k in ("epoch", *METRIC_NAMES, "learning_rate")})

    def add(self, metrics: dict[str, Any]) -> None:
        for k, values in self.rows.items():
            values.append(metrics[k])

    def take(self) -> dict[str, list]:
        out, self.rows = self.rows, {k: [] for k in self.rows}
        return out


class Trainer:
    """One run: data, a (cached) compiled model, and the epoch loop that yields frames."""

    def __init__(self, config: RunConfig, cache: ModelCache | None = None) -> None:
        self.config = config
        self.cache = cache
        self.started = time.perf_counter()
        names = features.ordered(config.features)
        self.tanh_output = output_activation(config) == "tanh"
        self._load_data(config.seed)
        res = config.grid_resolution
        self._grid_sizes = (res * res, NEURON_RESOLUTION * NEURON_RESOLUTION)
        grid = np.vstack([grid_points(res), grid_points(NEURON_RESOLUTION)])
        self._grid = tf.constant(features.transform(grid, names))
        self.compiled = cache.acquire(config) if cache is not None else _compile(config)
        self._cache_key_config = config  # live changes (set_live) must not move it to another cache key
        model = self.compiled.model
        reset_weights(model, config)
        for var, initial in zip(self.compiled.optimizer.variables, self.compiled.optimizer_initial, strict=True):
            var.assign(initial)
        self.compiled.optimizer.learning_rate.assign(float(config.learning_rate))
        if self.compiled.live is not None:  # a cached model may carry another run's live changes
            self.compiled.live.assign(config.model_dump(include=set(LIVE_SETTINGS)))
        model.stop_training = False
        self.callbacks = keras.callbacks.CallbackList(build_callbacks(config), model=model)
        self.callbacks.on_train_begin()
        self._stopped_early = False
        self._train_ended = False
        self.epoch = 0
        self.last: dict[str, Any] = {"epoch": 0, "learning_rate": config.learning_rate}
        self.last.update({k: None for k in METRIC_NAMES})
        self._history = _History()
        self._closed = False

    def _load_data(self, seed: int) -> None:
        """Generate the dataset for a seed and keep it as tensors (features applied)."""
        c = self.config
        split = datasets.make(c.dataset, c.n_samples, c.noise, c.train_ratio, seed, c.n_classes)
        self.split = split
        names = features.ordered(c.features)
        self._x = tf.constant(features.transform(split.x_train, names))
        self._y = tf.constant(self._targets(split.y_train))
        self._xt = tf.constant(features.transform(split.x_test, names))
        self._yt = tf.constant(self._targets(split.y_test))
        self.explosion = ExplosionWatch(baseline_loss(losses.get(c.resolved_loss), self._y.numpy(), c.classes))

    def regenerate(self, data_seed: int) -> None:
        """New data from another seed; the network and the epoch counter are kept (TFP's Regenerate)."""
        self._load_data(data_seed)
        self._refresh_metrics()

    def set_weight(self, layer: int, source: int, target: int, value: float) -> None:
        """Edit one weight live (layer 0 = from the inputs); training continues from it."""
        kernel = dense_layers(self.compiled.model)[layer].kernel
        kernel.assign(tf.tensor_scatter_nd_update(kernel, [[source, target]], [float(value)]))
        self._refresh_metrics()

    def set_bias(self, layer: int, node: int, value: float) -> None:
        """Edit one bias live (layer 0 = the first hidden layer)."""
        bias = dense_layers(self.compiled.model)[layer].bias
        bias.assign(tf.tensor_scatter_nd_update(bias, [[node]], [float(value)]))
        self._refresh_metrics()

    def _refresh_metrics(self) -> None:
        """Recompute the current losses and accuracies without training (after an edit or a restore)."""
        values = self.compiled.evaluate(self._x, self._y, self._xt, self._yt).numpy()
        for name, value in zip(METRIC_NAMES, values.tolist(), strict=True):
            self.last[name] = _sig(value)
        if self.config.problem != "classification":
            self.last["train_accuracy"] = self.last["test_accuracy"] = None

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """Column of float targets: class indices, or ±1 (TF Playground's labels) for a tanh output."""
        y = y.reshape(-1, 1).astype(np.float32)
        return 2 * y - 1 if self.tanh_output else y

    @property
    def learning_rate(self) -> float:
        return float(self.compiled.optimizer.learning_rate.numpy())

    def set_learning_rate(self, lr: float) -> None:
        """Change the learning rate live: it is a variable, no retrace, no reset."""
        self.compiled.optimizer.learning_rate.assign(float(lr))

    def set_live(self, values: dict[str, Any]) -> None:
        """Change settings without a restart: learning rate, regularization rate, optimizer parameters
        (app/live.py) and the stop conditions (epochs, target_loss); the epoch and the weights stay."""
        self.config = self.config.model_copy(update=values)
        if "learning_rate" in values:
            self.set_learning_rate(values["learning_rate"])
        if self.compiled.live is not None:
            self.compiled.live.assign(values)

    def train_epoch(self) -> dict[str, Any]:
        """Run one epoch (all mini-batches plus train/test metrics) in one compiled call."""
        self.callbacks.on_epoch_begin(self.epoch)
        order = tf.constant(batch_order(self.config.seed, self.epoch, len(self.split.x_train)), dtype=tf.int32)
        values = self.compiled.train_epoch(self._x, self._y, self._xt, self._yt, order).numpy()
        metrics: dict[str, Any] = {"epoch": self.epoch, "learning_rate": _sig(self.learning_rate)}
        for name, value in zip(METRIC_NAMES, values.tolist(), strict=False):
            metrics[name] = _sig(value)
        if self.config.problem != "classification":
            metrics["train_accuracy"] = metrics["test_accuracy"] = None
        self.callbacks.on_epoch_end(self.epoch, keras_logs(metrics))
        self.explosion.update(metrics["train_loss"])
        self.epoch += 1
        metrics["epoch"] = self.epoch
        self.last = dict(metrics)  # a copy: the history keeps this epoch's own figures
        if self.compiled.model.stop_training and not self._stopped_early:
            self._stopped_early = True
            self._end_training()  # after `last` is set: restoring the best weights refreshes its figures
        self._history.add({k: clean(v) if isinstance(v, float) else v for k, v in metrics.items()})
        return metrics

    @property
    def diverged(self) -> bool:
        """True when the last loss is NaN or infinite, or the loss exploded (app/divergence.py)."""
        loss = self.last.get("train_loss")
        return (loss is not None and not np.isfinite(loss)) or self.explosion.exploded

    @property
    def stop_reason(self) -> str | None:
        """Why training should end now, or None to go on."""
        if self._stopped_early:
            return "early_stopping"
        target = self.config.target_loss
        if target is not None and self.last.get("test_loss") is not None and self.last["test_loss"] <= target:
            return "target"
        if self.epoch >= self.config.epochs:
            return "finished"
        return None

    def _end_training(self) -> None:
        """Let the callbacks finish (EarlyStopping restores the best weights here), once."""
        if not self._train_ended:
            self._train_ended = True
            self.callbacks.on_train_end()
            info = self.early_stopping_info()
            if info and info["restored_best_weights"]:
                self._refresh_metrics()  # the figures of the weights actually kept

    def early_stopping_info(self) -> dict[str, Any] | None:
        """Where EarlyStopping stopped and which epoch's weights it restored (1-based), or None."""
        for cb in self.callbacks.callbacks:
            if isinstance(cb, keras.callbacks.EarlyStopping):
                return {
                    "stopped_epoch": cb.stopped_epoch + 1 if self._stopped_early else None,
                    "best_epoch": cb.best_epoch + 1,
                    "restored_best_weights": bool(cb.restore_best_weights and cb.best_weights is not None),
                }
        return None

    def _grids(self) -> tuple[dict[str, Any], list[list[np.ndarray]]]:
        """The boundary (encoded) and every hidden neuron's output on the coarse grid."""
        outputs = self.compiled.probe(self._grid)
        outputs = [o.numpy() for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]
        fine, _ = self._grid_sizes
        out = outputs[-1][:fine]
        boundary: dict[str, Any] = {"resolution": self.config.grid_resolution, "extent": list(datasets.DOMAIN)}
        if self.config.classes > 2:
            # Per class: the winning class index, and its probability as the value (2p - 1).
            boundary["classes"] = base64.b64encode(out.argmax(axis=1).astype(np.uint8).tobytes()).decode("ascii")
            boundary["n_classes"] = self.config.classes
            boundary["data"] = encode_grid(2.0 * out.max(axis=1) - 1.0)
        else:
            sigmoid = self.config.problem == "classification" and not self.tanh_output
            boundary["data"] = encode_grid(2.0 * out[:, 0] - 1.0 if sigmoid else out[:, 0])
        neurons = [[h[fine:, k] for k in range(h.shape[1])] for h in outputs[:-1]]
        return boundary, neurons

    def _predicted_classes(self, x: tf.Tensor) -> np.ndarray:
        out = self.compiled.predict(x).numpy()
        if self.config.classes > 2:
            return out.argmax(axis=1)
        return (out[:, 0] > (0.0 if self.tanh_output else 0.5)).astype(np.int64)

    def confusion(self) -> dict[str, list[list[int]]] | None:
        """Confusion matrices (rows: true class, columns: predicted) on train and test, or None."""
        if self.config.problem != "classification":
            return None
        k = max(self.config.classes, 2)
        out = {}
        for name, x, y in (("train", self._x, self.split.y_train), ("test", self._xt, self.split.y_test)):
            matrix = np.zeros((k, k), dtype=np.int64)
            np.add.at(matrix, (y.astype(np.int64), self._predicted_classes(x)), 1)
            out[name] = matrix.tolist()
        return out

    def frame(self) -> dict[str, Any]:
        """Everything the page draws: metrics, history since the last frame, grids, weights."""
        boundary, neurons = self._grids()
        weights = []
        for layer in dense_layers(self.compiled.model):
            kernel, bias = round_weights([layer.kernel.numpy(), layer.bias.numpy()])
            weights.append({"kernel": kernel, "bias": bias})
        return {
            **{k: clean(v) if isinstance(v, float) else v for k, v in self.last.items()},
            "elapsed": round(time.perf_counter() - self.started, 3),
            "history": self._history.take(),
            "boundary": boundary,
            "confusion": self.confusion(),
            "neurons": {
                "resolution": NEURON_RESOLUTION,
                "layers": [[encode_grid(n) for n in layer] for layer in neurons],
            },
            "weights": weights,
        }

    def get_weights(self) -> list[np.ndarray]:
        """Every model weight in Keras' order (see app/spec.weight_shapes)."""
        return self.compiled.model.get_weights()

    def set_weights(self, arrays: list[np.ndarray]) -> None:
        """Start from given weights (an imported or saved model) instead of fresh ones."""
        self.compiled.model.set_weights(arrays)
        self._refresh_metrics()

    def summary(self) -> dict[str, Any]:
        """Final figures for the done event (the runner adds the reason); ends the callbacks' training.

        Carries the full-precision weights so the web process can save and export the model.
        """
        self._end_training()
        out = {
            "epochs": self.epoch,
            **{k: clean(self.last.get(k)) for k in METRIC_NAMES},
            "elapsed": round(time.perf_counter() - self.started, 3),
            "weights": encode_weights(self.get_weights()),
        }
        info = self.early_stopping_info()
        if info is not None:
            out["early_stopping"] = info
        return out

    def close(self) -> None:
        """Give the compiled model back to the cache (once)."""
        if not self._closed and self.cache is not None:
            self.cache.release(self._cache_key_config, self.compiled)
        self._closed = True


WARM_CONFIGS = (
    {},  # TF Playground's default: circle, x1 x2, [4, 2], tanh, batch 10
    {"dataset": "spiral", "features": list(features.FEATURE_NAMES), "hidden_layers": [8]},  # Day 65
)


def warm_up(cache: ModelCache) -> None:
    """Build and trace the common architectures so a learner's first frame comes fast."""
    for overrides in WARM_CONFIGS:
        trainer = Trainer(RunConfig(**overrides), cache)
        trainer.train_epoch()
        trainer.frame()
        trainer.close()
