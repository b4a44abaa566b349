// The page controller: settings -> run lifecycle (create, stream, pause/resume/step/stop,
// restart on a setting change, live learning rate) -> throttled rendering of the latest frame.

import { api } from "./core/api.js";
import { Boundary } from "./views/boundary.js";
import { Controls } from "./panels/controls.js";
import { Curves } from "./views/curves.js";
import { decodeGrid } from "./views/grid.js";
import { emit, on } from "./core/hooks.js";
import { formatNumber, loadEmbedded, t } from "./core/i18n.js";
import { Network } from "./views/network.js";
import { PANELS } from "./panels/index.js";
import { copySettings, diff, fromHash, LIMITS, randomSeed, runConfig, toHash } from "./core/state.js";
import { RunStream } from "./core/stream.js";

const $ = (id) => document.getElementById(id);

const FALLBACK_DATASETS = [
  { name: "circle", title: "Circle", problem: "classification" },
  { name: "xor", title: "Exclusive or", problem: "classification" },
  { name: "gauss", title: "Gaussian", problem: "classification" },
  { name: "spiral", title: "Spiral", problem: "classification" },
  { name: "moons", title: "Moons", problem: "classification" },
  { name: "plane", title: "Plane", problem: "regression" },
  { name: "multigauss", title: "Multi Gaussian", problem: "regression" },
];
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

const app = {
  settings: null,
  datasets: FALLBACK_DATASETS,
  run: null, // {id, stream, token, state, step}
  playing: false, // what the learner asked for
  latest: null, // newest frame not yet drawn
  shown: null, // the frame on screen
  hover: null, // the node shown in the main heatmap
  stats: { framesReceived: 0, framesRendered: 0 },
};
let runToken = 0;
let pointsToken = 0;
let nextCreate = null; // a panel's one-shot way to create the next run (share.js: fork a saved run)
let controls, network, boundary, curves;

// ---------------------------------------------------------------- messages

function setStatus(text) {
  const box = $("status");
  box.textContent = text || "";
  box.hidden = !text;
}

function showError(text) {
  $("error-text").textContent = text;
  $("error").hidden = !text;
}

// ---------------------------------------------------------------- settings

function writeHash() {
  history.replaceState(null, "", toHash(app.settings));
}

function change(partial) {
  const next = { ...copySettings(app.settings), ...partial };
  if (partial.problem && partial.problem !== app.settings.problem) {
    next.dataset = app.datasets.find((d) => d.problem === partial.problem)?.name || next.dataset;
  }
  if (next.dataset !== app.settings.dataset && !("n_classes" in partial)) next.n_classes = null; // its own count
  // TF Playground draws a new seed whenever the data changes.
  const dataChange = ["problem", "dataset", "noise", "n_classes", "train_ratio"]
    .some((k) => k in partial && partial[k] !== app.settings[k]);
  if (dataChange) next.seed = randomSeed();
  apply(next);
}

function apply(next) {
  const d = diff(app.settings, next);
  app.settings = next;
  writeHash();
  controls.show(next, LIMITS);
  boundary.setOptions({ discretize: next.discretize, showTest: next.show_test });
  emit("settings", { settings: copySettings(next), kind: d.kind });
  if (d.kind === "none") return;
  if (d.kind === "view") return draw({ boundary: true, output: true });
  if (d.kind === "live") return liveChange(d.changed);
  showError(null);
  if (d.changed.includes("features") || d.changed.includes("hidden_layers")) network.build(next);
  if (d.data) loadPoints();
  const wasPlaying = app.playing;
  stopRun();
  resetView();
  if (wasPlaying) play();
}

async function liveChange(changed) {
  const run = app.run;
  if (!run?.id || !["running", "paused", "queued", "starting"].includes(run.state)) return;
  const values = Object.fromEntries(changed.map((k) => [k, app.settings[k]]));
  try {
    await api.set(run.id, values);
  } catch (err) {
    if (run !== app.run) return;
    if (changed.includes("pace")) {
      // This server cannot change the pace live: restart as for any other setting.
      const wasPlaying = app.playing;
      stopRun();
      resetView();
      if (wasPlaying) play();
    } else {
      showError(err.message);
    }
  }
}

function loadPoints() {
  const token = ++pointsToken;
  const s = app.settings;
  api.dataset(s.dataset, { n_samples: runConfig(s).n_samples, noise: s.noise, train_ratio: s.train_ratio, seed: s.seed,
    n_classes: s.n_classes })
    .then((data) => {
      if (token !== pointsToken) return;
      boundary.setPoints(data, s.problem);
      draw({ boundary: true });
    })
    .catch((err) => token === pointsToken && showError(t("Could not load the dataset: {error}", { error: err.message })));
}

// ---------------------------------------------------------------- the run

function setPlaying(playing) {
  app.playing = playing;
  controls.setPlaying(playing);
}

function active(run) {
  return run && !["done", "error", "gone"].includes(run.state);
}

