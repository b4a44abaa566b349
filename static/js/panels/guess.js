// Predict, then train (issue 22): before ▶ the learner sketches where they expect the blue class
// (freehand loops on the map); when the run ends the sketch stays over the learned boundary and is scored
// (core/predict.js: intersection over union with the learned blue region, the share of test points it
// classifies, a one-line reading). Each run's guess and score are kept on the page ("prediction" event).
// Keyboard: with the map focused while sketching, arrow keys move a cursor (core/keycursor.js, shared with
// drawing points), Space adds a vertex, Enter closes the polygon, Backspace removes the last vertex, Escape
// cancels the polygon.

import { COLORS } from "../core/colors.js";
import { domain } from "../core/fields.js";
import { emit, on } from "../core/hooks.js";
import { formatNumber, t } from "../core/i18n.js";
import { moveCursor, paintCursor } from "../core/keycursor.js";
import { score } from "../core/predict.js";
import { Overlay } from "../views/overlay.js";

const $ = (id) => document.getElementById(id);
const N_ = (msgid) => msgid;
// The ninths of the map a reading names (core/predict.js REGIONS), as phrases translated where shown.
const WHERE = {
  "lower left": N_("in the lower left"), bottom: N_("at the bottom"), "lower right": N_("in the lower right"),
  left: N_("on the left"), centre: N_("near the centre"), right: N_("on the right"),
  "upper left": N_("in the upper left"), top: N_("at the top"), "upper right": N_("in the upper right"),
};

const state = { sketching: false, sketch: [], line: null, runId: null, result: null, cursor: [0, 0], focus: false };
const kept = new Map(); // run id -> {sketch, result}
let page;
let overlay;

