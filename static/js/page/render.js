// Rendering: frames are drawn at most once per animation frame, only the newest one; the curves,
// the boundary and the network are redrawn only when their part is dirty.

import { emit, on } from "../core/hooks.js";
import { t } from "../core/i18n.js";
import { decodeGrid } from "../views/grid.js";
import { $, app } from "./app.js";

const dirty = { boundary: false, frame: false, output: false };
let queued = false;

/** The hint over the boundary ("Press ▶ to train", "Training diverged"); null hides it. */
export function showHint(text) {
  $("boundary-hint").textContent = text;
  $("boundary-hint").hidden = !text;
}

/** Empty view: epoch 0, no numbers, no curves, no boundary. */
export function resetView() {
  const { controls, curves, boundary, network } = app.views;
  app.latest = null;
  app.shown = null;
  controls.setEpoch(0);
  controls.setMetrics(null);
  curves.reset();
  boundary.setGrid(null);
  network.clear();
  showHint(t("Press ▶ to train"));
  draw({ boundary: true });
  emit("reset", {});
}

/** Ask for a redraw on the next animation frame; many frames between two paints draw once. */
export function draw(parts) {
  Object.assign(dirty, Object.fromEntries(Object.entries(parts).filter(([, v]) => v)));
  if (!queued) {
    queued = true;
    requestAnimationFrame(render);
  }
}

/** Run fn and record its main-thread time as a performance measure (read by bench/bench_page.py). */
function timed(name, fn) {
  const start = performance.now();
  fn();
  performance.measure(name, { start, end: performance.now() });
}

/** The newest frame into the heatmap and the numbers; returns the frame to draw the network from. */
function takeFrame(f) {
  const { controls, boundary } = app.views;
  const frame = f || app.shown;
  if (!frame) return null;
  if (frame.boundary) { // absent only in a weights frame the page could not compute (core/stream.js falls back)
    const res = frame.boundary.resolution;
    boundary.setGrid(decodeGrid(frame.boundary.data, res), res);
  }
  if (f) {
    controls.setEpoch(f.epoch);
    controls.setMetrics(f);
    controls.showLearningRate(f.learning_rate);
    showHint(null);
  }
  app.shown = frame;
  return frame;
}

/** One animation frame's drawing: the queued curve points, then only the newest frame. */
function render() {
  const { curves, boundary, network } = app.views;
  queued = false;
  const start = performance.now();
  const f = app.latest;
  app.latest = null;
  timed("kp-curves", () => curves.flush(() => draw({})));
  const frame = f || dirty.output ? takeFrame(f) : null;
  if (app.hover) {
    const grid = network.gridOf(app.hover);
    boundary.setOverride(grid?.values || null, grid?.resolution, app.hover.label);
  }
  // Plotly first: it reads the layout, which would otherwise also settle the network's changes here.
  if (dirty.boundary || dirty.output || f) timed("kp-boundary", () => boundary.render());
  if (frame) {
    const output = { ...boundary.grid, discretize: app.settings.discretize };
    timed("kp-network", () => network.update(frame, output));
  }
  dirty.boundary = dirty.frame = dirty.output = false;
  if (f) app.stats.framesRendered++;
  performance.measure("kp-render", { start, end: performance.now() });
}

/** Show a hovered neuron or feature in the main heatmap (null: the output again). */
export function hover(node) {
  app.hover = node && node.kind !== "output" ? node : null;
  if (!app.hover) app.views.boundary.setOverride(null);
  draw({ boundary: true });
}

/** Put a recorded snapshot ({epoch, frame, boundary}) on screen again: the timeline's replay. */
function showSnapshot(snap) {
  const { controls, boundary, network } = app.views;
  app.shown = snap.frame;
  const res = snap.boundary?.resolution;
  boundary.setGrid(snap.boundary ? decodeGrid(snap.boundary.data, res) : null, res);
  controls.setEpoch(snap.epoch);
  controls.setMetrics(snap.frame);
  boundary.render();
  network.update(snap.frame, { ...boundary.grid, discretize: app.settings.discretize });
}

on("show-snapshot", showSnapshot); // panels/timeline.js asks; panels do not import page/