async function startRun({ step = false } = {}) {
  const token = ++runToken;
  const fork = nextCreate;
  nextCreate = null;
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
    if (token !== runToken) return;
    app.run = null;
    if (err.status === 429 && app.playing) {
      const wait = Math.min(Math.max(err.retryAfter || 2, 1), 30);
      setStatus(t("The server is busy: every trainer is taken. Trying again in {seconds} s…", { seconds: wait }));
      setTimeout(() => {
        if (token !== runToken || !app.playing || app.run) return;
        nextCreate = fork; // a fork retried stays a fork
        startRun();
      }, wait * 1000);
      return;
    }
    setStatus(null);
    setPlaying(false);
    showError(err.status === 400 ? `${t("The server rejected these settings.")}\n${err.message}` : err.message);
    return;
  }
  if (token !== runToken) {
    api.control(created.id, "stop").catch(() => {});
    return;
  }
  run.id = created.id;
  run.state = created.state || "queued";
  run.stream = new RunStream(created.events_url, streamHandlers(run));
  emit("run", { id: created.id });
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
      curves.append(f.history);
      draw({ boundary: true, frame: true });
    }),
    state: mine((d) => (run.state = d.state)),
    done: mine((d) => {
      run.state = "done";
      emit("done", { id: run.id, ...d });
      setPlaying(false);
      setStatus(DONE_MESSAGES[d.reason]?.(d) ?? t("The run ended ({reason}).", { reason: d.reason }));
    }),
    error: mine((d) => {
      run.state = "error";
      emit("error", { id: run.id, ...d });
      setPlaying(false);
      setStatus(null);
      const hint = d.reason === "diverged" && !d.learning_rate ? ` ${t("Try a smaller learning rate, then press ▶.")}` : "";
      showError(`${d.message || t("The run failed on the server.")}${hint}`);
      if (d.reason === "diverged") showHint(t("Training diverged"));
    }),
    connection: mine((text) => setStatus(text)),
    gone: mine((text) => {
      run.state = "gone";
      setPlaying(false);
      setStatus(null);
      showError(text);
    }),
  };
}

function stopRun() {
  runToken++;
  const run = app.run;
  app.run = null;
  if (!run) return;
  run.stream?.close();
  if (run.id && active(run)) api.control(run.id, "stop").catch(() => {});
  setStatus(null);
}

