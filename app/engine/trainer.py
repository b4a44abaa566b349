"""The training engine: one run's data, its (cached) compiled model and the epoch loop that yields frames.

The compiled XLA epoch loop and the model cache are in app/engine/compiled.py; what a frame draws is in
app/engine/drawing.py.
"""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from app.config.run_config import RunConfig
from app.data import datasets, features
from app.engine import losses
from app.engine.callbacks import build_callbacks, keras_logs
from app.engine.compiled import ModelCache, architecture_key, compile_model
from app.engine.divergence import ExplosionWatch, baseline_loss
from app.engine.drawing import NEURON_RESOLUTION, FrameDrawing
from app.engine.frames import clean, grid_points
from app.engine.history import METRIC_NAMES, History, sig
from app.engine.live import LIVE_SETTINGS
from app.engine.model import dense_layers, output_activation, reset_weights
from app.engine.seeds import batch_order
from app.engine.turns import SharedModelTurns
from app.share.spec import encode_weights

__all__ = ["METRIC_NAMES", "ModelCache", "Trainer", "WARM_CONFIGS", "architecture_key", "warm_up"]

class Trainer(SharedModelTurns, FrameDrawing):
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
        self.compiled = cache.acquire(config) if cache is not None else compile_model(config)
        self._cache_key_config = config  # live changes (set_live) must not move it to another cache key
        # The compiled model is shared by the runs of its shape (app/engine/compiled.py): this run's state is
        # in its variables while it is the owner, else parked here. `_fresh`: `_state` equals the variables.
        self._state: list[Any] | None = None
        self._fresh = False
        callbacks = build_callbacks(config)
        self._plain = not callbacks  # no callback that reads or changes the variables
        self._hold()
        model = self.compiled.model
        reset_weights(model, config)
        for var, initial in zip(self.compiled.optimizer.variables, self.compiled.optimizer_initial, strict=True):
            var.assign(initial)
        self.compiled.optimizer.learning_rate.assign(float(config.learning_rate))
        self._lr = float(np.float32(config.learning_rate))
        if self.compiled.live is not None:  # a cached model may carry another run's live changes
            self.compiled.live.assign(config.model_dump(include=set(LIVE_SETTINGS)))
        model.stop_training = False
        self._touched()
        self.callbacks = keras.callbacks.CallbackList(callbacks, model=model)
        self.callbacks.on_train_begin()
        self._stopped_early = False
        self._train_ended = False
        self.epoch = 0
        self.last: dict[str, Any] = {"epoch": 0, "learning_rate": config.learning_rate}
        self.last.update({k: None for k in METRIC_NAMES})
        self._history = History()
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
        self._hold()
        self._touched()
        kernel = dense_layers(self.compiled.model)[layer].kernel
        kernel.assign(tf.tensor_scatter_nd_update(kernel, [[source, target]], [float(value)]))
        self._refresh_metrics()

    def set_bias(self, layer: int, node: int, value: float) -> None:
        """Edit one bias live (layer 0 = the first hidden layer)."""
        self._hold()
        self._touched()
        bias = dense_layers(self.compiled.model)[layer].bias
        bias.assign(tf.tensor_scatter_nd_update(bias, [[node]], [float(value)]))
        self._refresh_metrics()

    def _refresh_metrics(self) -> None:
        """Recompute the current losses and accuracies without training (after an edit or a restore)."""
        self.forget_confusion()  # the weights or the data changed: the next frame's matrices are fresh
        self._hold()
        values = self.compiled.evaluate(self._x, self._y, self._xt, self._yt).numpy()
        for name, value in zip(METRIC_NAMES, values.tolist(), strict=True):
            self.last[name] = sig(value)
        if self.config.problem != "classification":
            self.last["train_accuracy"] = self.last["test_accuracy"] = None

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """Column of float targets: class indices, or ±1 (TF Playground's labels) for a tanh output."""
        y = y.reshape(-1, 1).astype(np.float32)
        return 2 * y - 1 if self.tanh_output else y

    @property
    def learning_rate(self) -> float:
        """The optimizer's rate; without callbacks only set_learning_rate changes it (no read each epoch)."""
        if self._plain:
            return self._lr
        self._hold()
        return float(self.compiled.optimizer.learning_rate.numpy())

    def set_learning_rate(self, lr: float) -> None:
        """Change the learning rate live: it is a variable, no retrace, no reset."""
        self._hold()
        self._touched()
        self.compiled.optimizer.learning_rate.assign(float(lr))
        self._lr = float(np.float32(lr))  # the variable's own value

    def set_live(self, values: dict[str, Any]) -> None:
        """Change settings without a restart: learning rate, regularization rate, optimizer parameters
        (app/live.py) and the stop conditions (epochs, target_loss); the epoch and the weights stay."""
        self.config = self.config.model_copy(update=values)
        if "learning_rate" in values:
            self.set_learning_rate(values["learning_rate"])
        if self.compiled.live is not None:
            self._hold()
            self._touched()
            self.compiled.live.assign(values)

    def train_epoch(self) -> dict[str, Any]:
        """Run one epoch (all mini-batches plus train/test metrics) in one compiled call."""
        compiled = self.compiled
        if self._plain:
            self._take_turn()  # the epoch call itself loads this run's state: no call to swap it in
        else:
            self._hold()  # callbacks read and set the variables (learning rate, best weights)
            compiled.model.stop_training = False
            self.callbacks.on_epoch_begin(self.epoch)
            self._touched()
        if not self._fresh:
            self._park()  # the variables are this run's, changed since the last epoch: read them once
        order = tf.constant(batch_order(self.config.seed, self.epoch, len(self.split.x_train)), dtype=tf.int32)
        values, self._state = compiled.epoch(self._x, self._y, self._xt, self._yt, order, self._state)
        values = values.numpy()
        self._fresh = True
        metrics: dict[str, Any] = {"epoch": self.epoch, "learning_rate": sig(self.learning_rate)}
        for name, value in zip(METRIC_NAMES, values.tolist(), strict=False):
            metrics[name] = sig(value)
        if self.config.problem != "classification":
            metrics["train_accuracy"] = metrics["test_accuracy"] = None
        if not self._plain:
            self.callbacks.on_epoch_end(self.epoch, keras_logs(metrics))
            self._touched()
        self.explosion.update(metrics["train_loss"])
        self.epoch += 1
        metrics["epoch"] = self.epoch
        self.last = dict(metrics)  # a copy: the history keeps this epoch's own figures
        if not self._plain and self.compiled.model.stop_training and not self._stopped_early:
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
            self._hold()
            self.callbacks.on_train_end()
            self._touched()
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

    def get_weights(self) -> list[np.ndarray]:
        """Every model weight in Keras' order (see app/spec.weight_shapes)."""
        return self.read_variables(self.compiled.model.weights)

    def read_variables(self, variables: list[Any]) -> list[np.ndarray]:
        """These variables' values for this run: from its packed state when that is current (one read)."""
        if self._fresh and self._state is not None:
            try:
                return [np.array(a) for a in self.compiled.values_in(self._state, variables)]
            except KeyError:  # a variable outside the run's state (none today): read it from the model
                pass
        self._hold()
        return [v.numpy() for v in variables]

    def set_weights(self, arrays: list[np.ndarray]) -> None:
        """Start from given weights (an imported or saved model) instead of fresh ones."""
        self._hold()
        self._touched()
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
        """Give the compiled model back to the cache (once); its variables no longer hold this run."""
        if self._closed:
            return
        self._closed = True
        if self.compiled.owner is self:
            self.compiled.owner = None
        self._state = None
        if self.cache is not None:
            self.cache.release(self._cache_key_config, self.compiled)


WARM_CONFIGS = (
    {},  # TF Playground's default: circle, x1 x2, [4, 2], tanh, batch 10
    {"dataset": "spiral", "features": list(features.FEATURE_NAMES), "hidden_layers": [8]},  # Day 65 on the page
    # Day 65 as the course's lessons start it (app/config/lessons.py DAY65: classic mode, and the data shape the
    # traced epoch depends on): a class pressing Play gets warm copies, not a compile each.
    {"dataset": "spiral", "features": list(features.FEATURE_NAMES), "hidden_layers": [8], "mode": "classic",
     "noise": 0, "train_ratio": 50},
)


def warm_up(cache: ModelCache) -> None:
    """Build and trace the common architectures so a learner's first frame comes fast."""
    for overrides in WARM_CONFIGS:
        trainer = Trainer(RunConfig(**overrides), cache)
        trainer.train_epoch()
        trainer.frame()
        trainer.close()
