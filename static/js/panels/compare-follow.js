// The compare view's side of the page's own run: follow its frames, keep its guess (the guess panel's
// "prediction" event, issue 22), and pin it when it has finished.

import { on } from "../core/hooks.js";
import { t } from "../core/i18n.js";
import { runConfig } from "../core/state.js";
import { $, emptyCurves, MAX_PINS, state } from "./compare-state.js";

function pick(d) {
  const out = {};
  for (const k of ["epochs", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "elapsed"]) {
    if (k in d) out[k] = d[k];
  }
  return out;
}

export function updatePinButton() {
  const cur = state.current;
  const button = $("compare-pin");
  button.disabled = !(cur && cur.ended && cur.boundary) || state.pins.length >= MAX_PINS;
  button.title = state.pins.length >= MAX_PINS ? t("Up to {n} runs can be pinned; unpin one first.", { n: MAX_PINS })
    : t("Pin the finished run to compare it with others");
}

/** Pin the finished run (one pin per run); `render` redraws the view. */
export function pin(render) {
  const cur = state.current;
  if (!cur || !cur.ended || state.pins.length >= MAX_PINS) return;
  state.pins.push({ id: cur.id, label: t("Run {n}", { n: state.pins.length + 1 }), settings: cur.settings,
    thumbnail: cur.boundary, curves: cur.curves, metrics: cur.metrics, guess: cur.guess,
    start: cur.start });
  state.current = null;
  state.showing = "pins";
  updatePinButton();
  render();
}

/** Follow the page's runs; a guess scored again after pinning updates the pinned run too. */
export function follow(page, render) {
  on("run", ({ id, start }) => {
    state.current = { id, settings: runConfig(page.settings), boundary: null, curves: emptyCurves(), metrics: null,
      ended: false, guess: null, start: start || id }; // runs made with init_from share their source's start
  });
  on("reset", () => {
    state.current = null;
    updatePinButton();
  });
  on("frame", (f) => {
    const cur = state.current;
    if (!cur) return;
    cur.boundary = f.boundary;
    cur.metrics = { epochs: f.epoch, train_loss: f.train_loss, test_loss: f.test_loss,
      train_accuracy: f.train_accuracy, test_accuracy: f.test_accuracy };
    const h = f.history;
    if (h && Array.isArray(h.epoch)) {
      cur.curves.epoch.push(...h.epoch);
      cur.curves.train_loss.push(...h.train_loss);
      cur.curves.test_loss.push(...h.test_loss);
    }
  });
  on("done", (d) => {
    if (!state.current) return;
    state.current.ended = true;
    state.current.metrics = { ...state.current.metrics, ...pick(d) };
    updatePinButton();
  });
  on("prediction", (p) => {
    const guess = { iou: p.iou, accuracy: p.accuracy, sketch: window.kpGuess?.kept.get(p.id)?.sketch || null };
    if (state.current && state.current.id === p.id) state.current.guess = guess;
    const pinned = state.pins.find((item) => item.id && item.id === p.id);
    if (pinned) {
      pinned.guess = guess;
      render();
    }
  });
}
