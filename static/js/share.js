// Share, save and export: copy the page's link, paste a TF Playground link (what cannot be kept is
// reported), save a trained run, list/open/fork/rename/delete saved runs (/#saved=<id>, /saved/<id>),
// download the model (.keras, spec + .npz, script, CSV, PNG) and import a spec + .npz.

import { ApiError } from "./api.js";
import { exportFile, showScript } from "./exports.js";
import { decodeGrid } from "./grid.js";
import { on } from "./hooks.js";
import { t } from "./i18n.js";
import { copySettings } from "./state.js";
import { fromTfParams, isTfParams, paramsOf } from "./tflink.js";

const $ = (id) => document.getElementById(id);
const TOKENS_KEY = "kp-edit-tokens";
const HISTORY_KEYS = ["epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "learning_rate"];
// Read before main.js rewrites the hash with every setting (modules run before its init).
const START_HASH = location.hash;

let page;
const live = { history: emptyHistory(), boundary: null }; // what the current run drew
let opened = null; // the saved record on screen, until a setting changes
let pendingFork = null; // the saved id the next run is forked from
let forkedFrom = null; // ... and the one the current run was forked from

function emptyHistory() {
  return Object.fromEntries(HISTORY_KEYS.map((k) => [k, []]));
}

// ---------------------------------------------------------------- small helpers

function say(text, isError = false) {
  const box = $("share-message");
  box.textContent = text || "";
  box.hidden = !text;
  box.classList.toggle("error", isError);
}

async function call(method, url, body, headers = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data?.errors || [{ field: "", message: response.statusText }]);
  return data;
}

function tokens() {
  try {
    return JSON.parse(localStorage.getItem(TOKENS_KEY)) || {};
  } catch {
    return {};
  }
}

function keepToken(id, token) {
  localStorage.setItem(TOKENS_KEY, JSON.stringify({ ...tokens(), [id]: token }));
}

function savedLink(id) {
  return `${location.origin}/saved/${encodeURIComponent(id)}`;
}

async function copy(text, input) {
  input.value = text;
  input.select();
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    document.execCommand("copy"); // http pages without the clipboard API: the selected input
  }
}

function loss(v) {
  return typeof v === "number" ? v.toFixed(3) : "—";
}

// ---------------------------------------------------------------- following runs

function followRuns() {
  on("run", () => {
    live.history = emptyHistory();
    live.boundary = null;
    forkedFrom = pendingFork;
    pendingFork = null;
  });
  on("reset", () => {
    live.history = emptyHistory();
    live.boundary = null;
  });
  on("frame", (f) => {
    const h = f.history;
    if (h && Array.isArray(h.epoch)) {
      for (const k of HISTORY_KEYS) live.history[k].push(...(h[k] || h.epoch.map(() => null)));
    }
    if (f.boundary) live.boundary = { resolution: f.boundary.resolution, data: f.boundary.data };
  });
  on("settings", ({ kind }) => {
    if (kind !== "none" && kind !== "view") closeOpened();
  });
}

/** The run on screen has finished (stopping it if it still trains); its id, or null. */
async function finishedRun(verb) {
  const run = page.run;
  if (!run?.id || ["error", "gone"].includes(run.state)) return null;
  if (run.state === "done") return run.id;
  say(t("Stopping the run to {verb} it…", { verb }));
  let offs = [];
  const ended = new Promise((resolve) => {
    offs = [on("done", (d) => d.id === run.id && resolve(true)), on("error", (d) => d.id === run.id && resolve(false))];
    setTimeout(() => resolve(false), 30_000);
  });
  try {
    await call("POST", `/api/runs/${encodeURIComponent(run.id)}/stop`);
    return (await ended) ? run.id : null;
  } finally {
    offs.forEach((off) => off());
  }
}

// ---------------------------------------------------------------- links

function initLinks() {
  $("share-copy-link").addEventListener("click", async () => {
    const link = opened ? savedLink(opened.id) : location.href;
    await copy(link, $("share-link"));
    say(t("Link copied: it opens this page with these settings."));
  });
  $("share-tf-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const params = paramsOf($("share-tf-url").value);
    if (![...params.keys()].length) return say(t("Paste a TensorFlow Playground link first."), true);
    useTfParams(params);
  });
}

