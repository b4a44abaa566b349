// The sweep panel: 1–3 parameters with value lists (grid) or ranges (random search), repeats per
// point; the runs go through the server's pool (docs/sweep.md) while a progress bar fills; a
// sortable results table (mean ± std over repeats, boundary thumbnails, the best highlighted),
// CSV export and cancel. The current page settings are the base of every run.

import { fieldLabel } from "../core/fields.js";
import { t } from "../core/i18n.js";
import { lessonSettings } from "./lessons.js";
import { N_SAMPLES, runConfig } from "../core/state.js";
import { followSweep, getSweep, startSweep } from "../core/sweepclient.js";
import { meanStd, num, thumbnail, valueText } from "../views/thumbs.js";

const $ = (id) => document.getElementById(id);
const N_ = (msgid) => msgid; // marks a message id for extraction; t() translates it when shown
const PARAMS = ["learning_rate", "batch_size", "activation", "regularization", "regularization_rate", "noise",
  "train_ratio", "dropout", "optimizer"];
const label = (name) => fieldLabel(name) ?? name; // the server's label (core/fields.js)
const RANGES = new Set(["learning_rate", "regularization_rate", "dropout"]); // continuous: random search draws in a range
const COLUMNS = [
  { key: "test_loss", label: N_("Test loss") },
  { key: "train_loss", label: N_("Training loss") },
  { key: "test_accuracy", label: N_("Test accuracy") },
  { key: "train_accuracy", label: N_("Training accuracy") },
  { key: "epochs", label: N_("Epochs") },
  { key: "elapsed", label: N_("Time (s)") },
];

const state = {
  sweep: null, // {id, csvUrl, cancel, close}
  params: [],
  rows: [],
  thumbs: new Map(), // point index -> boundary
  sort: { key: "test_loss", dir: 1 },
  running: false,
};

// ---------------------------------------------------------------- the form

function paramRow(name = "learning_rate", values = "") {
  const row = document.createElement("div");
  row.className = "sweep-param";
  const select = document.createElement("select");
  select.className = "sweep-param-name";
  select.setAttribute("aria-label", t("Parameter"));
  for (const p of PARAMS) select.add(new Option(label(p), p, false, p === name));
  const input = document.createElement("input");
  input.className = "sweep-param-values";
  input.type = "text";
  input.value = values;
  input.setAttribute("aria-label", t("Values"));
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "mini round-mini";
  remove.textContent = "−";
  remove.setAttribute("aria-label", t("Remove this parameter"));
  remove.addEventListener("click", () => {
    if ($("sweep-params").children.length > 1) row.remove();
    updateForm();
  });
  select.addEventListener("change", updateForm);
  row.append(select, input, remove);
  return row;
}

function updateForm() {
  const random = $("sweep-mode").value === "random";
  $("sweep-trials-wrap").hidden = !random;
  $("sweep-add").disabled = $("sweep-params").children.length >= 3;
  for (const row of $("sweep-params").children) {
    row.querySelector(".sweep-param-values").placeholder = random && RANGES.has(row.querySelector("select").value)
      ? t("low, high (e.g. 0.001, 1)") : t("values, comma-separated");
  }
}

function parseValue(text) {
  const v = text.trim();
  return v !== "" && !Number.isNaN(Number(v)) ? Number(v) : v;
}

/** The sweep spec (docs/sweep.md) from the form and the page's settings, or an error message. */
function spec(page) {
  const random = $("sweep-mode").value === "random";
  const params = {};
  for (const row of $("sweep-params").children) {
    const name = row.querySelector("select").value;
    const values = row.querySelector("input").value.split(",").map((v) => v.trim()).filter(Boolean).map(parseValue);
    if (values.length === 0) return { error: t("Give at least one value for {name}.", { name }) };
    if (random && RANGES.has(name)) {
      if (values.length !== 2) return { error: t("Give a range for {name}: low, high.", { name }) };
      params[name] = { low: values[0], high: values[1], log: name.endsWith("rate") && values[0] > 0 };
    } else {
      params[name] = values;
    }
  }
  const base = runConfig(page.settings);
  delete base.pace; // every trial runs at full speed on the server
  return {
    body: { base, mode: random ? "random" : "grid", params, n_trials: Number($("sweep-trials").value) || 10,
      repeats: Number($("sweep-repeats").value) || 1 },
  };
}

// ---------------------------------------------------------------- running

async function start(page) {
  const made = spec(page);
  if (made.error) return page.showError(made.error);
  if (state.sweep && state.running) await cancel();
  state.sweep?.close();
  Object.assign(state, { sweep: null, params: Object.keys(made.body.params), rows: [], thumbs: new Map() });
  renderTable();
  setProgress(0, 0);
  setRunning(true);
  $("sweep-status").textContent = t("Starting the sweep…");
  try {
    state.sweep = await startSweep(made.body, handlers());
    showLinks();
  } catch (err) {
    setRunning(false);
    $("sweep-status").textContent = "";
    page.showError(t("The sweep was refused: {message}", { message: err.message }));
  }
}

function handlers() {
  return {
    progress: (v) => show(v),
    trial: (trial) => {
      if (trial.thumbnail && !state.thumbs.has(trial.point_index)) {
        state.thumbs.set(trial.point_index, trial.thumbnail);
        renderTable();
      }
    },
    done: (v) => {
      show(v);
      setRunning(false);
      $("sweep-status").textContent = v.state === "cancelled" ? t("Sweep cancelled.")
        : t("Sweep finished in {seconds} s.", { seconds: num(v.wall_time) });
    },
    lost: (text) => {
      setRunning(false);
      $("sweep-status").textContent = text;
    },
  };
}

