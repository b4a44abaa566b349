// The run lifecycle: create a run from the settings, follow its stream, pause / resume / step /
// stop it, retry when the server is full, and say how it ended.

import { api } from "../core/api.js";
import { emit } from "../core/hooks.js";
import { formatNumber, t } from "../core/i18n.js";
import { runConfig } from "../core/state.js";
import { RunStream } from "../core/stream.js";
import { app, setStatus, showError } from "./app.js";
import { draw, resetView, showHint } from "./render.js";

const DONE_MESSAGES = {
  finished: (d) => t("Finished: reached the epoch limit ({epochs}). Press ▶ to train again from the start.",
    { epochs: formatNumber(d.epochs) }),
  early_stopping: (d) => (d.early_stopping?.restored_best_weights
    ? t("Early stopping ended the run at epoch {epoch}; the weights of epoch {best} (the best) were restored.",
      { epoch: formatNumber(d.epochs), best: formatNumber(d.early_stopping.best_epoch) })
    : t("Early stopping ended the run at epoch {epoch}.", { epoch: formatNumber(d.epochs) })),
  target: (d) => t("Reached the target loss at epoch {epoch}.", { epoch: formatNumber(d.epochs) }),
  budget: (d) => t("The run used its time budget on the server (epoch {epoch}). Press ▶ to train again.",
    { epoch: formatNumber(d.epochs) }),
  stopped: () => t("The server stopped this run. Press ▶ to start again."),
};
const MAX_RETRY_S = 30;
let runToken = 0;
const starts = new Map(); // run id -> the id of the run whose initial weights it started from (init_from)

/** The run a new run shares its start with: its init_from's own start, or itself. */
function startOf(created) {
  const start = created.init_from ? (starts.get(created.init_from) ?? created.init_from) : created.id;
  starts.set(created.id, start);
  return start;
}

export function setPlaying(playing) {
  app.playing = playing;
  app.views.controls.setPlaying(playing);
  emit("playing", { playing });
}

/** Whether the run can still train (not ended, failed or lost). */
export function active(run) {
  return run && !["done", "error", "gone"].includes(run.state);
}

/** Send the settings changed during a run to it (POST /set); a refused pace restarts instead. */
export async function liveChange(changed) {
  const run = app.run;
  if (!run?.id || !["running", "paused", "queued", "starting"].includes(run.state)) return;
  const values = Object.fromEntries(changed.map((k) => [k, app.settings[k]]));
  try {
    await api.set(run.id, values);
  } catch (err) {
    if (run !== app.run) return;
    if (changed.includes("pace")) restart(); // this server cannot change the pace live
    else showError(err.message);
  }
}

/** Stop the run and clear the view; train again at once if the learner was playing. */
export function restart() {
  const wasPlaying = app.playing;
  stopRun();
  resetView();
  if (wasPlaying) play();
}

/** A 429 while playing: wait for the server's hint (1–30 s), then try again (a fork stays a fork). */
function retryLater(err, token, fork) {
  const wait = Math.min(Math.max(err.retryAfter || 2, 1), MAX_RETRY_S);
  setStatus(t("The server is busy: every trainer is taken. Trying again in {seconds} s…", { seconds: wait }));
  setTimeout(() => {
    if (token !== runToken || !app.playing || app.run) return;
    app.nextCreate = fork;
    startRun();
  }, wait * 1000);
}

function createFailed(err, token, fork) {
  if (token !== runToken) return;
  app.run = null;
  if (err.status === 429 && app.playing) return retryLater(err, token, fork);
  setStatus(null);
  setPlaying(false);
  showError(err.status === 400 ? `${t("The server rejected these settings.")}\n${err.message}` : err.message);
}

