"""What the page draws from a run: the boundary and neuron grids, confusion matrices, the frame itself."""

from __future__ import annotations

import base64
import time
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from app.data import datasets, features
from app.engine.frames import clean, encode_grid, round_weights
from app.engine.model import dense_layers, output_activation

WEIGHT_DIGITS = 6  # decimals of streamed weights: the page's forward pass stays well inside one colour step

NEURON_RESOLUTION = 20


class FrameDrawing:
    """Mixin of Trainer: turns its compiled model and data into frames (kept apart from the epoch loop)."""

    # Provided by Trainer: config, compiled, tanh_output, split, started, last, _x, _xt, _grid, _grid_sizes, _history.

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

    def _weights(self) -> list[dict[str, Any]]:
        """Each Dense layer's kernel and bias, with its batch norm's inference parameters when it has one."""
        norms = {layer.name: layer for layer in self.compiled.model.layers
                 if isinstance(layer, keras.layers.BatchNormalization)}
        out = []
        for layer in dense_layers(self.compiled.model):
            kernel, bias = round_weights([layer.kernel.numpy(), layer.bias.numpy()], WEIGHT_DIGITS)
            entry: dict[str, Any] = {"kernel": kernel, "bias": bias}
            bn = norms.get(layer.name.removesuffix("_dense") + "_bn") if layer.name.endswith("_dense") else None
            if bn is not None:
                gamma, beta, mean, variance = round_weights(
                    [bn.gamma.numpy(), bn.beta.numpy(), bn.moving_mean.numpy(), bn.moving_variance.numpy()],
                    WEIGHT_DIGITS)
                entry["bn"] = {"gamma": gamma, "beta": beta, "mean": mean, "variance": variance,
                               "epsilon": float(bn.epsilon)}
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

    def frame(self, grids: bool = True) -> dict[str, Any]:
        """Everything the page draws: metrics, history since the last frame, weights, and the grids if asked.

        Without grids (a stream with ``frames=weights``) the page computes them from the weights; that
        skips the forward pass over 2,500 + 400 per neuron points here, most of a frame's cost.
        """
        out = {
            **{k: clean(v) if isinstance(v, float) else v for k, v in self.last.items()},
            "elapsed": round(time.perf_counter() - self.started, 3),
            "history": self._history.take(),
            "confusion": self.confusion(),
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
