// Saved runs in the share panel: save the run on screen, the list (open, fork, rename, delete when this
// browser holds the edit token), and showing an opened run's curves, boundary and figures.

import { decodeGrid } from "../views/grid.js";
import { on } from "../core/hooks.js";
import { t } from "../core/i18n.js";
import { $, call, keepToken, loss, savedLink, say, tokens } from "../core/shareutil.js";
import { copySettings } from "../core/state.js";

let page;
let live; // share.js' record of the current run: {history, boundary}
let finishedRun; // share.js' "finish the run on screen" (stops a training run)
export const savedState = { opened: null }; // the saved record on screen, until a setting changes
let pendingFork = null; // the saved id the next run is forked from
let forkedFrom = null; // ... and the one the current run was forked from

/** Start the saved-runs part; `ctx` = {live, finishedRun} from share.js. */
export function initSavedRuns(p, ctx) {
  page = p;
  ({ live, finishedRun } = ctx);
  on("run", () => {
    forkedFrom = pendingFork;
    pendingFork = null;
  });
  on("settings", ({ kind }) => {
    if (kind !== "none" && kind !== "view") closeOpened();
  });
  initSaving();
  refreshList();
}

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
  $("share-fork").addEventListener("click", () => savedState.opened && fork(savedState.opened.id));
}

export async function refreshList() {
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
    if (savedState.opened?.id === item.id) closeOpened();
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

export async function openSaved(id) {
  let record;
  try {
    record = await call("GET", `/api/saved/${encodeURIComponent(id)}`);
  } catch (err) {
    return say(err.status === 404 ? t("This saved run does not exist (any more).") : err.message, true);
  }
  page.reset();
  page.apply(settingsOf(record.config));
  savedState.opened = record;
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
  savedState.opened = null;
  $("share-opened").hidden = true;
}

async function fork(id) {
  let record;
  try {
    record = savedState.opened?.id === id ? savedState.opened : await call("GET", `/api/saved/${encodeURIComponent(id)}`);
  } catch (err) {
    return say(err.message, true);
  }
  page.reset(); // so that applying the settings does not start a fresh run first
  page.apply(settingsOf(record.config));
  closeOpened();
  pendingFork = id;
  page.playFrom(() => call("POST", `/api/saved/${encodeURIComponent(id)}/run`));
  say(t("Training on from the saved run “{name}”.", { name: record.name }));
}

// ---------------------------------------------------------------- export and import