async function startRun({ step = false } = {}) {
  const token = ++runToken;
  const fork = app.nextCreate;
  app.nextCreate = null;
  // A step asks the server for exactly one epoch at creation; a pause sent afterwards would race a fast
  // run's first epochs. A fork (saved weights) cannot ask, so it pauses and steps once it exists.
  const run = (app.run = { id: null, stream: null, token, state: "starting", step: step && Boolean(fork) });
  setStatus(t("Starting a run…"));
  const config = runConfig(app.settings);
  const create = fork || (() => api.createRun(config, step ? "step" : "running"));
  let created;
  try {
    created = await create();
  } catch (err) {
    return createFailed(err, token, fork);
  }
  if (token !== runToken) {
    api.control(created.id, "stop").catch(() => {});
    return;
  }
  run.id = created.id;
  run.state = created.state || "queued";
  run.stream = new RunStream(created.events_url, streamHandlers(run));
  emit("run", { id: created.id, init_from: created.init_from ?? null, start: startOf(created) });
  if (app.settings.learning_rate !== config.learning_rate) liveChange(["learning_rate"]); // changed meanwhile
  if (!app.playing) await pauseRun(run); // paused or stepped while the run was being created
}

/** Pause; for a step asked before the run existed, then advance exactly to epoch 1. */
async function pauseRun(run) {
  try {
    await api.control(run.id, "pause");
    if (run.step && app.run === run) {
      run.step = false;
      const info = await api.status(run.id);
      if (!info.epoch) await api.control(run.id, "step");
    }
  } catch (err) {
    if (app.run === run) showError(err.message);
  }
}

function ended(run, name, d) {
  run.state = name === "done" ? "done" : "error";
  emit(name, { id: run.id, ...d });
  setPlaying(false);
}

function failed(run, d) {
  ended(run, "error", d);
  setStatus(null);
  const hint = d.reason === "diverged" && !d.learning_rate ? ` ${t("Try a smaller learning rate, then press ▶.")}` : "";
  showError(`${d.message || t("The run failed on the server.")}${hint}`);
  if (d.reason === "diverged") showHint(t("Training diverged"));
}

function streamHandlers(run) {
  const mine = (fn) => (data) => app.run === run && fn(data);
  return {
    queued: mine((d) => {
      run.state = "queued";
      setStatus(t("Waiting for a free trainer: you are number {position} in the queue.", { position: d.position }));
    }),
    started: mine(() => {
      if (run.state === "queued" || run.state === "starting") run.state = "running";
      setStatus(null);
    }),
    frame: mine((f) => {
      app.stats.framesReceived++;
      app.latest = f;
      emit("frame", f);
      app.views.curves.append(f.history);
      draw({ boundary: true, frame: true });
    }),
    state: mine((d) => {
      run.state = d.state;
      emit("state", { id: run.id, state: d.state });
    }),
    done: mine((d) => {
      ended(run, "done", d);
      setStatus(DONE_MESSAGES[d.reason]?.(d) ?? t("The run ended ({reason}).", { reason: d.reason }));
    }),
    error: mine((d) => failed(run, d)),
    connection: mine((text) => setStatus(text)),
    gone: mine((text) => {
      run.state = "gone";
      setPlaying(false);
      setStatus(null);
      showError(text);
    }),
  };
}

export function stopRun() {
  runToken++;
  const run = app.run;
  app.run = null;
  if (!run) return;
  run.stream?.close();
  if (run.id && active(run)) api.control(run.id, "stop").catch(() => {});
  setStatus(null);
}

export function play() {
  showError(null);
  setPlaying(true);
  const run = app.run;
  if (!active(run)) {
    if (run) resetView(); // a finished run: train again from the start
    stopRun();
    startRun();
  } else if (run.id) {
    api.control(run.id, "resume").catch((err) => app.run === run && showError(err.message));
  }
}

export function pause() {
  setPlaying(false);
  if (app.run?.id && active(app.run)) pauseRun(app.run);
}

export async function step() {
  showError(null);
  const run = app.run;
  const wasPlaying = app.playing;
  setPlaying(false);
  if (!active(run)) {
    if (run) resetView();
    stopRun();
    return startRun({ step: true });
  }
  if (!run.id) return void (run.step = true);
  try {
    if (wasPlaying) await api.control(run.id, "pause");
    await api.control(run.id, "step");
  } catch (err) {
    if (app.run === run) showError(err.message);
  }
}

export function reset() {
  showError(null);
  stopRun();
  setPlaying(false);
  resetView();
}