function paint() {
  const visible = state.sketch.length > 0 || state.line !== null;
  overlay.show(visible || state.sketching, state.sketching);
  if (!visible && !state.sketching) return;
  const ctx = overlay.context();
  for (const polygon of [...state.sketch, ...(state.line ? [state.line] : [])]) {
    ctx.beginPath();
    polygon.forEach(([x1, x2], i) => {
      const [px, py] = overlay.toPixels(x1, x2);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.closePath();
    ctx.fillStyle = "rgba(8, 119, 189, 0.18)";
    ctx.fill();
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 2;
    ctx.strokeStyle = COLORS.blue;
    ctx.stroke();
    ctx.setLineDash([]);
  }
  if (state.focus && state.sketching) paintCursor(ctx, overlay, state.cursor);
}

function setSketching(on) {
  state.sketching = on;
  $("guess-toggle").setAttribute("aria-pressed", String(on));
  $("guess-toggle").textContent = on ? t("Done sketching") : t("Sketch my guess");
  paint();
}

function reading(r) {
  if (r.kind === "close") return t("Your guess matches the learned boundary closely.");
  if (r.kind === "missed") return t("Your guess missed blue area {where}.", { where: t(WHERE[r.where]) });
  return t("Your guess took orange area {where} for blue.", { where: t(WHERE[r.where]) });
}

function showResult() {
  const r = state.result;
  const box = $("guess-result");
  if (!r) return void (box.textContent = "");
  const percent = (v) => formatNumber(Math.round(v * 100));
  const parts = [t("Overlap with the learned blue region (IoU): {iou}", { iou: formatNumber(Math.round(r.iou * 100) / 100) })];
  if (r.accuracy !== null) parts.push(t("test points your sketch classifies correctly: {p} %", { p: percent(r.accuracy) }));
  box.textContent = `${parts.join(" · ")}. ${reading(r.reading)}`;
}

/** Score the sketch against the boundary on screen; a message instead when that cannot be done. */
function scoreNow() {
  const grid = page.boundary.grid;
  const box = $("guess-result");
  if (!state.sketch.length) return void (box.textContent = t("Sketch your guess first."));
  if (!grid) return void (box.textContent = t("Train first: the guess is scored against the learned boundary."));
  if (page.boundary.classes || page.settings.problem !== "classification") {
    return void (box.textContent = t("A guess is scored on two-class data only."));
  }
  const test = page.boundary.data?.test;
  const points = test ? test.x1.map((x1, i) => [x1, test.x2[i], test.label[i]]) : [];
  state.result = score(state.sketch, grid.values, grid.resolution, domain(), points);
  if (state.runId) kept.set(state.runId, { sketch: state.sketch.map((p) => p.slice()), result: state.result });
  emit("prediction", { id: state.runId, ...state.result });
  showResult();
}

function pointerHandlers(canvas) {
  canvas.addEventListener("pointerdown", (e) => {
    if (!state.sketching) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    state.line = [overlay.toData(e)];
    paint();
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!state.line) return;
    const [x1, x2] = overlay.toData(e);
    const [lx, ly] = state.line[state.line.length - 1];
    if (Math.hypot(x1 - lx, x2 - ly) < 0.15) return;
    state.line.push([x1, x2]);
    paint();
  });
  const end = () => {
    if (state.line && state.line.length >= 3) state.sketch.push(state.line);
    state.line = null;
    paint();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
}

/** What a key does while the map is focused for sketching; true when the key was used. */
function sketchKey(e) {
  const moved = moveCursor(state.cursor, e);
  if (moved) {
    state.cursor = moved;
  } else if (e.key === " " || e.key === "Spacebar") {
    state.line = [...(state.line || []), state.cursor.slice()];
    say(t("Corner {n} added. Enter closes the shape.", { n: formatNumber(state.line.length) }));
  } else if (e.key === "Enter") {
    if (!state.line || state.line.length < 3) return say(t("A shape needs at least 3 corners.")), true;
    state.sketch.push(state.line);
    state.line = null;
    say(t("Shape closed. {n} shapes in your guess.", { n: formatNumber(state.sketch.length) }));
  } else if (e.key === "Backspace") {
    if (!state.line) return false;
    state.line = state.line.length > 1 ? state.line.slice(0, -1) : null;
  } else if (e.key === "Escape") {
    if (!state.line) return false;
    state.line = null;
    say(t("Shape cancelled."));
  } else {
    return false;
  }
  paint();
  return true;
}

function say(text) {
  $("guess-result").textContent = text;
}

function keyHandlers(canvas) {
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "application");
  canvas.setAttribute("aria-label", t("Guess area: arrow keys move the cursor, Space adds a corner, Enter closes "
    + "the shape, Backspace removes the last corner, Escape cancels the shape"));
  canvas.addEventListener("focus", () => { state.focus = true; paint(); });
  canvas.addEventListener("blur", () => { state.focus = false; paint(); });
  canvas.addEventListener("keydown", (e) => {
    if (!state.sketching || e.ctrlKey || e.metaKey || e.altKey) return;
    if (!sketchKey(e)) return;
    e.preventDefault();
    e.stopPropagation(); // Space here adds a corner: the page's Space (play / pause) must not see it
  });
}

export function init(p) {
  page = p;
  overlay = new Overlay(page.boundary, "guess-layer");
  pointerHandlers(overlay.canvas);
  keyHandlers(overlay.canvas);
  $("guess-toggle").addEventListener("click", () => setSketching(!state.sketching));
  $("guess-clear").addEventListener("click", () => {
    state.sketch = [];
    state.result = null;
    showResult();
    paint();
  });
  $("guess-score").addEventListener("click", scoreNow);
  on("run", ({ id }) => {
    state.runId = id;
    state.result = null;
    showResult();
    if (state.sketching) setSketching(false);
  });
  on("done", () => state.sketch.length && scoreNow());
  on("language", () => {
    setSketching(state.sketching);
    showResult();
  });
  window.addEventListener("resize", paint);
  window.kpGuess = { // read-only, for tests and other panels
    get result() { return state.result; }, get sketch() { return state.sketch.map((q) => q.slice()); }, kept };
}
