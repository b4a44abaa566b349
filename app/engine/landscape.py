"""The loss landscape of a run (Li et al., 2018), computed where the run's data lives: its training process.

Two views of the training loss around the current weights θ:
- the line θ(α) = θ₀ + α(θ − θ₀) from the initial weights θ₀ (α = 0) through the current ones (α = 1);
- the plane θ + a·d₁ + b·d₂ over two random directions, each filter-normalised: every neuron's slice of a
  direction (its incoming weights and its bias) is scaled to the norm of that neuron's slice of θ, so a step of
  1 moves every neuron by its own size. Batch-norm arrays get no direction (Li et al. do the same).
Every weight set (line, grid, path snapshots) is evaluated in ONE compiled call: the weights are stacked on a
leading axis and the network's Dense layers run as batched matrix products (tf.einsum).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from app.config.run_config import RunConfig
from app.engine import losses
from app.engine.landscape_plan import LINE_POINTS, LINE_RANGE, LandscapeRequest, layout, widths
from app.engine.model import output_activation

BN_EPSILON = 1e-3  # keras.layers.BatchNormalization's default, as app/engine/model.py builds it
Arrays = Sequence[np.ndarray]


def filter_normalized(weights: Arrays, kinds: Sequence[tuple[str, int]], rng: np.random.Generator) -> list[np.ndarray]:
    """A random direction shaped like `weights`, each neuron's (kernel column + bias) scaled to the weights' norm."""
    direction = [np.zeros_like(w, dtype=np.float32) for w in weights]
    for i, (kind, layer) in enumerate(kinds):
        if kind != "kernel":
            continue
        j = next(k for k, (kd, ly) in enumerate(kinds) if kd == "bias" and ly == layer)
        kernel = rng.standard_normal(weights[i].shape).astype(np.float32)
        bias = rng.standard_normal(weights[j].shape).astype(np.float32)
        target = np.sqrt(np.sum(np.square(weights[i]), axis=0) + np.square(weights[j]))  # per neuron (column)
        norm = np.sqrt(np.sum(np.square(kernel), axis=0) + np.square(bias))
        scale = target / np.maximum(norm, 1e-12)
        direction[i], direction[j] = kernel * scale, bias * scale
    return direction


def neuron_norms(arrays: Arrays, kinds: Sequence[tuple[str, int]]) -> list[np.ndarray]:
    """Per-neuron norms of (kernel column, bias) for each Dense layer: what filter normalisation equalises."""
    out = []
    for i, (kind, layer) in enumerate(kinds):
        if kind == "kernel":
            j = next(k for k, (kd, ly) in enumerate(kinds) if kd == "bias" and ly == layer)
            out.append(np.sqrt(np.sum(np.square(arrays[i]), axis=0) + np.square(arrays[j])))
    return out


def _forward(config: RunConfig) -> Callable[..., tf.Tensor]:
    """A compiled function (x, y, *stacked weights) -> the training loss of every stacked weight set."""
    kinds = layout(config)
    specs = config.layer_specs()
    activations = [keras.activations.get(s.activation) for s in specs] + [
        keras.activations.get(output_activation(config))]
    loss_fn = losses.get(config.resolved_loss)

    sizes = widths(config)
    shapes = [(sizes[layer], sizes[layer + 1]) if kind == "kernel" else (sizes[layer + 1],) for kind, layer in kinds]
    signature = [tf.TensorSpec([None, sizes[0]], tf.float32), tf.TensorSpec([None, 1], tf.float32),
                 *(tf.TensorSpec([None, *shape], tf.float32) for shape in shapes)]  # one trace per architecture

    @tf.function(input_signature=signature)
    def run(x: tf.Tensor, y: tf.Tensor, *stack: tf.Tensor) -> tf.Tensor:
        h, k, i = None, tf.shape(stack[0])[0], 0
        for layer, act in enumerate(activations):
            kernel, bias = stack[i], stack[i + 1]
            i += 2
            h = (tf.einsum("nf,kfu->knu", x, kernel) if h is None else tf.einsum("knf,kfu->knu", h, kernel))
            h = h + bias[:, None, :]
            if layer < len(specs) and kinds[i][0] == "bn":
                gamma, beta, mean, var = (stack[i + j][:, None, :] for j in range(4))
                h = gamma * (h - mean) / tf.sqrt(var + BN_EPSILON) + beta
                i += 4
            h = act(h)
        n, outputs = tf.shape(h)[1], tf.shape(h)[2]
        flat = tf.reshape(h, [k * n, outputs])
        targets = tf.tile(y, [k, 1])
        return tf.reduce_mean(tf.reshape(loss_fn(targets, flat), [k, n]), axis=1)

    return run


_FORWARDS: dict[str, Callable[..., tf.Tensor]] = {}


def batched_losses(config: RunConfig, x: np.ndarray, y: np.ndarray, stack: Arrays) -> np.ndarray:
    """The training loss at each of K weight sets (`stack`: each weight array with a leading axis of K)."""
    key = config.model_dump_json(include={"features", "hidden_layers", "layers", "activation", "batch_norm",
                                          "problem", "mode", "loss", "dataset", "n_classes"})
    if key not in _FORWARDS:
        if len(_FORWARDS) > 16:
            _FORWARDS.clear()  # a worker serves many architectures over its life; keep the traces bounded
        _FORWARDS[key] = _forward(config)
    tensors = [tf.constant(np.asarray(a, dtype=np.float32)) for a in stack]
    return _FORWARDS[key](tf.constant(x, tf.float32), tf.constant(y, tf.float32), *tensors).numpy()


def prewarm(config: RunConfig) -> None:
    """Trace and run the compiled call once for this architecture (one weight set, one point), so a learner's
    first landscape costs the computation only."""
    sizes = widths(config)
    stack = [np.zeros((1, sizes[layer], sizes[layer + 1]) if kind == "kernel" else (1, sizes[layer + 1]), np.float32)
             for kind, layer in layout(config)]
    batched_losses(config, np.zeros((1, sizes[0]), np.float32), np.zeros((1, 1), np.float32), stack)


def _flat(arrays: Arrays) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays]).astype(np.float64)


def project(path: Arrays | Sequence[Arrays], current: Arrays, d1: Arrays, d2: Arrays) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares coordinates (a, b) of each snapshot's offset from `current` in span(d1, d2), and the share
    of each offset's length off the plane (0: in the plane; random directions leave most of a path off it)."""
    basis = np.stack([_flat(d1), _flat(d2)], axis=1)
    centre = _flat(current)
    offsets = np.stack([_flat(snap) - centre for snap in path], axis=1) if len(path) else np.zeros((len(centre), 0))
    coords, *_ = np.linalg.lstsq(basis, offsets, rcond=None)
    residual = np.linalg.norm(offsets - basis @ coords, axis=0)
    length = np.linalg.norm(offsets, axis=0)
    off = np.where(length > 0, residual / np.maximum(length, 1e-12), 0.0)
    return coords.T, off


