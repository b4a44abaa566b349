"""Score a learner's predicted blue region against the learned boundary: the twin of static/js/core/predict.js.

Pure Python (no numpy) so that it reads line for line like the page's module; tests/test_predict_score.py
checks the maths here. A sketch is a list of polygons [[x, y], ...] in map coordinates; a point is predicted
blue (class 1) when it lies inside any polygon. The learned region is the boundary grid's cells with output
> 0 (grid: resolution² values, bottom row first, cell (i, j) at lo + (hi - lo)·i/(resolution - 1)).
"""

from __future__ import annotations

from collections.abc import Sequence

Polygon = Sequence[Sequence[float]]
CLOSE = 0.9  # an IoU from here on reads "matches closely"
REGIONS = (("lower left", "bottom", "lower right"), ("left", "centre", "right"), ("upper left", "top", "upper right"))


def inside(x: float, y: float, polygon: Polygon) -> bool:
    """Whether (x, y) is inside the polygon (even-odd ray casting; edges are not special-cased)."""
    hit = False
    n = len(polygon)
    for k in range(n):
        (x0, y0), (x1, y1) = polygon[k], polygon[k - 1]
        if (y0 > y) != (y1 > y) and x < (x1 - x0) * (y - y0) / (y1 - y0) + x0:
            hit = not hit
    return hit


def in_sketch(x: float, y: float, sketch: Sequence[Polygon]) -> bool:
    """Whether the sketch (a union of polygons) predicts blue at (x, y)."""
    return any(len(p) >= 3 and inside(x, y, p) for p in sketch)


def _where(cells: list[tuple[float, float]], lo: float, hi: float) -> str:
    """The ninth of the map (3 × 3) holding most of the cells, as a region name."""
    third = (hi - lo) / 3
    counts: dict[str, int] = {}
    for x, y in cells:
        col = min(2, max(0, int((x - lo) // third)))
        row = min(2, max(0, int((y - lo) // third)))
        counts[REGIONS[row][col]] = counts.get(REGIONS[row][col], 0) + 1
    return max(counts, key=lambda name: counts[name])  # the first of equals, in REGIONS' order


def score(sketch: Sequence[Polygon], grid: Sequence[float], resolution: int, domain: tuple[float, float],
          test: Sequence[tuple[float, float, int]]) -> dict:
    """IoU of the sketch with the learned blue cells, the share of test points it classifies, and a reading."""
    lo, hi = domain
    step = (hi - lo) / (resolution - 1)
    both = either = 0
    missed: list[tuple[float, float]] = []
    extra: list[tuple[float, float]] = []
    for j in range(resolution):
        for i in range(resolution):
            x, y = lo + step * i, lo + step * j
            guess, learned = in_sketch(x, y, sketch), grid[j * resolution + i] > 0
            both += guess and learned
            either += guess or learned
            if learned and not guess:
                missed.append((x, y))
            elif guess and not learned:
                extra.append((x, y))
    iou = both / either if either else 1.0
    right = sum(in_sketch(x, y, sketch) == (label == 1) for x, y, label in test)
    accuracy = right / len(test) if test else None
    if iou >= CLOSE:
        reading = {"kind": "close", "where": None}
    elif len(missed) >= len(extra):
        reading = {"kind": "missed", "where": _where(missed, lo, hi)}
    else:
        reading = {"kind": "extra", "where": _where(extra, lo, hi)}
    return {"iou": iou, "accuracy": accuracy, "reading": reading}
