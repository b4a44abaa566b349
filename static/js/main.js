// The playground page's entry: wait for the server's description of every setting (GET /api/config),
// then build the views, wire the controls to the run lifecycle (page/run.js), the setting changes
// (page/changes.js) and the rendering (page/render.js), and start the panels (panels/index.js).

import { api } from "./core/api.js";
import { datasets, loadFields } from "./core/fields.js";
import { on } from "./core/hooks.js";
import { loadEmbedded, t } from "./core/i18n.js";
import { copySettings, fromHash, LIMITS } from "./core/state.js";
import { $, app, setStatus, showError } from "./page/app.js";
import { apply, change, loadPoints, regenerate, shape, writeHash } from "./page/changes.js";
import { draw, hover, resetView, showHint } from "./page/render.js";
import { active, pause, play, reset, step } from "./page/run.js";
import { Controls } from "./panels/controls.js";
import { PANELS } from "./panels/index.js";
import { Boundary } from "./views/boundary.js";
import { Curves } from "./views/curves.js";
import { Network } from "./views/network.js";

const togglePlay = () => (app.playing ? pause() : play());

/** TF Playground's thumbnails: 200 points at noise 0. */
function thumbPoints(name) {
  return api.dataset(name, { n_samples: 200, noise: 0, train_ratio: 50, seed: 1 });
}

function isTyping(target) {
  return target instanceof Element && Boolean(target.closest("input, select, textarea, button, a, [contenteditable]"));
}

function buildViews() {
  app.views.controls = new Controls({ change, play: togglePlay, step, reset, regenerate,
    addLayer: shape.addLayer, removeLayer: shape.removeLayer });
  app.views.network = new Network($("network"), { ...shape, hover });
  app.views.boundary = new Boundary($("boundary"), $("boundary-points"));
  app.views.curves = new Curves($("curves"));
}

function showFirst() {
  const { controls, network, boundary } = app.views;
  writeHash();
  controls.show(app.settings, LIMITS);
  network.build(app.settings);
  boundary.setOptions({ discretize: app.settings.discretize, showTest: app.settings.show_test });
  controls.setPlaying(false);
  resetView();
  loadPoints();
  controls.setDatasets(app.datasets, thumbPoints, app.settings);
}

function relabel() { // text composed here, in the new language; the run goes on
  const { controls, curves, network } = app.views;
  controls.relabel(app.settings, LIMITS);
  curves.relabel();
  network.build(app.settings);
  draw({ boundary: true, output: true });
  if (!app.shown) showHint(t("Press ▶ to train"));
}

function listen() {
  $("error-dismiss").addEventListener("click", () => showError(null));
  document.addEventListener("keydown", (e) => {
    if ((e.code === "Space" || e.key === " ") && !e.ctrlKey && !e.metaKey && !e.altKey && !isTyping(e.target)) {
      e.preventDefault();
      togglePlay();
    }
  });
  window.addEventListener("hashchange", () => apply(fromHash(location.hash)));
  on("language", relabel);
  window.addEventListener("pagehide", () => app.run?.id && active(app.run) && api.stopBeacon(app.run.id));
  window.addEventListener("resize", () => {
    app.views.curves.resize();
    draw({ boundary: true });
  });
}

/** Small read-only hooks for the browser tests and the page benchmark. */
function exposeHooks() {
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
}

function startPanels() {
  const { boundary, curves, network } = app.views;
  const page = {
    get settings() { return copySettings(app.settings); },
    get run() { return app.run && { id: app.run.id, state: app.run.state }; },
    change, apply, play, pause, reset, showError, setStatus, draw,
    boundary, curves, network,
    /** Start the next run with `create()` (resolving to POST /api/runs' answer) instead of the settings. */
    playFrom(create) {
      reset();
      app.nextCreate = create;
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

async function init() {
  loadEmbedded(); // the page's catalogue, before anything is drawn
  try {
    await loadFields();
  } catch (err) {
    showError(t("Could not read the server's settings ({error}). Reload the page.", { error: err.message }));
    return;
  }
  app.datasets = datasets();
  app.settings = fromHash(location.hash);
  buildViews();
  showFirst();
  listen();
  exposeHooks();
  startPanels();
}

if (typeof Plotly === "undefined") {
  loadEmbedded();
  showError(t("The chart library (plotly.min.js) did not load. Reload the page."));
} else {
  init();
}
