// Draw your own data on the map (issue 22): click or drag to add points of a class, a brush, an eraser
// (or Shift-drag), undo / redo, clear, start from the current dataset; the keyboard moves a cursor and
// places points. "Train on these points" stores them (POST /api/drawn) and selects "drawn:<id>"; the link
// carries the id and, for a small set, the points themselves (core/drawcode.js), so it outlives the store.

import { request } from "../core/api.js";
import { COLORS } from "../core/colors.js";
import { decodePoints, encodePoints, MAX_IN_LINK } from "../core/drawcode.js";
import { Drawing, ERASE_RADIUS } from "../core/drawing.js";
import { on } from "../core/hooks.js";
import { moveCursor, paintCursor } from "../core/keycursor.js";
import { formatNumber, t } from "../core/i18n.js";
import { classColor } from "../core/palette.js";
import { setHashExtra, writeHash } from "../page/changes.js";
import { Overlay } from "../views/overlay.js";

const $ = (id) => document.getElementById(id);
const OPENED_HASH = location.hash; // read before the page rewrites the hash from its settings
const PREFIX = "drawn:";

const drawing = new Drawing();
const ui = { on: false, label: 0, classes: 2, brush: 1, tool: "pen", cursor: [0, 0], stroke: null, focus: false };
let linked = { dataset: null, code: "" }; // the stored set the page's dataset names, and its link encoding
let page;
let overlay;

/** The colour of class k as the map will show it (two classes: TF Playground's orange and blue). */
export function drawnColor(k, classes) {
  return classes <= 2 ? (k === 1 ? COLORS.blue : COLORS.orange) : classColor(k);
}

function status(text, error = false) {
  $("draw-status").textContent = text;
  $("draw-status").classList.toggle("error-text", error);
}

function describeCounts() {
  const counts = drawing.counts(ui.classes);
  const per = counts.map((n, k) => t("class {k}: {n}", { k: k + 1, n: formatNumber(n) })).join(", ");
  status(t("{n} points ({per})", { n: formatNumber(drawing.points.length), per }));
}

function paint() {
  if (!ui.on) return;
  const ctx = overlay.context();
  const used = Math.max(ui.classes, ...drawing.points.map((p) => p.label + 1));
  for (const p of drawing.points) {
    const [px, py] = overlay.toPixels(p.x1, p.x2);
    ctx.beginPath();
    ctx.arc(px, py, 4, 0, 2 * Math.PI);
    ctx.fillStyle = drawnColor(p.label, used);
    ctx.fill();
    ctx.strokeStyle = "#fff";
    ctx.stroke();
  }
  if (ui.focus) { // the keyboard cursor: a cross and the eraser's reach
    const [cx] = overlay.toPixels(...ui.cursor);
    const [ex] = overlay.toPixels(ui.cursor[0] + Math.max(1, ui.brush) * ERASE_RADIUS, 0);
    paintCursor(ctx, overlay, ui.cursor, Math.abs(ex - cx));
  }
}

function changed() {
  paint();
  describeCounts();
}

function setMode(on) {
  ui.on = on;
  $("draw-toggle").setAttribute("aria-pressed", String(on));
  $("draw-toggle").textContent = on ? t("Stop drawing") : t("Draw on the map");
  overlay.show(on, on);
  page.boundary.pointsEl.style.visibility = on ? "hidden" : "";
  if (on) changed();
}

function buildClasses() {
  const box = $("draw-classes");
  box.replaceChildren();
  ui.label = Math.min(ui.label, ui.classes - 1);
  for (let k = 0; k < ui.classes; k++) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "draw-class";
    button.dataset.label = String(k);
    button.setAttribute("role", "radio");
    button.setAttribute("aria-checked", String(k === ui.label));
    button.setAttribute("aria-label", t("Class {k}", { k: k + 1 }));
    button.style.setProperty("--swatch", drawnColor(k, ui.classes));
    button.textContent = String(k + 1);
    button.addEventListener("click", () => {
      ui.label = k;
      buildClasses();
    });
    box.append(button);
  }
  if (ui.on) paint();
}

function apply(x1, x2, erase) {
  if (erase) drawing.erase(x1, x2, ui.brush);
  else drawing.dab(x1, x2, ui.label, ui.brush);
}

function pointerHandlers(canvas) {
  canvas.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 && e.pointerType === "mouse") return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    const [x1, x2] = overlay.toData(e);
    ui.stroke = { erase: ui.tool === "erase" || e.shiftKey, last: [x1, x2] };
    drawing.begin();
    apply(x1, x2, ui.stroke.erase);
    changed();
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!ui.stroke) return;
    const [x1, x2] = overlay.toData(e);
    const [lx, ly] = ui.stroke.last;
    if (Math.hypot(x1 - lx, x2 - ly) < 0.3 * Math.max(1, ui.brush)) return; // a dab every ~brush width
    ui.stroke.last = [x1, x2];
    apply(x1, x2, ui.stroke.erase);
    changed();
  });
  const end = () => (ui.stroke = null);
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
}

function undo() {
  if (drawing.undo()) changed();
}

function redo() {
  if (drawing.redo()) changed();
}

