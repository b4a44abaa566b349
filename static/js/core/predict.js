// Score a learner's predicted blue region against the learned boundary (pure; no DOM).
// The twin of app/data/predict_score.py, whose unit tests check the maths: keep the two in step.
// A sketch is a list of polygons [[x, y], ...] in map coordinates; inside any polygon = predicted blue (class 1).
// The learned region is the boundary grid's cells with output > 0 (resolution² values, bottom row first).

export const CLOSE = 0.9; // an IoU from here on reads "matches closely"
const REGIONS = [["lower left", "bottom", "lower right"], ["left", "centre", "right"],
  ["upper left", "top", "upper right"]];

/** Whether (x, y) is inside the polygon (even-odd ray casting). */
export function inside(x, y, polygon) {
  let hit = false;
  const n = polygon.length;
  for (let k = 0; k < n; k++) {
    const [x0, y0] = polygon[k];
    const [x1, y1] = polygon[(k + n - 1) % n];
    if ((y0 > y) !== (y1 > y) && x < ((x1 - x0) * (y - y0)) / (y1 - y0) + x0) hit = !hit;
  }
  return hit;
}

/** Whether the sketch (a union of polygons) predicts blue at (x, y). */
export function inSketch(x, y, sketch) {
  return sketch.some((p) => p.length >= 3 && inside(x, y, p));
}

/** The ninth of the map (3 × 3) holding most of the cells, as a region name. */
function where(cells, lo, hi) {
  const third = (hi - lo) / 3;
  const counts = new Map();
  for (const [x, y] of cells) {
    const col = Math.min(2, Math.max(0, Math.floor((x - lo) / third)));
    const row = Math.min(2, Math.max(0, Math.floor((y - lo) / third)));
    const name = REGIONS[row][col];
    counts.set(name, (counts.get(name) || 0) + 1);
  }
  let best = null;
  for (const [name, n] of counts) if (best === null || n > counts.get(best)) best = name; // first of equals
  return best;
}

/**
 * IoU of the sketch with the learned blue cells, the share of test points it classifies correctly, a reading.
 * test: [[x1, x2, label], ...]. Returns {iou, accuracy (null without test points), reading: {kind, where}}.
 */
export function score(sketch, grid, resolution, [lo, hi], test) {
  const step = (hi - lo) / (resolution - 1);
  let both = 0;
  let either = 0;
  const missed = [];
  const extra = [];
  for (let j = 0; j < resolution; j++) {
    for (let i = 0; i < resolution; i++) {
      const x = lo + step * i;
      const y = lo + step * j;
      const guess = inSketch(x, y, sketch);
      const learned = grid[j * resolution + i] > 0;
      if (guess && learned) both++;
      if (guess || learned) either++;
      if (learned && !guess) missed.push([x, y]);
      else if (guess && !learned) extra.push([x, y]);
    }
  }
  const iou = either ? both / either : 1;
  const right = test.filter(([x, y, label]) => inSketch(x, y, sketch) === (label === 1)).length;
  const accuracy = test.length ? right / test.length : null;
  let reading;
  if (iou >= CLOSE) reading = { kind: "close", where: null };
  else if (missed.length >= extra.length) reading = { kind: "missed", where: where(missed, lo, hi) };
  else reading = { kind: "extra", where: where(extra, lo, hi) };
  return { iou, accuracy, reading };
}
