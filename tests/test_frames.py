"""Grid encoding round trip and JSON-safety."""

import numpy as np

from app.engine.frames import clean, decode_grid, encode_grid, grid_points


def test_grid_points_bottom_row_first():
    g = grid_points(5)
    assert g.shape == (25, 2)
    assert tuple(g[0]) == (-6, -6) and tuple(g[4]) == (6, -6) and tuple(g[-1]) == (6, 6)


def test_encode_decode_round_trip_and_saturation():
    values = np.linspace(-1, 1, 100).reshape(10, 10)
    assert np.abs(decode_grid(encode_grid(values), 10) - values).max() <= 1 / 127.5
    sat = decode_grid(encode_grid(np.array([[-5.0, 5.0], [np.nan, 0.0]])), 2)
    assert sat[0, 0] == -1 and sat[0, 1] == 1 and abs(sat[1, 0]) < 0.01


def test_clean_turns_non_finite_into_none():
    assert clean(float("nan")) is None and clean(float("inf")) is None and clean(0.5) == 0.5
