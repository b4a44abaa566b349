// The drawn set being edited (no DOM): points on the map's domain (from /api/config) quantised to 0.1 (what
// the link's encoding keeps), brush dabs and erasing, and undo / redo of whole strokes.
import { domain } from "./fields.js";

const SPREAD = 0.25; // a brush of size s scatters its s points within s × SPREAD map units
const ERASE = 0.35; // an eraser of size s clears a disc of radius max(1, s) × ERASE

const q = (v) => {
  const [low, high] = domain();
  return Math.round(Math.min(high, Math.max(low, v)) * 10) / 10;
};

export class Drawing {
  constructor(random = Math.random) {
    this.points = [];
    this.undoStack = [];
    this.redoStack = [];
    this.random = random;
  }

  /** Start a stroke: everything until the next begin() is undone in one step. */
  begin() {
    this.undoStack.push(this.points.slice());
    this.redoStack = [];
  }

  /** Add `brush` points of class `label` around (x1, x2): the first exactly there, the rest scattered. */
  dab(x1, x2, label, brush = 1) {
    this.points.push({ x1: q(x1), x2: q(x2), label });
    for (let k = 1; k < brush; k++) {
      const angle = this.random() * 2 * Math.PI;
      const r = Math.sqrt(this.random()) * brush * SPREAD;
      this.points.push({ x1: q(x1 + r * Math.cos(angle)), x2: q(x2 + r * Math.sin(angle)), label });
    }
  }

  /** Remove the points within the eraser's disc around (x1, x2); how many went. */
  erase(x1, x2, brush = 1) {
    const r = Math.max(1, brush) * ERASE;
    const before = this.points.length;
    this.points = this.points.filter((p) => (p.x1 - x1) ** 2 + (p.x2 - x2) ** 2 > r * r);
    return before - this.points.length;
  }

  /** Replace every point (start from a dataset, a link), as one undoable step. */
  replace(points) {
    this.begin();
    this.points = points.map((p) => ({ x1: q(p.x1), x2: q(p.x2), label: p.label }));
  }

  undo() {
    if (!this.undoStack.length) return false;
    this.redoStack.push(this.points);
    this.points = this.undoStack.pop();
    return true;
  }

  redo() {
    if (!this.redoStack.length) return false;
    this.undoStack.push(this.points);
    this.points = this.redoStack.pop();
    return true;
  }

  /** Points per class 0..n-1. */
  counts(n) {
    const out = new Array(n).fill(0);
    for (const p of this.points) if (p.label < n) out[p.label]++;
    return out;
  }
}

export const ERASE_RADIUS = ERASE;
