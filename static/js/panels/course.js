// The Simple / Advanced switch and the Advanced panel: per-layer editor, optimizer, loss (with its
// code) and callbacks. Every control writes settings through page.change, so they round-trip in the
// URL hash (course-state.js). The server checks each Advanced setting as it changes (the Keras-code
// request) and its field messages are shown next to the control they name.

import { choicesOf, losses as serverLosses, pageRange } from "../core/fields.js";
import { lossOf } from "../core/equation-context.js";
import { on } from "../core/hooks.js";
import { t } from "../core/i18n.js";
import { highlightPython } from "../core/highlight.js";
import { fetchScript, initKerasCode } from "./keras-code.js";
import { initLessons } from "./lessons.js";
import { initLrChart } from "../views/lr-chart.js";
import { runConfig } from "../core/state.js";
import {
  EARLY_STOPPING_DEFAULT, LR_SCHEDULE_DEFAULT, REDUCE_LR_DEFAULT, layerAt, layersFor,
} from "../core/course-state.js";

const $ = (id) => document.getElementById(id);
const CHECK_MS = 300;
const LABELS = {
  sgd: "SGD", adam: "Adam", rmsprop: "RMSprop", adagrad: "Adagrad", glorot_uniform: "Glorot uniform",
  he_normal: "He normal", zeros: "Zeros", uniform: "Uniform ±0.5", none: "None", l1: "L1", l2: "L2", l1_l2: "L1 + L2",
  leaky_relu: "leaky ReLU", relu: "ReLU",
};
const label = (v) => (v in LABELS ? t(LABELS[v]) : v);
// Per-layer columns after units: [key, kind, step]; choices and bounds are the server's (layers.<key>).
const LAYER_COLUMNS = [
  ["activation", "select"], ["dropout", "number", 0.1], ["batch_norm", "checkbox"], ["regularization", "select"],
  ["regularization_rate", "number", 0.001], ["activity_regularization", "select"],
  ["activity_regularization_rate", "number", 0.001], ["max_norm", "number", 0.5], ["initializer", "select"],
];
/** What control() needs for a layer column: a select's values, or a number's {min, max, step}. */
function columnOptions(key, kind, step) {
  if (kind === "select") return choicesOf(`layers.${key}`);
  const { min, max } = pageRange(`layers.${key}`);
  return { min, max, step: step ?? pageRange(`layers.${key}`).step };
}
const LAYER_NAMES = {
  units: "Units", activation: "Activation", dropout: "Dropout", batch_norm: "Batch norm",
  regularization: "Kernel regularizer", regularization_rate: "Kernel regularization rate",
  activity_regularization: "Activity regularizer", activity_regularization_rate: "Activity regularization rate",
  max_norm: "Max-norm", initializer: "Initializer",
};

function fill(select, values, text = label) {
  select.replaceChildren(...values.map((v) => new Option(text(v), v)));
}

function control(kind, options) {
  const el = document.createElement(kind === "select" ? "select" : "input");
  if (kind === "select") fill(el, options);
  else {
    el.type = kind;
    if (kind === "number") Object.assign(el, options);
  }
  return el;
}

/** A control's value as the setting's type. */
function valueOf(el) {
  if (el.type === "checkbox") return el.checked;
  if (el.type === "number") return el.value === "" ? 0 : Number(el.value);
  return el.value;
}

function setValue(el, value) {
  if (el.type === "checkbox") el.checked = Boolean(value);
  else if (document.activeElement !== el || el.tagName === "SELECT") el.value = String(value ?? "");
}

