// Setting changes: every control reports a partial settings object here; the change is written to the
// URL hash and sorted by state.js's diff into "view" (redraw), "live" (POST /set) or "restart".

import { api } from "../core/api.js";
import { emit } from "../core/hooks.js";
import { t } from "../core/i18n.js";
import { copySettings, diff, LIMITS, randomSeed, runConfig, toHash } from "../core/state.js";
import { app, showError } from "./app.js";
import { draw } from "./render.js";
import { active, liveChange, restart } from "./run.js";

// TF Playground draws a new seed whenever the data changes.
const NEW_SEED_ON = ["problem", "dataset", "noise", "n_classes", "train_ratio"];
let pointsToken = 0;

export function writeHash() {
  history.replaceState(null, "", toHash(app.settings));
}

/** Apply a partial change as a learner makes it (another problem picks its first dataset; data changes reseed). */
export function change(partial) {
  const next = { ...copySettings(app.settings), ...partial };
  if (partial.problem && partial.problem !== app.settings.problem) {
    next.dataset = app.datasets.find((d) => d.problem === partial.problem)?.name || next.dataset;
  }
  if (next.dataset !== app.settings.dataset && !("n_classes" in partial)) next.n_classes = null; // its own count
  if (NEW_SEED_ON.some((k) => k in partial && partial[k] !== app.settings[k])) next.seed = randomSeed();
  apply(next);
}

/** Show a whole settings object and do what its difference from the current one needs. */
export function apply(next) {
  const { controls, boundary, network } = app.views;
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
  restart();
}

/** The points of the current settings into the boundary (a newer request wins). */
export function loadPoints() {
  const token = ++pointsToken;
  const s = app.settings;
  api.dataset(s.dataset, { n_samples: runConfig(s).n_samples, noise: s.noise, train_ratio: s.train_ratio, seed: s.seed,
    n_classes: s.n_classes })
    .then((data) => {
      if (token !== pointsToken) return;
      app.views.boundary.setPoints(data, s.problem);
      draw({ boundary: true });
    })
    .catch((err) => token === pointsToken && showError(t("Could not load the dataset: {error}", { error: err.message })));
}

/** New data (a new seed); a live run keeps its network and epoch, as in TF Playground. */
export async function regenerate() {
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

/** The network's + / − buttons and feature toggles, as partial changes. */
export const shape = {
  addLayer() {
    const layers = app.settings.hidden_layers;
    if (layers.length < LIMITS.layers) change({ hidden_layers: [...layers, LIMITS.newLayerNeurons] });
  },
  removeLayer: () => change({ hidden_layers: app.settings.hidden_layers.slice(0, -1) }),
  toggleFeature(id) {
    const on = app.settings.features.includes(id);
    const features = on ? app.settings.features.filter((f) => f !== id) : [...app.settings.features, id];
    if (features.length === 0) return showError(t("Keep at least one input feature."));
    change({ features });
  },
  addNeuron: (l) => change({
    hidden_layers: app.settings.hidden_layers.map((n, i) => (i === l ? Math.min(n + 1, LIMITS.neurons) : n)),
  }),
  removeNeuron: (l) => change({
    hidden_layers: app.settings.hidden_layers.map((n, i) => (i === l ? Math.max(n - 1, 1) : n)),
  }),
};
