"""The prediction score's maths (app/data/predict_score.py, the twin of static/js/core/predict.js)."""

from __future__ import annotations

import pytest

from app.data.predict_score import in_sketch, inside, score

DOMAIN = (-6.0, 6.0)
RES = 25
RIGHT_HALF = [[0, -7], [7, -7], [7, 7], [0, 7]]  # x > 0, past the map's edge
LEFT_HALF = [[-7, -7], [0, -7], [0, 7], [-7, 7]]


def grid_of(f, res=RES):
    """A boundary grid (bottom row first) with output +1 where f(x, y) holds, -1 elsewhere."""
    step = (DOMAIN[1] - DOMAIN[0]) / (res - 1)
    return [1.0 if f(DOMAIN[0] + step * i, DOMAIN[0] + step * j) else -1.0 for j in range(res) for i in range(res)]


# A separable set: blue (1) where x > 0; test points well away from the boundary.
TEST = [(x, y, int(x > 0)) for x in (-5, -3, -1.5, 1.5, 3, 5) for y in (-4, 0, 4)]
LEARNED = grid_of(lambda x, y: x >= 0)  # the x = 0 column is inside RIGHT_HALF (ray casting)


@pytest.mark.parametrize("x,y,expected", [(1, 1, True), (-1, 1, False), (3, -6.5, True), (8, 0, False)])
def test_point_in_polygon(x, y, expected):
    assert inside(x, y, RIGHT_HALF) is expected


def test_a_sketch_is_the_union_of_its_polygons():
    square = [[-5, -5], [-4, -5], [-4, -4], [-5, -4]]
    assert in_sketch(-4.5, -4.5, [RIGHT_HALF, square]) and in_sketch(2, 2, [RIGHT_HALF, square])
    assert not in_sketch(-2, 2, [RIGHT_HALF, square])
    assert not in_sketch(0.5, 0.5, [[[0, 0], [1, 1]]])  # fewer than three corners is no region


def test_a_perfect_sketch_on_a_separable_set_scores_one():
    result = score([RIGHT_HALF], LEARNED, RES, DOMAIN, TEST)
    assert result["iou"] == pytest.approx(1.0)
    assert result["accuracy"] == 1.0
    assert result["reading"] == {"kind": "close", "where": None}


def test_an_inverted_sketch_scores_near_zero():
    result = score([LEFT_HALF], LEARNED, RES, DOMAIN, TEST)
    assert result["iou"] < 0.05
    assert result["accuracy"] == 0.0
    assert result["reading"]["kind"] in ("missed", "extra")


def test_a_partial_sketch_is_read_as_missing_the_region_it_left_out():
    upper_right = [[0, 0], [7, 0], [7, 7], [0, 7]]
    result = score([upper_right], LEARNED, RES, DOMAIN, TEST)
    assert 0.4 < result["iou"] < 0.6
    assert result["reading"] == {"kind": "missed", "where": "lower right"}
    assert result["accuracy"] == pytest.approx(15 / 18)  # the three blue points with y = -4 are missed


def test_a_sketch_too_large_is_read_as_claiming_orange():
    result = score([[[-4, -7], [7, -7], [7, 7], [-4, 7]]], LEARNED, RES, DOMAIN, TEST)
    assert result["reading"]["kind"] == "extra"


def test_nothing_learned_and_nothing_sketched_agree():
    result = score([], grid_of(lambda x, y: False), RES, DOMAIN, [])
    assert result["iou"] == 1.0 and result["accuracy"] is None