function play() {
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

function pause() {
  setPlaying(false);
  if (app.run?.id && active(app.run)) pauseRun(app.run);
}

async function step() {
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

/** New data (a new seed); a live run keeps its network and epoch, as in TF Playground. */
async function regenerate() {
  const run = app.run;
  const seed = randomSeed();
  if (!run?.id || !active(run)) return change({ seed });
  try {
    await api.regenerate(run.id, seed);
  } catch (err) {
    if (app.run === run) showError(err.message);
    return;
  }
  if (app.run !== run) return;
  app.settings = { ...copySettings(app.settings), seed };
  writeHash();
  loadPoints();
}

function reset() {
  showError(null);
  stopRun();
  setPlaying(false);
  resetView();
}

// ---------------------------------------------------------------- drawing

function showHint(text) {
  $("boundary-hint").textContent = text;
  $("boundary-hint").hidden = !text;
}

function resetView() {
  app.latest = null;
  app.shown = null;
  controls.setEpoch(0);
  controls.setMetrics(null);
  curves.reset();
  boundary.setGrid(null);
  network.clear();
  showHint(t("Press ▶ to train"));
  draw({ boundary: true });
  emit("reset", {});
}

const dirty = { boundary: false, frame: false, output: false };
let queued = false;

/** Ask for a redraw on the next animation frame; many frames between two paints draw once. */
function draw(parts) {
  Object.assign(dirty, Object.fromEntries(Object.entries(parts).filter(([, v]) => v)));
  if (!queued) {
    queued = true;
    requestAnimationFrame(render);
  }
}

/** Run fn and record its main-thread time as a performance measure (read by bench/bench_page.py). */
function timed(name, fn) {
  const start = performance.now();
  fn();
  performance.measure(name, { start, end: performance.now() });
}

/** One animation frame's drawing: the queued curve points, then only the newest frame. */
function render() {
  queued = false;
  const start = performance.now();
  const f = app.latest;
  app.latest = null;
  timed("kp-curves", () => curves.flush(() => draw({})));
  let frame = null;
  if (f || dirty.output) {
    frame = f || app.shown;
    if (frame) {
      const res = frame.boundary.resolution;
      boundary.setGrid(decodeGrid(frame.boundary.data, res), res);
      if (f) {
        controls.setEpoch(f.epoch);
        controls.setMetrics(f);
        controls.showLearningRate(f.learning_rate);
        showHint(null);
      }
      app.shown = frame;
    }
  }
  if (app.hover) {
    const grid = network.gridOf(app.hover);
    boundary.setOverride(grid?.values || null, grid?.resolution, app.hover.label);
  }
  // Plotly first: it reads the layout, which would otherwise also settle the network's changes here.
  if (dirty.boundary || dirty.output || f) timed("kp-boundary", () => boundary.render());
  if (frame) {
    const output = { ...boundary.grid, discretize: app.settings.discretize };
    timed("kp-network", () => network.update(frame, output));
  }
  dirty.boundary = dirty.frame = dirty.output = false;
  if (f) app.stats.framesRendered++;
  performance.measure("kp-render", { start, end: performance.now() });
}

function hover(node) {
  app.hover = node && node.kind !== "output" ? node : null;
  if (!app.hover) boundary.setOverride(null);
  draw({ boundary: true });
}

// ---------------------------------------------------------------- start-up

function datasetList(config) {
  let list = config?.datasets;
  if (list && !Array.isArray(list)) list = Object.entries(list).map(([name, info]) => ({ name, ...info }));
  if (!Array.isArray(list) || list.length === 0) return FALLBACK_DATASETS;
  return list
    .map((d) => (typeof d === "string" ? FALLBACK_DATASETS.find((f) => f.name === d) || { name: d, title: d } : d))
    .map((d) => ({ problem: "classification", title: d.name, ...d })); // multi-class: static/js/multiclass.js
}

/** TF Playground's thumbnails: 200 points at noise 0. */
function thumbPoints(name) {
  return api.dataset(name, { n_samples: 200, noise: 0, train_ratio: 50, seed: 1 });
}

function isTyping(target) {
  return target instanceof Element && Boolean(target.closest("input, select, textarea, button, a, [contenteditable]"));
}

function init() {
  loadEmbedded(); // the page's catalogue, before anything is drawn
  app.settings = fromHash(location.hash);
  controls = new Controls({
    change, play: () => (app.playing ? pause() : play()), step, reset,
    regenerate,
    addLayer: () => {
      if (app.settings.hidden_layers.length < LIMITS.layers) {
        change({ hidden_layers: [...app.settings.hidden_layers, LIMITS.newLayerNeurons] });
      }
    },
    removeLayer: () => change({ hidden_layers: app.settings.hidden_layers.slice(0, -1) }),
  });
  network = new Network($("network"), {
    toggleFeature: (id) => {
      const on = app.settings.features.includes(id);
      const features = on ? app.settings.features.filter((f) => f !== id) : [...app.settings.features, id];
      if (features.length === 0) return showError(t("Keep at least one input feature."));
      change({ features });
    },
    addNeuron: (l) => change({ hidden_layers: app.settings.hidden_layers.map((n, i) => (i === l ? Math.min(n + 1, LIMITS.neurons) : n)) }),
    removeNeuron: (l) => change({ hidden_layers: app.settings.hidden_layers.map((n, i) => (i === l ? Math.max(n - 1, 1) : n)) }),
    hover,
  });
  boundary = new Boundary($("boundary"), $("boundary-points"));
  curves = new Curves($("curves"));
  writeHash();
  controls.show(app.settings, LIMITS);
  network.build(app.settings);
  boundary.setOptions({ discretize: app.settings.discretize, showTest: app.settings.show_test });
  controls.setPlaying(false);
  resetView();
  loadPoints();
  api.config()
    .then((config) => (app.datasets = datasetList(config)))
    .catch((err) => showError(t("Could not read the server's settings ({error}); using the built-in list.", { error: err.message })))
    .finally(() => controls.setDatasets(app.datasets, thumbPoints, app.settings));

  $("error-dismiss").addEventListener("click", () => showError(null));
  document.addEventListener("keydown", (e) => {
    if ((e.code === "Space" || e.key === " ") && !e.ctrlKey && !e.metaKey && !e.altKey && !isTyping(e.target)) {
      e.preventDefault();
      app.playing ? pause() : play();
    }
  });
  window.addEventListener("hashchange", () => apply(fromHash(location.hash)));
  on("language", () => { // text composed here, in the new language; the run goes on
    controls.relabel(app.settings, LIMITS);
    curves.relabel();
    network.build(app.settings);
    draw({ boundary: true, output: true });
    if (!app.shown) showHint(t("Press ▶ to train"));
  });
  window.addEventListener("pagehide", () => app.run?.id && active(app.run) && api.stopBeacon(app.run.id));
  window.addEventListener("resize", () => {
    curves.resize();
    draw({ boundary: true });
  });
  // Small read-only hooks for the browser tests and the page benchmark.
  window.kp = {
    get settings() { return copySettings(app.settings); },
    get state() {
      return {
        playing: app.playing, run: app.run && { id: app.run.id, state: app.run.state },
        epoch: app.shown?.epoch ?? 0, learningRate: app.shown?.learning_rate ?? null,
      };
    },
    stats: app.stats,
  };
  const page = {
    get settings() { return copySettings(app.settings); },
    get run() { return app.run && { id: app.run.id, state: app.run.state }; },
    change, apply, play, pause, reset, showError, setStatus, draw,
    boundary, curves, network,
    /** Start the next run with `create()` (resolving to POST /api/runs' answer) instead of the settings. */
    playFrom(create) {
      reset();
      nextCreate = create;
      play();
    },
  };
  for (const initPanel of PANELS) {
    try {
      initPanel(page);
    } catch (err) {
      console.error(err);
      showError(t("A panel of the page could not start: {error}", { error: err.message }));
    }
  }
}

if (typeof Plotly === "undefined") {
  loadEmbedded();
  showError(t("The chart library (plotly.min.js) did not load. Reload the page."));
} else {
  init();
}
