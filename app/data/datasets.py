"""Toy 2-D datasets, as pure numpy functions of (n, noise, rng).

The generators follow TensorFlow Playground's ``dataset.ts`` point for point
(see docs/datasets.md): the same distributions, the [-6, 6] display domain and
the same meaning of ``noise`` (a fraction, 0..0.5, from the 0..50 % slider).

Labels: TensorFlow Playground uses +1 (blue) / -1 (orange).  Keras wants class
indices, so classification labels here are ``1`` for TF Playground's +1 and
``0`` for its -1.  Regression labels are the raw target values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DOMAIN = (-6.0, 6.0)

Generator = Callable[..., tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class DatasetInfo:
    """One registered dataset: its generator and what kind of problem it is."""

    name: str
    problem: str  # "classification" | "regression"
    title: str
    generate: Generator
    n_classes: int = 2  # default number of classes (classification)
    multiclass: bool = False  # the generator takes n_classes=K


def _normal(rng: np.random.Generator, mean: float, variance: float, size: int) -> np.ndarray:
    return mean + np.sqrt(variance) * rng.standard_normal(size)


def circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inner disc (r < 2.5) versus outer ring (3.5 < r < 5); noise only flips labels."""
    radius = 5.0
    half = n // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, half), rng.uniform(radius * 0.7, radius, n - half)])
    angle = rng.uniform(0, 2 * np.pi, n)
    x, y = r * np.sin(angle), r * np.cos(angle)
    nx, ny = rng.uniform(-radius, radius, n) * noise, rng.uniform(-radius, radius, n) * noise
    label = (np.hypot(x + nx, y + ny) < radius * 0.5).astype(np.int64)
    return np.column_stack([x, y]), label


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants; label 1 where x*y >= 0 (after noise); points kept 0.3 off the axes."""
    padding = 0.3
    x = rng.uniform(-5, 5, n)
    y = rng.uniform(-5, 5, n)
    x += np.where(x > 0, padding, -padding)
    y += np.where(y > 0, padding, -padding)
    nx, ny = rng.uniform(-5, 5, n) * noise, rng.uniform(-5, 5, n) * noise
    label = ((x + nx) * (y + ny) >= 0).astype(np.int64)
    return np.column_stack([x, y]), label


def gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs at (2, 2) and (-2, -2); noise widens them (variance 0.5 + 7*noise)."""
    variance = 0.5 + 7.0 * noise
    half = n // 2
    pos = np.column_stack([_normal(rng, 2, variance, half), _normal(rng, 2, variance, half)])
    neg = np.column_stack([_normal(rng, -2, variance, n - half), _normal(rng, -2, variance, n - half)])
    label = np.concatenate([np.ones(half, np.int64), np.zeros(n - half, np.int64)])
    return np.vstack([pos, neg]), label


def spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved arms (1.75 turns, radius 0..5); noise moves the points."""
    half = n // 2
    points, labels = [], []
    for count, delta, lab in ((half, 0.0, 1), (n - half, np.pi, 0)):
        i = np.arange(count)
        r = i / count * 5
        t = 1.75 * i / count * 2 * np.pi + delta
        x = r * np.sin(t) + rng.uniform(-1, 1, count) * noise
        y = r * np.cos(t) + rng.uniform(-1, 1, count) * noise
        points.append(np.column_stack([x, y]))
        labels.append(np.full(count, lab, np.int64))
    return np.vstack(points), np.concatenate(labels)


def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two half moons, scaled into the [-6, 6] domain."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n, noise=noise * 0.6, random_state=int(rng.integers(2**31 - 1)))
    x = (x - np.array([0.5, 0.25])) * 2.6  # centre (0.5, 0.25) and span ~[-3.9, 3.9]
    return x, (1 - y).astype(np.int64)


def plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Regression target (x + y) / 10 of noisy inputs; range about [-1.2, 1.2]."""
    x, y = rng.uniform(-6, 6, n), rng.uniform(-6, 6, n)
    nx, ny = rng.uniform(-6, 6, n) * noise, rng.uniform(-6, 6, n) * noise
    return np.column_stack([x, y]), (x + nx + y + ny) / 10.0


