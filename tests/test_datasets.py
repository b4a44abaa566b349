"""Datasets: shapes, labels, determinism, and TF Playground's distribution properties."""

import numpy as np
import pytest

from app.data import datasets
from app.data.datasets import DATASETS, make

RNG = np.random.default_rng


@pytest.mark.parametrize("name", list(DATASETS))
def test_shapes_labels_and_split(name):
    split = make(name, 500, 10, 50, seed=3)
    assert split.x_train.shape == (250, 2) and split.x_test.shape == (250, 2)
    assert split.x_train.dtype == np.float32
    if DATASETS[name].problem == "classification":
        classes = set(range(DATASETS[name].n_classes))
        assert set(np.unique(np.concatenate([split.y_train, split.y_test]))) == classes
    else:
        assert split.y_train.dtype == np.float32


@pytest.mark.parametrize("name", list(DATASETS))
def test_same_seed_same_points_other_seed_other_points(name):
    a, b, c = make(name, 200, 20, 70, 1), make(name, 200, 20, 70, 1), make(name, 200, 20, 70, 2)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize("ratio,expected", [(10, 50), (50, 250), (90, 450), (33, 165)])
def test_train_ratio_floor_split(ratio, expected):
    assert len(make("circle", 500, 0, ratio, 0).x_train) == expected


def test_circle_inner_class_within_inner_radius_at_no_noise():
    x, y = datasets.circle(2000, 0.0, RNG(0))
    r = np.hypot(x[:, 0], x[:, 1])
    assert r[y == 1].max() < 2.5 and r[y == 0].min() >= 3.5 and r.max() <= 5
    assert abs(r[y == 1].mean() - 1.25) < 0.1  # TF Playground measured 1.24
    assert (y == 1).sum() == 1000


def test_circle_noise_flips_labels_not_points():
    x, y = datasets.circle(4000, 0.25, RNG(1))
    agree = np.mean((np.hypot(x[:, 0], x[:, 1]) < 2.5) == (y == 1))
    assert 0.88 < agree < 0.97  # TF Playground measured 92.2 %


def test_xor_label_is_sign_of_product_and_points_avoid_axes():
    x, y = datasets.xor(2000, 0.0, RNG(0))
    assert np.array_equal(y, (x[:, 0] * x[:, 1] >= 0).astype(int))
    assert np.abs(x).min() >= 0.3 and np.abs(x).max() <= 5.3


def test_gauss_clusters_centre_and_spread_grow_with_noise():
    x, y = datasets.gauss(4000, 0.0, RNG(0))
    assert np.allclose(x[y == 1].mean(0), [2, 2], atol=0.1) and np.allclose(x[y == 0].mean(0), [-2, -2], atol=0.1)
    assert abs(x[y == 1].std() - np.sqrt(0.5)) < 0.05
    wide, wy = datasets.gauss(4000, 0.25, RNG(0))
    assert abs(wide[wy == 1].std() - 1.5) < 0.1  # sqrt(0.5 + 7 * 0.25)


def test_spiral_arms_interleave():
    x, y = datasets.spiral(500, 0.0, RNG(0))
    r = np.hypot(x[:, 0], x[:, 1])
    assert abs(r[y == 1].mean() - 2.49) < 0.05 and abs(r[y == 0].mean() - 2.49) < 0.05
    # Arm 0 is arm 1 rotated by pi: each point of one arm mirrors a point of the other.
    assert np.allclose(x[y == 1], -x[y == 0], atol=1e-6)
    # Walking outwards along one direction crosses both classes in turn.
    ray = (np.abs(x[:, 0]) < 0.4) & (x[:, 1] > 0)
    labels_by_radius = y[ray][np.argsort(r[ray])]
    assert np.count_nonzero(np.diff(labels_by_radius)) >= 2


def test_spiral_noise_moves_points_at_most_half_a_unit():
    clean, _ = datasets.spiral(500, 0.0, RNG(0))
    noisy, _ = datasets.spiral(500, 0.5, RNG(0))
    shift = np.abs(noisy - clean)
    assert shift.max() <= 0.5 and shift.mean() > 0.1


def test_moons_two_classes_inside_domain():
    x, y = datasets.moons(1000, 0.1, RNG(0))
    assert np.abs(x).max() < 6 and 400 < y.sum() < 600


def test_plane_label_is_scaled_sum():
    x, y = datasets.plane(1000, 0.0, RNG(0))
    assert np.allclose(y, (x[:, 0] + x[:, 1]) / 10)
    assert np.abs(x).max() <= 6


def test_multigauss_cones_signs_and_zeros():
    x, y = datasets.multigauss(3000, 0.0, RNG(0))
    assert -1 <= y.min() < 0 < y.max() <= 1
    near_first_cone = np.hypot(x[:, 0] + 4, x[:, 1] - 2.5) < 1
    assert (y[near_first_cone] > 0).all()
    assert 0.3 < np.mean(y != 0) < 0.7  # TF Playground measured 52 % non-zero