function showLinks() {
  const id = encodeURIComponent(state.sweep.id);
  $("sweep-csv").href = state.sweep.csvUrl;
  $("sweep-link").href = `/?sweep=${id}`;
}

/** Page settings for a sweep's base config (a page's RunConfig, or a lesson's partial one). */
function baseSettings(base, current) {
  const config = { ...base };
  if (config.n_samples === N_SAMPLES[config.problem || "classification"]) delete config.n_samples; // the page's own
  for (const key of ["seed", "pace", "grid_resolution"]) delete config[key]; // the learner's view, not the sweep's
  return lessonSettings({ config }, current);
}

/** Open a sweep from a link (`/?sweep=<id>`): a running one is followed, a finished one read from the server. */
async function open(page, id) {
  state.sweep?.close();
  Object.assign(state, { sweep: null, params: [], rows: [], thumbs: new Map() });
  try {
    const view = await getSweep(id);
    page.apply(baseSettings(view.base, page.settings)); // the map shows the data the sweep trained on
    state.params = view.params;
    setRunning(view.state === "running");
    state.sweep = followSweep(view.id, handlers()); // replays the trials (thumbnails), the table and `done`
    showLinks();
    $("sweep-section").scrollIntoView({ block: "start" });
  } catch (err) {
    page.showError(t("Could not open the sweep: {message}", { message: err.message }));
  }
}

async function cancel() {
  if (!state.sweep) return;
  $("sweep-status").textContent = t("Cancelling…");
  try {
    await state.sweep.cancel();
  } catch (err) {
    $("sweep-status").textContent = err.message;
  }
}

function setRunning(running) {
  state.running = running;
  $("sweep-start").disabled = running;
  $("sweep-cancel").disabled = !running;
  $("sweep-csv").hidden = running || !state.sweep;
  $("sweep-link").hidden = running || !state.sweep;
}

function setProgress(finished, total) {
  const bar = $("sweep-progress");
  bar.max = Math.max(total, 1);
  bar.value = finished;
  $("sweep-progress-text").textContent = total ? t("{done} of {total} runs", { done: finished, total }) : "";
}

function show(view) {
  const c = view.counts;
  setProgress(c.done + c.error + c.cancelled, c.total);
  if (view.state === "running") {
    $("sweep-status").textContent = t("{running} running, {pending} waiting", { running: c.running,
      pending: c.pending });
  }
  state.rows = view.rows;
  renderTable();
}

// ---------------------------------------------------------------- the table

function sortedRows() {
  const { key, dir } = state.sort;
  const value = (row) => (state.params.includes(key) ? row.params[key] : row[key]);
  return [...state.rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    if (typeof x === "number" && typeof y === "number") return dir * (x - y);
    return dir * String(valueText(x)).localeCompare(String(valueText(y)));
  });
}

function renderTable() {
  const table = $("sweep-table");
  const head = document.createElement("tr");
  const headers = [{ key: null, label: t("Boundary") }, ...state.params.map((p) => ({ key: p, label: label(p) })),
    ...COLUMNS.map((c) => ({ key: c.key, label: t(c.label) }))];
  for (const { key, label } of headers) {
    const th = document.createElement("th");
    th.scope = "col";
    if (key) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sweep-sort";
      button.dataset.key = key;
      const arrow = state.sort.key === key ? (state.sort.dir > 0 ? " ▲" : " ▼") : "";
      button.textContent = label + arrow;
      th.setAttribute("aria-sort", state.sort.key === key ? (state.sort.dir > 0 ? "ascending" : "descending")
        : "none");
      button.addEventListener("click", () => {
        state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
        renderTable();
      });
      th.append(button);
    } else {
      th.textContent = label;
    }
    head.append(th);
  }
  const body = sortedRows().map((row) => {
    const tr = document.createElement("tr");
    tr.className = row.best ? "sweep-row best" : "sweep-row";
    tr.dataset.index = row.index;
    const thumb = document.createElement("td");
    thumb.append(thumbnail(state.thumbs.get(row.index), 48));
    tr.append(thumb);
    for (const p of state.params) tr.append(cell(valueText(row.params[p])));
    for (const c of COLUMNS) {
      const text = c.key === "epochs" ? num(row.epochs, 4) : meanStd(row[c.key], row[`${c.key}_std`], row.runs - row.failed);
      tr.append(cell(text, c.key));
    }
    if (row.failed) tr.title = t("{n} of {runs} runs failed", { n: row.failed, runs: row.runs });
    return tr;
  });
  table.replaceChildren(head, ...body);
}

function cell(text, key) {
  const td = document.createElement("td");
  td.textContent = text;
  if (key) td.dataset.key = key;
  return td;
}

export function init(page) {
  $("sweep-params").append(paramRow("learning_rate", "0.01, 0.03, 0.1"));
  $("sweep-add").addEventListener("click", () => {
    if ($("sweep-params").children.length < 3) $("sweep-params").append(paramRow("batch_size", "1, 10, 30"));
    updateForm();
  });
  $("sweep-mode").addEventListener("change", updateForm);
  $("sweep-start").addEventListener("click", () => start(page));
  $("sweep-cancel").addEventListener("click", cancel);
  window.addEventListener("pagehide", () => state.running && state.sweep &&
    navigator.sendBeacon?.(`/api/sweeps/${encodeURIComponent(state.sweep.id)}/cancel`));
  updateForm();
  setRunning(false);
  renderTable();
  const linked = new URLSearchParams(location.search).get("sweep");
  if (linked) open(page, linked);
}