_CONES = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def multigauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Six signed cones of radius 2; the label is the cone value with the largest magnitude."""
    x, y = rng.uniform(-6, 6, n), rng.uniform(-6, 6, n)
    nx, ny = rng.uniform(-6, 6, n) * noise, rng.uniform(-6, 6, n) * noise
    px, py = x + nx, y + ny
    values = np.stack(
        [sign * np.clip(1 - np.hypot(px - cx, py - cy) / 2, 0, 1) for cx, cy, sign in _CONES]
    )
    best = np.argmax(np.abs(values), axis=0)  # first index wins ties, as in TF Playground
    return np.column_stack([x, y]), values[best, np.arange(n)]


def blobs(n: int, noise: float, rng: np.random.Generator, n_classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """K Gaussian blobs on a circle of radius 3.5; noise widens them as in `gauss`."""
    variance = 0.5 + 7.0 * noise
    labels = np.arange(n) % n_classes
    angle = 2 * np.pi * labels / n_classes + np.pi / 2
    centres = 3.5 * np.column_stack([np.cos(angle), np.sin(angle)])
    points = centres + np.sqrt(variance) * rng.standard_normal((n, 2))
    return points, labels.astype(np.int64)


def spiral_arms(n: int, noise: float, rng: np.random.Generator, n_classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """K interleaved spiral arms, each turned by 2π/K (the two-arm spiral for K = 2)."""
    points, labels = [], []
    for k in range(n_classes):
        count = n // n_classes + (1 if k < n % n_classes else 0)
        i = np.arange(count)
        r = i / count * 5
        t = 1.75 * i / count * 2 * np.pi + 2 * np.pi * k / n_classes
        x = r * np.sin(t) + rng.uniform(-1, 1, count) * noise
        y = r * np.cos(t) + rng.uniform(-1, 1, count) * noise
        points.append(np.column_stack([x, y]))
        labels.append(np.full(count, k, np.int64))
    return np.vstack(points), np.concatenate(labels)


DATASETS: dict[str, DatasetInfo] = {
    d.name: d
    for d in (
        DatasetInfo("circle", "classification", "Circle", circle),
        DatasetInfo("xor", "classification", "Exclusive or", xor),
        DatasetInfo("gauss", "classification", "Gaussian", gauss),
        DatasetInfo("spiral", "classification", "Spiral", spiral),
        DatasetInfo("moons", "classification", "Moons", moons),
        DatasetInfo("blobs", "classification", "Blobs (3–5 classes)", blobs, n_classes=3, multiclass=True),
        DatasetInfo("spiral_arms", "classification", "Spiral arms (3–5 classes)", spiral_arms, n_classes=3,
                    multiclass=True),
        DatasetInfo("plane", "regression", "Plane", plane),
        DatasetInfo("multigauss", "regression", "Multi Gaussian", multigauss),
    )
}


UPLOAD_PREFIX = "upload:"


def N_(msgid: str) -> str:
    """Marks a message id for extraction (scripts/i18n.py); the web layer translates it (no Flask here)."""
    return msgid


class UploadUnusable(ValueError):
    """An upload the map cannot use. `msgid` and `params` let app.config say it in the reader's language."""

    def __init__(self, msgid: str, **params: object) -> None:
        self.msgid, self.params = msgid, params
        super().__init__("dataset: " + msgid % params)


def lookup(name: str) -> DatasetInfo | None:
    """A registered dataset, an uploaded CSV "upload:<id>" or a drawn set "drawn:<id>"; None if unknown.

    Raises UploadUnusable (a ValueError, "dataset: ...") for an upload the map cannot use (gone, or not two
    features); app.config.run_config.find_dataset gives its message in the reader's language.
    """
    if name.startswith("drawn:"):
        return _drawn(name)
    if not name.startswith(UPLOAD_PREFIX):
        return DATASETS.get(name)
    from app.data import upload_store  # numpy only; imported late so the registry stays a plain module

    upload_id = name[len(UPLOAD_PREFIX):]
    meta = upload_store.meta(upload_id)
    if meta is None:
        raise UploadUnusable(N_("no upload '%(id)s' (uploads are deleted after %(hours)s hours); upload the CSV "
                                "again"), id=upload_id, hours=f"{upload_store.ttl_seconds() / 3600:g}")
    if len(meta["features"]) != 2:
        raise UploadUnusable(N_("the upload has %(n)s features; the map trains on two-feature uploads (use the lab "
                                "for more)"), n=len(meta["features"]))

    def generate(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x, y, _ = upload_store.load(upload_id)  # every row: n_samples and noise do not apply
        return upload_store.scale_to_map(x), y

    return DatasetInfo(name, "classification", meta["name"], generate, n_classes=len(meta["classes"]))


def _drawn(name: str) -> DatasetInfo:
    """A set drawn on the map, "drawn:<id>" (app/data/drawn.py); UploadUnusable when it is gone."""
    from app.data import drawn  # numpy only, imported late like upload_store

    drawn_id = name.removeprefix(drawn.PREFIX)
    meta = drawn.meta(drawn_id)
    if meta is None:
        raise UploadUnusable(N_("no drawn set '%(id)s' (drawn sets are deleted after %(hours)s hours); draw it "
                                "again or open the link that holds its points"), id=drawn_id,
                             hours=f"{drawn.upload_store.ttl_seconds() / 3600:g}")
    return DatasetInfo(name, "classification", "Drawn", drawn.generator(drawn_id), n_classes=len(meta["classes"]))


@dataclass(frozen=True)
class Split:
    """Train and test points of one generated dataset."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def make(
    name: str, n_samples: int, noise_percent: float, train_ratio: int, seed: int, n_classes: int | None = None
) -> Split:
    """Generate, shuffle once and split a dataset, deterministically by seed.

    Like TF Playground: shuffle once, the first ``floor(n * ratio / 100)`` points train.
    """
    info = lookup(name)
    if info is None:
        raise KeyError(name)
    rng = np.random.default_rng(seed)
    extra = {"n_classes": n_classes or info.n_classes} if info.multiclass else {}
    x, y = info.generate(n_samples, noise_percent / 100.0, rng, **extra)
    order = rng.permutation(len(x))
    x, y = x[order].astype(np.float32), y[order]
    y = y.astype(np.float32) if info.problem == "regression" else y.astype(np.int64)
    cut = int(np.floor(len(x) * train_ratio / 100))
    return Split(x[:cut], y[:cut], x[cut:], y[cut:])