function useTfParams(params) {
  const { settings, ignored } = fromTfParams(params, copySettings(page.settings));
  page.apply(settings);
  showTfReport(ignored);
}

function showTfReport(ignored) {
  const kept = ignored.filter((i) => i.kind !== "off");
  const off = ignored.filter((i) => i.kind === "off");
  $("share-tf-summary").textContent = kept.some((i) => i.kind === "ignored")
    ? t("Loaded the TensorFlow Playground settings. These could not be kept:")
    : t("Loaded the TensorFlow Playground settings: everything was kept.");
  $("share-tf-ignored").replaceChildren(...kept.map((i) => {
    const li = document.createElement("li");
    li.className = `share-${i.kind}`;
    li.dataset.key = i.key;
    const code = document.createElement("code");
    code.textContent = `${i.key}=${i.value}`;
    li.append(code, ` — ${t(i.reason)}`);
    return li;
  }));
  $("share-tf-off").textContent = off.length
    ? t("Also read, switched off, so nothing is lost: {keys}", { keys: off.map((i) => i.key).join(", ") }) : "";
  $("share-tf-report").hidden = false;
}

// ---------------------------------------------------------------- saving and the list

function initSaving() {
  $("share-save-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = $("share-save-name").value.trim();
    try {
      const runId = await finishedRun(t("save"));
      if (!runId) return say(t("Train a run first (press ▶), then save it."), true);
      const saved = await call("POST", "/api/saved", {
        name, run_id: runId, history: live.history, boundary: live.boundary, forked_from: forkedFrom,
      });
      keepToken(saved.id, saved.edit_token);
      say(t("Saved “{name}”. Its link: {link}", { name: saved.name, link: savedLink(saved.id) }));
      await refreshList();
    } catch (err) {
      say(err.message, true);
    }
  });
  $("share-fork").addEventListener("click", () => opened && fork(opened.id));
}

async function refreshList() {
  let data;
  try {
    data = await call("GET", "/api/saved?limit=50");
  } catch (err) {
    return say(t("Could not list the saved runs: {error}", { error: err.message }), true);
  }
  const mine = tokens();
  const items = data.items.map((item) => {
    const li = document.createElement("li");
    li.dataset.id = item.id;
    const name = document.createElement("button");
    name.type = "button";
    name.className = "share-name";
    name.textContent = item.name;
    name.title = t("Open");
    name.addEventListener("click", () => openSaved(item.id));
    const meta = document.createElement("span");
    meta.className = "share-muted";
    meta.textContent = t("{dataset}, {epochs} epochs, test loss {loss}", {
      dataset: item.config.dataset, epochs: item.summary.epochs ?? "—", loss: loss(item.summary.test_loss),
    });
    li.append(name, " ", meta, " ", button(t("Fork"), () => fork(item.id), "share-fork-item"));
    if (mine[item.id]) {
      li.append(button(t("Rename"), () => rename(item), "share-rename"),
        button(t("Delete"), () => remove(item), "share-delete"));
    }
    return li;
  });
  if (!items.length) {
    const empty = document.createElement("li");
    empty.className = "share-muted";
    empty.textContent = t("No saved runs yet: train a run, name it and press Save run.");
    items.push(empty);
  }
  $("share-saved-list").replaceChildren(...items);
}

function button(text, fn, className) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = text;
  b.addEventListener("click", fn);
  return b;
}

async function rename(item) {
  const name = prompt(t("New name"), item.name);
  if (!name) return;
  try {
    await call("PATCH", `/api/saved/${encodeURIComponent(item.id)}`, { name }, { "X-Edit-Token": tokens()[item.id] });
    await refreshList();
  } catch (err) {
    say(err.message, true);
  }
}

async function remove(item) {
  if (!confirm(t("Delete the saved run “{name}”?", { name: item.name }))) return;
  try {
    await call("DELETE", `/api/saved/${encodeURIComponent(item.id)}`, undefined, { "X-Edit-Token": tokens()[item.id] });
    if (opened?.id === item.id) closeOpened();
    await refreshList();
  } catch (err) {
    say(err.message, true);
  }
}

