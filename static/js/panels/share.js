// Share, save and export: copy the page's link, paste a TF Playground link (what cannot be kept is
// reported), save a trained run, list/open/fork/rename/delete saved runs (/#saved=<id>, /saved/<id>),
// download the model (.keras, spec + .npz, script, CSV, PNG) and import a spec + .npz.

import { exportFile, showScript } from "./exports.js";
import { on } from "../core/hooks.js";
import { t } from "../core/i18n.js";
import { initSavedRuns, openSaved, refreshList, savedState } from "./savedruns.js";
import { $, call, copy, keepToken, savedLink, say } from "../core/shareutil.js";
import { copySettings } from "../core/state.js";
import { fromTfParams, isTfParams, paramsOf } from "../core/tflink.js";

const HISTORY_KEYS = ["epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "learning_rate"];
// Read before main.js rewrites the hash with every setting (modules run before its init).
const START_HASH = location.hash;

let page;
const live = { history: emptyHistory(), boundary: null }; // what the current run drew

function emptyHistory() {
  return Object.fromEntries(HISTORY_KEYS.map((k) => [k, []]));
}

// ---------------------------------------------------------------- small helpers

function followRuns() {
  on("run", () => {
    live.history = emptyHistory();
    live.boundary = null;
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
    const { opened } = savedState;
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

function initExports() {
  for (const el of document.querySelectorAll("#share [data-export]")) {
    el.addEventListener("click", async () => {
      el.disabled = true;
      try {
        say(null);
        await exportFile(el.dataset.export, {
          page, opened: savedState.opened, history: live.history, finishedRun: () => finishedRun(t("export")),
        });
      } catch (err) {
        say(err.message, true);
      } finally {
        el.disabled = false;
      }
    });
  }
  $("share-show-script").addEventListener("click", () => showScript({ page, opened: savedState.opened }).catch((err) => say(err.message, true)));
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
  initExports();
  $("share-link").value = location.href;
  initSavedRuns(p, { live, finishedRun });
  on("settings", () => {
    const { opened } = savedState;
    $("share-link").value = opened ? savedLink(opened.id) : location.href;
  });
  const start = new URLSearchParams(START_HASH.replace(/^#/, ""));
  if (savedIdIn(START_HASH)) openSaved(savedIdIn(START_HASH));
  else if (isTfParams(start)) showTfReport(fromTfParams(start, copySettings(page.settings)).ignored);
  window.addEventListener("hashchange", () => {
    const id = savedIdIn(location.hash);
    if (id) openSaved(id);
  });
}
