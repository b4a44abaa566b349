"""What the page draws from a run: the boundary and neuron grids, confusion matrices, the frame itself."""

from __future__ import annotations

import base64
import time
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from app.data import datasets, features
from app.engine.frames import clean, encode_grid
from app.engine.model import dense_layers, output_activation

WEIGHT_DIGITS = 6  # decimals of streamed weights: the page's forward pass stays well inside one colour step

NEURON_RESOLUTION = 20

# Seconds between two fresh confusion matrices in frames without grids. Counts of 250 points move slowly and the
# page redraws the tables only when they change; a frame in between repeats the last matrices (no prediction).
CONFUSION_INTERVAL = 0.5
_now = time.monotonic  # the clock of confusion_due (a test sets its own)


def confusion_due(now: float, last: float | None, *, grids: bool, exact: bool,
                  interval: float = CONFUSION_INTERVAL) -> bool:
    """Whether a frame sent at `now` computes fresh confusion matrices rather than repeating the last ones.

    Always when none was computed since the data or weights last changed (`last` is None), on a frame the
    learner dwells on (`exact`: pause, step, done, error, an edit), and with grids (grids frames stay as they
    were); otherwise at most once per `interval` seconds.
    """
    return exact or grids or last is None or now - last >= interval


class FrameDrawing:
    """Mixin of Trainer: turns its compiled model and data into frames (kept apart from the epoch loop)."""

    # Provided by Trainer: _hold, read_variables, config, compiled, tanh_output, split, started, last, _x, _xt,
    # _grid, _grid_sizes, _history.
    _confusion: dict[str, list[list[int]]] | None = None  # the last matrices computed, repeated in between
    _confusion_at: float | None = None  # when they were computed (monotonic); None: data or weights changed since
    _confusion_inputs: tuple[Any, ...] = ()  # (train x it was built from, train and test x as one tensor, labels)
    stale_confusion = False  # the last frame repeated older matrices: a pause sends a fresh frame
    _weight_vars: tuple[Any, ...] = ()  # (compiled it was read from, flat variables, per layer: sizes and epsilon)

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

    def _confusion_data(self) -> tuple[tf.Tensor, np.ndarray]:
        """Train and test inputs as one tensor (one prediction call), and their labels; rebuilt with new data."""
        if not self._confusion_inputs or self._confusion_inputs[0] is not self._x:
            labels = np.concatenate([self.split.y_train, self.split.y_test]).astype(np.int64)
            self._confusion_inputs = (self._x, tf.concat([self._x, self._xt], axis=0), labels)
        return self._confusion_inputs[1], self._confusion_inputs[2]

    def confusion(self) -> dict[str, list[list[int]]] | None:
        """Confusion matrices (rows: true class, columns: predicted) on train and test, or None."""
        if self.config.problem != "classification":
            return None
        self._hold()
        k = max(self.config.classes, 2)
        x, labels = self._confusion_data()
        cells = labels * k + self._predicted_classes(x)
        n = len(self.split.y_train)
        return {name: np.bincount(part, minlength=k * k).reshape(k, k).tolist()
                for name, part in (("train", cells[:n]), ("test", cells[n:]))}

    def forget_confusion(self) -> None:
        """The data or the weights changed outside training: the next frame computes fresh matrices."""
        self._confusion_at = None

    def _frame_confusion(self, grids: bool, exact: bool) -> dict[str, list[list[int]]] | None:
        """The matrices for this frame: fresh when confusion_due says so, else the last ones again."""
        if self.config.problem != "classification":
            return None
        now = _now()
        self.stale_confusion = not confusion_due(now, self._confusion_at, grids=grids, exact=exact)
        if not self.stale_confusion:
            self._confusion, self._confusion_at = self.confusion(), now
        return self._confusion

    def _weight_layout(self) -> tuple[list[Any], list[tuple[Any, ...]]]:
        """Every streamed variable in frame order, and per Dense layer its shapes (and batch norm's epsilon).

        Looked up once per compiled model (a run keeps its model), not on every frame.
        """
        if self._weight_vars and self._weight_vars[0] is self.compiled:
            return self._weight_vars[1], self._weight_vars[2]
        norms = {layer.name: layer for layer in self.compiled.model.layers
                 if isinstance(layer, keras.layers.BatchNormalization)}
        variables: list[Any] = []
        layout: list[tuple[Any, ...]] = []
        for layer in dense_layers(self.compiled.model):
            bn = norms.get(layer.name.removesuffix("_dense") + "_bn") if layer.name.endswith("_dense") else None
            variables += [layer.kernel, layer.bias]
            if bn is not None:
                variables += [bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance]
            layout.append((tuple(layer.kernel.shape), float(bn.epsilon) if bn is not None else None))
        self._weight_vars = (self.compiled, variables, layout)
        return variables, layout

    def _weights(self) -> list[dict[str, Any]]:
        """Each Dense layer's kernel and bias, with its batch norm's inference parameters when it has one."""
        variables, layout = self._weight_layout()
        arrays = self.read_variables(variables)
        # One rounding and one tolist for all of them (not per array); same values as round_weights.
        flat = np.concatenate([a.ravel() for a in arrays]).astype(np.float64)
        values = np.round(np.nan_to_num(flat), WEIGHT_DIGITS).tolist()
        out, at = [], 0

        def take(n: int) -> list[float]:
            nonlocal at
            at += n
            return values[at - n:at]

        for (rows, cols), epsilon in layout:
            entry: dict[str, Any] = {"kernel": [take(cols) for _ in range(rows)], "bias": take(cols)}
            if epsilon is not None:
                entry["bn"] = {"gamma": take(cols), "beta": take(cols), "mean": take(cols), "variance": take(cols),
                               "epsilon": epsilon}
            out.append(entry)
        return out

    def forward_spec(self) -> dict[str, Any]:
        """What the page needs beside the weights to redo the inference graph (docs/api.md "Frames from weights")."""
        c = self.config
        return {
            "features": features.ordered(c.features),
            "activations": [spec.activation for spec in c.layer_specs()],
            "output": output_activation(c),
            "classes": c.classes,
            "resolution": c.grid_resolution,
            "neuron_resolution": NEURON_RESOLUTION,
            "extent": list(datasets.DOMAIN),
        }

    def frame(self, grids: bool = True, exact: bool = False) -> dict[str, Any]:
        """Everything the page draws: metrics, history since the last frame, weights, and the grids if asked.

        Without grids (a stream with ``frames=weights``) the page computes them from the weights; that
        skips the forward pass over 2,500 + 400 per neuron points here, most of a frame's cost. Such a frame
        repeats the last confusion matrices unless fresh ones are due (confusion_due); `exact` asks for them.
        """
        self._hold()  # the shared compiled model's variables hold this run's weights (app/engine/trainer.py)
        out = {
            **{k: clean(v) if isinstance(v, float) else v for k, v in self.last.items()},
            "elapsed": round(time.perf_counter() - self.started, 3),
            "history": self._history.take(),
            "confusion": self._frame_confusion(grids, exact),
            "weights": self._weights(),
            "forward": self.forward_spec(),
        }
        if grids:
            boundary, neurons = self._grids()
            out["boundary"] = boundary
            out["neurons"] = {
                "resolution": NEURON_RESOLUTION,
                "layers": [[encode_grid(n) for n in layer] for layer in neurons],
            }
        return out