function keyHandlers(canvas) {
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "application");
  canvas.setAttribute("aria-label", t("Drawing area: arrow keys move the cursor, 1 to 5 place a point of that class, "
    + "Delete erases"));
  canvas.addEventListener("focus", () => { ui.focus = true; paint(); });
  canvas.addEventListener("blur", () => { ui.focus = false; paint(); });
  canvas.addEventListener("keydown", (e) => {
    const [cx, cy] = ui.cursor;
    const ctrl = e.ctrlKey || e.metaKey;
    const moved = moveCursor(ui.cursor, e);
    if (moved) {
      ui.cursor = moved;
    } else if (/^[1-5]$/.test(e.key) && !ctrl && Number(e.key) <= ui.classes) {
      ui.label = Number(e.key) - 1;
      buildClasses();
      drawing.begin();
      drawing.dab(cx, cy, ui.label, ui.brush);
    } else if (e.key === "Delete" || e.key === "Backspace") {
      drawing.begin();
      drawing.erase(cx, cy, ui.brush);
    } else if (ctrl && e.key.toLowerCase() === "z") {
      return void (e.preventDefault(), e.shiftKey ? redo() : undo());
    } else if (ctrl && e.key.toLowerCase() === "y") {
      return void (e.preventDefault(), redo());
    } else {
      return;
    }
    e.preventDefault();
    changed();
  });
}

/** Copy the map's current points (train and test) into the drawing. */
function copyDataset() {
  const data = page.boundary.data;
  if (!data || page.settings.problem !== "classification") {
    return status(t("Only the points of a classification dataset can be copied."), true);
  }
  const points = ["train", "test"].flatMap((part) => (data[part]?.x1 || []).map((x1, i) => (
    { x1, x2: data[part].x2[i], label: data[part].label[i] })));
  drawing.replace(points);
  ui.classes = Math.min(5, Math.max(2, data.n_classes || 2));
  $("draw-class-count").value = String(ui.classes);
  buildClasses();
  if (!ui.on) setMode(true);
  changed();
}

/** Store the points and train on them. */
async function use() {
  $("draw-use").disabled = true;
  status(t("Storing {n} points…", { n: formatNumber(drawing.points.length) }));
  try {
    const stored = await request("POST", "/api/drawn", { points: drawing.points });
    linked = { dataset: stored.dataset, code: drawing.points.length <= MAX_IN_LINK ? encodePoints(drawing.points) : "" };
    setMode(false);
    page.change({ problem: "classification", dataset: stored.dataset, n_classes: null });
    writeHash();
    status(t("Training on your {n} points. The page's link now holds them.", { n: formatNumber(stored.rows) }));
  } catch (err) {
    status(t("The drawing was refused: {message}", { message: err.message }), true);
  } finally {
    $("draw-use").disabled = false;
  }
}

/** Open a link's drawn set: the stored one by id, or (gone) the points the link carries, stored again. */
async function restore(dataset, code) {
  const points = decodePoints(code);
  try {
    const stored = await request("GET", `/api/drawn/${encodeURIComponent(dataset.slice(PREFIX.length))}`);
    linked = { dataset, code: stored.points.length <= MAX_IN_LINK ? encodePoints(stored.points) : "" };
    drawing.replace(stored.points);
  } catch (err) {
    if (!points) return status(err.message, true);
    drawing.replace(points);
    const stored = await request("POST", "/api/drawn", { points }).catch((e) => status(e.message, true));
    if (!stored) return;
    linked = { dataset: stored.dataset, code: encodePoints(points) };
    page.change({ problem: "classification", dataset: stored.dataset, n_classes: null });
  }
  ui.classes = Math.min(5, Math.max(2, ...drawing.points.map((p) => p.label + 1)));
  $("draw-class-count").value = String(ui.classes);
  buildClasses();
  writeHash();
  describeCounts();
}

export function init(p) {
  page = p;
  overlay = new Overlay(page.boundary, "draw-layer");
  setHashExtra(() => (linked.code && page.settings.dataset === linked.dataset ? `&pts=${linked.code}` : ""));
  pointerHandlers(overlay.canvas);
  keyHandlers(overlay.canvas);
  buildClasses();
  $("draw-toggle").addEventListener("click", () => setMode(!ui.on));
  $("draw-class-count").addEventListener("change", (e) => {
    ui.classes = Number(e.target.value);
    buildClasses();
  });
  $("draw-brush").addEventListener("input", (e) => {
    ui.brush = Number(e.target.value);
    $("draw-brush-value").textContent = e.target.value;
    paint();
  });
  for (const input of document.querySelectorAll("input[name=draw-tool]")) {
    input.addEventListener("change", () => (ui.tool = input.value));
  }
  $("draw-undo").addEventListener("click", undo);
  $("draw-redo").addEventListener("click", redo);
  $("draw-clear").addEventListener("click", () => {
    drawing.begin();
    drawing.points = [];
    changed();
  });
  $("draw-copy").addEventListener("click", copyDataset);
  $("draw-use").addEventListener("click", use);
  window.addEventListener("resize", paint);
  on("language", () => { // text composed here, in the new language
    $("draw-toggle").textContent = ui.on ? t("Stop drawing") : t("Draw on the map");
    buildClasses();
    if (drawing.points.length) describeCounts();
  });
  window.kpDraw = { // read-only, for the browser tests: the points, and where map coordinates are on screen
    get points() { return drawing.points.map((q) => ({ ...q })); },
    pixel(x1, x2) {
      const box = page.boundary.pointsEl.getBoundingClientRect();
      const [px, py] = page.boundary.toPixels(x1, x2);
      return [box.left + px, box.top + py];
    },
  };
  const opened = new URLSearchParams(OPENED_HASH.replace(/^#/, ""));
  if (opened.get("dataset")?.startsWith(PREFIX)) restore(opened.get("dataset"), opened.get("pts"));
}