def compute(config: RunConfig, x: np.ndarray, y: np.ndarray, current: Arrays, initial: Arrays,
            path: Sequence[tuple[int, Arrays]], request: LandscapeRequest) -> dict[str, Any]:
    """The line and plane landscapes (JSON-ready) of a run's training loss; see the module docstring."""
    start = time.perf_counter()
    kinds = layout(config)
    rng = np.random.default_rng(request.seed)
    d1 = filter_normalized(current, kinds, rng)
    d2 = filter_normalized(current, kinds, rng)
    alphas = np.round(np.linspace(*LINE_RANGE, LINE_POINTS), 4)
    axis = np.linspace(-request.span, request.span, request.resolution)
    bb, aa = np.meshgrid(axis, axis, indexing="ij")  # rows: b (the plot's y), columns: a (x)
    snaps = [arrays for _, arrays in path]
    stack = []
    for i, (w, w0) in enumerate(zip(current, initial, strict=True)):
        w, w0 = np.asarray(w, np.float32), np.asarray(w0, np.float32)
        ext = (-1,) + (1,) * w.ndim
        line = w0[None] + alphas.reshape(ext).astype(np.float32) * (w - w0)[None]
        plane = w[None] + aa.reshape(ext).astype(np.float32) * d1[i][None] + bb.reshape(ext).astype(np.float32) * \
            d2[i][None]
        parts = [line, plane] + ([np.stack([np.asarray(s[i], np.float32) for s in snaps])] if snaps else [])
        stack.append(np.concatenate(parts))
    values = batched_losses(config, x, y, stack)
    n_line, n_grid = len(alphas), request.resolution ** 2
    grid_loss, path_loss = values[n_line:n_line + n_grid], values[n_line + n_grid:]
    coords, off = project(snaps, current, d1, d2)
    clean = [float(v) if np.isfinite(v) else None for v in values]
    return {
        "line": {"alpha": alphas.tolist(), "loss": clean[:n_line]},
        "plane": {"a": np.round(axis, 6).tolist(), "b": np.round(axis, 6).tolist(),
                  "loss": [clean[n_line + r * request.resolution:n_line + (r + 1) * request.resolution]
                           for r in range(request.resolution)]},
        "path": [{"epoch": epoch, "a": float(c[0]), "b": float(c[1]), "off_plane": round(float(o), 4),
                  "loss": float(v) if np.isfinite(v) else None}
                 for (epoch, _), c, o, v in zip(path, coords, off, path_loss, strict=True)],
        "current_loss": clean[int(np.argmin(np.abs(alphas - 1.0)))],  # the line at alpha = 1 is exactly θ
        "plane_min": float(np.nanmin(grid_loss)) if np.isfinite(grid_loss).any() else None,
        "resolution": request.resolution,
        "span": request.span,
        "seed": request.seed,
        "parameters": int(sum(np.size(w) for w in current)),
        "seconds": round(time.perf_counter() - start, 4),
    }