// ---------------------------------------------------------------- open and fork

/** The page's settings for a saved config (the simple panel's subset; the server keeps the full config). */
function settingsOf(config) {
  const s = copySettings(page.settings);
  for (const key of Object.keys(s)) if (config[key] !== undefined && config[key] !== null) s[key] = config[key];
  s.features = [...config.features];
  s.hidden_layers = [...config.hidden_layers];
  return s;
}

async function openSaved(id) {
  let record;
  try {
    record = await call("GET", `/api/saved/${encodeURIComponent(id)}`);
  } catch (err) {
    return say(err.status === 404 ? t("This saved run does not exist (any more).") : err.message, true);
  }
  page.reset();
  page.apply(settingsOf(record.config));
  opened = record;
  const b = record.summary.boundary;
  if (b) page.boundary.setGrid(decodeGrid(b.data, b.resolution), b.resolution);
  page.curves.append(record.history);
  $("boundary-hint").hidden = true;
  page.draw({ boundary: true });
  $("share-opened-text").textContent = t("Showing the saved run “{name}”: {epochs} epochs, training loss {train}, test loss {test}.", {
    name: record.name, epochs: record.summary.epochs ?? "—", train: loss(record.summary.train_loss),
    test: loss(record.summary.test_loss),
  });
  $("share-saved-link").value = savedLink(record.id);
  $("share-opened").hidden = false;
  say(null);
}

function closeOpened() {
  opened = null;
  $("share-opened").hidden = true;
}

async function fork(id) {
  let record;
  try {
    record = opened?.id === id ? opened : await call("GET", `/api/saved/${encodeURIComponent(id)}`);
  } catch (err) {
    return say(err.message, true);
  }
  page.apply(settingsOf(record.config));
  closeOpened();
  pendingFork = id;
  page.playFrom(() => call("POST", `/api/saved/${encodeURIComponent(id)}/run`));
  say(t("Training on from the saved run “{name}”.", { name: record.name }));
}

// ---------------------------------------------------------------- export and import

function initExports() {
  for (const el of document.querySelectorAll("#share [data-export]")) {
    el.addEventListener("click", async () => {
      el.disabled = true;
      try {
        say(null);
        await exportFile(el.dataset.export, { page, opened, history: live.history, finishedRun: () => finishedRun(t("export")) });
      } catch (err) {
        say(err.message, true);
      } finally {
        el.disabled = false;
      }
    });
  }
  $("share-show-script").addEventListener("click", () => showScript({ page, opened }).catch((err) => say(err.message, true)));
  $("share-import-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const spec = $("share-import-spec").files[0];
    const weights = $("share-import-weights").files[0];
    if (!spec || !weights) return say(t("Choose a spec (.json) and its weights (.npz)."), true);
    const form = new FormData();
    form.append("spec", spec);
    form.append("weights", weights);
    try {
      const saved = await call("POST", "/api/import", form);
      keepToken(saved.id, saved.edit_token);
      await refreshList();
      await openSaved(saved.id);
      say(t("Imported “{name}”.", { name: saved.name }));
    } catch (err) {
      say(`${t("The server refused the import:")}\n${err.message}`, true);
    }
  });
}

// ---------------------------------------------------------------- start

function savedIdIn(hash) {
  return new URLSearchParams(String(hash).replace(/^#/, "")).get("saved");
}

export function init(p) {
  page = p;
  followRuns();
  initLinks();
  initSaving();
  initExports();
  $("share-link").value = location.href;
  on("settings", () => ($("share-link").value = opened ? savedLink(opened.id) : location.href));
  refreshList();
  const start = new URLSearchParams(START_HASH.replace(/^#/, ""));
  if (savedIdIn(START_HASH)) openSaved(savedIdIn(START_HASH));
  else if (isTfParams(start)) showTfReport(fromTfParams(start, copySettings(page.settings)).ignored);
  window.addEventListener("hashchange", () => {
    const id = savedIdIn(location.hash);
    if (id) openSaved(id);
  });
}
