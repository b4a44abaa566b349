// The lab page: pick data and folds, edit the configurations side by side, run a k-fold job on
// the server's lab workers and follow its progress by polling GET /api/lab/jobs/<id>.

import { describe } from "../core/api.js";
import { loadFields } from "../core/fields.js";
import { t } from "../core/i18n.js";

const $ = (id) => document.getElementById(id);
const N_ = (msgid) => msgid; // marks a message id for extraction; t() translates it when shown
const POLL_MS = 1000;
// Editable settings: [key, label, kind]. "layers" is a comma-separated list of neuron counts.
const FIELDS = [
  ["name", N_("Name"), "text"],
  ["hidden_layers", N_("Hidden layers"), "layers"],
  ["input_dropout", N_("Input dropout"), "number"],
  ["dropout", N_("Hidden dropout"), "number"],
  ["max_norm", N_("Max-norm (0 = none)"), "number"],
  ["learning_rate", N_("Learning rate"), "number"],
  ["momentum", N_("Momentum"), "number"],
  ["epochs", N_("Epochs"), "number"],
  ["batch_size", N_("Batch size"), "number"],
];

const state = { configs: [], job: null, timer: null };

async function request(method, url, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(describe(data?.errors, response.status));
  return data;
}

function showError(text) {
  $("lab-error").textContent = text || "";
  $("lab-error").hidden = !text;
}

function configTable() {
  const table = $("lab-config-table");
  const head = document.createElement("tr");
  head.append(document.createElement("th"));
  state.configs.forEach((_, i) => {
    const th = document.createElement("th");
    th.textContent = t("Configuration {n}", { n: i + 1 });
    head.append(th);
  });
  const rows = FIELDS.map(([key, label, kind]) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.textContent = t(label);
    tr.append(th);
    state.configs.forEach((config, i) => {
      const td = document.createElement("td");
      const input = document.createElement("input");
      input.type = kind === "number" ? "number" : "text";
      input.step = "any";
      input.dataset.config = i;
      input.dataset.key = key;
      input.setAttribute("aria-label", `${t(label)} (${i + 1})`);
      input.value = kind === "layers" ? config[key].join(",") : config[key];
      td.append(input);
      tr.append(td);
    });
    return tr;
  });
  table.replaceChildren(head, ...rows);
}

function readConfigs() {
  return state.configs.map((config, i) => {
    const out = { ...config };
    for (const [key, , kind] of FIELDS) {
      const raw = document.querySelector(`input[data-config="${i}"][data-key="${key}"]`).value.trim();
      if (kind === "layers") out[key] = raw === "" ? [] : raw.split(",").map((v) => Number(v.trim()));
      else out[key] = kind === "number" ? Number(raw) : raw;
    }
    return out;
  });
}

const pct = (v) => (v == null ? "—" : `${(100 * v).toFixed(1)}%`);

function showResults(job) {
  const table = $("lab-results");
  const head = document.createElement("tr");
  const folds = Array.from({ length: job.folds }, (_, f) => t("Fold {n}", { n: f + 1 }));
  for (const text of [t("Configuration"), t("Mean accuracy ± std"), ...folds]) {
    const th = document.createElement("th");
    th.textContent = text;
    head.append(th);
  }
  const rows = job.configs.map((c) => {
    const tr = document.createElement("tr");
    const cells = [c.settings.name, c.mean == null ? "—" : `${pct(c.mean)} ± ${pct(c.std)}`,
      ...c.results.map((r) => (r ? pct(r.accuracy) : "…"))];
    cells.forEach((text, i) => {
      const td = document.createElement(i === 0 ? "th" : "td");
      td.textContent = text;
      if (i > 0) td.className = "num";
      tr.append(td);
    });
    return tr;
  });
  table.replaceChildren(head, ...rows);
  if (typeof Plotly !== "undefined") {
    const traces = job.configs.map((c) => ({
      type: "box", name: c.settings.name, boxpoints: "all", jitter: 0.3, pointpos: 0, boxmean: "sd",
      y: c.results.filter(Boolean).map((r) => 100 * r.accuracy),
    }));
    Plotly.react($("lab-chart"), traces, {
      margin: { l: 50, r: 10, t: 10, b: 40 }, showlegend: false,
      yaxis: { title: { text: t("Test accuracy per fold (%)") }, range: [0, 100] },
    }, { displayModeBar: false });
  }
}

function showJob(job) {
  state.job = job;
  const running = job.state === "queued" || job.state === "running";
  $("lab-progress").hidden = false;
  $("lab-progress").max = job.progress.total;
  $("lab-progress").value = job.progress.done;
  $("lab-run").disabled = running;
  $("lab-cancel").hidden = !running;
  const status = {
    queued: t("Waiting for a lab worker…"),
    running: t("Fold {done} of {total} done ({seconds} s)", { ...job.progress, seconds: Math.round(job.elapsed) }),
    done: t("Done: {total} folds in {seconds} s.", { ...job.progress, seconds: Math.round(job.elapsed) }),
    cancelled: t("Cancelled."),
    error: t("The job failed."),
  }[job.state];
  $("lab-status").textContent = status;
  $("lab-status").dataset.state = job.state;
  if (job.error) showError(job.error);
  showResults(job);
  if (running) state.timer = setTimeout(poll, POLL_MS);
}

async function poll() {
  const id = state.job?.id;
  if (!id) return;
  try {
    showJob(await request("GET", `/api/lab/jobs/${encodeURIComponent(id)}`));
  } catch (err) {
    showError(err.message);
    $("lab-run").disabled = false;
  }
}

async function run() {
  showError(null);
  clearTimeout(state.timer);
  const body = {
    dataset: $("lab-dataset").value, folds: Number($("lab-folds").value), seed: Number($("lab-seed").value),
    configs: readConfigs(),
  };
  try {
    showJob(await request("POST", "/api/lab/jobs", body));
  } catch (err) {
    showError(err.message);
  }
}

async function cancel() {
  if (!state.job) return;
  clearTimeout(state.timer);
  try {
    showJob(await request("POST", `/api/lab/jobs/${encodeURIComponent(state.job.id)}/cancel`));
  } catch (err) {
    showError(err.message);
  }
}

function addUpload(meta) {
  const option = document.createElement("option");
  option.value = `upload:${meta.id}`;
  option.textContent = t("{name} ({rows} rows, {features} features)", {
    name: meta.name, rows: meta.rows, features: meta.features.length,
  });
  $("lab-dataset").append(option);
  return option;
}

async function upload() {
  const file = $("lab-file").files[0];
  if (!file) return;
  showError(null);
  const form = new FormData();
  form.append("file", file);
  try {
    const meta = await request("POST", "/api/uploads", form);
    addUpload(meta).selected = true;
  } catch (err) {
    showError(err.message);
  }
}

async function init() {
  loadFields().catch(() => {}); // field labels for error messages (core/api.js); their names stand in until then
  const presets = await request("GET", "/api/lab/presets");
  state.configs = presets.job.configs;
  $("lab-folds").value = presets.job.folds;
  $("lab-seed").value = presets.job.seed;
  configTable();
  request("GET", "/api/uploads").then((data) => data.uploads.forEach(addUpload)).catch(() => {});
  $("lab-run").addEventListener("click", run);
  $("lab-cancel").addEventListener("click", cancel);
  $("lab-file").addEventListener("change", upload);
  window.kpLab = { get job() { return state.job; } }; // read by the browser tests
}

init().catch((err) => showError(err.message));