export function init(page) {
  const root = $("course");
  const losses = serverLosses(); // [{name, problem, output}] from /api/config
  let lossCode = {}; // name -> code, from /api/losses
  let rowsShown = -1;

  const change = (partial) => page.change(partial);
  const setLayer = (i, key, value) => {
    const s = page.settings;
    if (key === "units") {
      return change({ hidden_layers: s.hidden_layers.map((n, j) => (j === i ? value : n)), layers: layersFor(s) });
    }
    change({ layers: layersFor(s).map((layer, j) => (j === i ? { ...layer, [key]: value } : layer)) });
  };

  // ------------------------------------------------------------ the controls
  fill($("optimizer"), choicesOf("optimizer"));
  fill($("es-monitor"), choicesOf("early_stopping.monitor"));
  fill($("rlr-monitor"), choicesOf("reduce_lr.monitor"));
  fill($("es-mode"), choicesOf("early_stopping.mode"));
  fill($("lr-schedule-kind"), ["", ...choicesOf("lr_schedule.kind")], (v) => (v ? v : t("off")));

  $("mode-simple").addEventListener("click", () => change({ advanced: false }));
  $("mode-advanced").addEventListener("click", () => change({ advanced: true, layers: layersFor(page.settings) }));
  for (const el of root.querySelectorAll("[data-course]")) {
    el.addEventListener("change", () => change({ [el.dataset.course]: valueOf(el) }));
  }
  for (const el of root.querySelectorAll("[data-cb]")) {
    const [name, key] = el.dataset.cb.split(".");
    el.addEventListener("change", () => change({ [name]: { ...page.settings[name], [key]: valueOf(el) } }));
  }
  $("early-stopping-on").addEventListener("change", (e) =>
    change({ early_stopping: e.target.checked ? { ...EARLY_STOPPING_DEFAULT } : null }));
  $("reduce-lr-on").addEventListener("change", (e) =>
    change({ reduce_lr: e.target.checked ? { ...REDUCE_LR_DEFAULT } : null }));
  $("lr-schedule-kind").addEventListener("change", (e) => {
    const kind = e.target.value;
    change({ lr_schedule: kind ? { ...(page.settings.lr_schedule || LR_SCHEDULE_DEFAULT), kind } : null });
  });

  function buildRows(n) {
    const rows = [];
    for (let i = 0; i < n; i++) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = String(i + 1);
      tr.append(th);
      for (const [key, kind, step] of [["units", "number", 1], ...LAYER_COLUMNS]) {
        const options = columnOptions(key, kind, step);
        const td = document.createElement("td");
        td.className = "course-field";
        td.dataset.field = `layers.${i}.${key}`;
        const el = control(kind, options);
        el.dataset.layer = String(i);
        el.dataset.key = key;
        el.setAttribute("aria-label", t("Layer {n}: {name}", { n: i + 1, name: t(LAYER_NAMES[key]) }));
        el.addEventListener("change", () => setLayer(i, key, valueOf(el)));
        td.append(el);
        tr.append(td);
      }
      rows.push(tr);
    }
    $("layer-rows").replaceChildren(...rows);
    rowsShown = n;
  }

  // ------------------------------------------------------------ showing the settings
  function showLoss(s) {
    const options = ["auto", ...losses.filter((l) => l.problem === s.problem && l.name !== "categorical_crossentropy")
      .map((l) => l.name)];
    const select = $("loss");
    if (select.dataset.key !== options.join()) {
      fill(select, options, (v) => (v === "auto" ? t("auto (cross-entropy / MSE)") : v));
      select.dataset.key = options.join();
    }
    if (!options.includes(s.loss)) select.add(new Option(s.loss, s.loss));
    select.value = s.loss;
    const name = lossOf(s).name; // "auto" resolved by the server's rule (/api/config auto_loss)
    const code = lossCode[name];
    highlightPython($("loss-code"), code || "");
  }

  function show(s) {
    $("mode-simple").setAttribute("aria-pressed", String(!s.advanced));
    $("mode-advanced").setAttribute("aria-pressed", String(s.advanced));
    root.classList.toggle("is-advanced", s.advanced);
    $("advanced").hidden = !s.advanced;
    // In Advanced mode the top bar's activation and regularization give way to the per-layer ones.
    for (const id of ["activation", "regularization", "regularization-rate"]) {
      const el = $(id);
      if (!el) continue;
      if (s.advanced) el.disabled = true;
      else if (id !== "regularization-rate") el.disabled = false;
      el.title = s.advanced ? t("Set per layer in the Advanced panel") : "";
    }
    if (!s.advanced) return showErrors([]);
    for (const el of root.querySelectorAll("[data-course]")) setValue(el, s[el.dataset.course]);
    if (rowsShown !== s.hidden_layers.length) buildRows(s.hidden_layers.length);
    $("no-layers").hidden = s.hidden_layers.length > 0;
    for (const el of $("layer-rows").querySelectorAll("[data-layer]")) {
      const i = Number(el.dataset.layer);
      setValue(el, el.dataset.key === "units" ? s.hidden_layers[i] : layerAt(s, i)[el.dataset.key]);
    }
    for (const box of root.querySelectorAll("[data-for]")) {
      box.hidden = !box.dataset.for.split(" ").includes(box.closest("[data-callback='lr_schedule']")
        ? s.lr_schedule?.kind : s.optimizer);
    }
    $("early-stopping-on").checked = Boolean(s.early_stopping);
    $("reduce-lr-on").checked = Boolean(s.reduce_lr);
    $("lr-schedule-kind").value = s.lr_schedule?.kind || "";
    for (const box of root.querySelectorAll("[data-when]")) box.hidden = !s[box.dataset.when];
    for (const el of root.querySelectorAll("[data-cb]")) {
      const [name, key] = el.dataset.cb.split(".");
      if (s[name]) setValue(el, s[name][key]);
    }
    showLoss(s);
  }

  // ------------------------------------------------------------ the server's check
  function showErrors(errors) {
    for (const old of root.querySelectorAll(".field-error")) old.remove();
    for (const el of root.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    const general = [];
    for (const { field = "", message } of errors) {
      let name = field;
      let box = null;
      while (name && !(box = root.querySelector(`[data-field="${CSS.escape(name)}"]`))) {
        name = name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : "";
      }
      if (!box || box.closest("[hidden]")) {
        general.push(field ? `${field}: ${message}` : message);
        continue;
      }
      const note = document.createElement("span");
      note.className = "field-error";
      note.textContent = message;
      box.append(note);
      box.querySelector("input, select")?.setAttribute("aria-invalid", "true");
    }
    $("course-errors").textContent = general.join("\n");
    $("course-errors").hidden = general.length === 0;
  }

  let checkToken = 0;
  let checkTimer = null;
  function check() {
    clearTimeout(checkTimer);
    const token = ++checkToken;
    checkTimer = setTimeout(async () => {
      const s = page.settings;
      if (!s.advanced) return;
      try {
        const { errors } = await fetchScript(runConfig(s));
        if (token === checkToken) showErrors(errors);
      } catch {
        // the server is unreachable: the run's own error says so
      }
    }, CHECK_MS);
  }

  on("settings", ({ settings }) => {
    show(settings);
    if (settings.advanced) check();
  });
  on("error", () => page.settings.advanced && check());

  fetch("/api/losses").then((r) => r.json()).then((code) => {
    lossCode = code || {};
    show(page.settings);
  }).catch((err) => page.showError(t("Could not load the losses: {message}", { message: err.message })));

  initLrChart(page);
  initLessons(page);
  initKerasCode(page);
  show(page.settings);
  if (page.settings.advanced) check();
}
