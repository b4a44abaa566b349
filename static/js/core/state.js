// Every setting of the page in one object that round-trips through the URL hash
// (as TF Playground's state.ts does). TF Playground's own hash keys are read too (tflink.js).

import { COURSE_DEFAULTS, COURSE_KEYS, courseConfig, decodeCourse, encodeCourse } from "./course-state.js";
import { liveFields, offered, pageRange } from "./fields.js";
import { fromTfParams, isTfParams, parseHide } from "./tflink.js";

export const FEATURES = [
  { id: "x1", label: "X₁", tf: "x", f: (x) => x },
  { id: "x2", label: "X₂", tf: "y", f: (x, y) => y },
  { id: "x1_squared", label: "X₁²", tf: "xSquared", f: (x) => x * x },
  { id: "x2_squared", label: "X₂²", tf: "ySquared", f: (x, y) => y * y },
  { id: "x1_x2", label: "X₁X₂", tf: "xTimesY", f: (x, y) => x * y },
  { id: "sin_x1", label: "sin(X₁)", tf: "sinX", f: (x) => Math.sin(x) },
  { id: "sin_x2", label: "sin(X₂)", tf: "sinY", f: (x, y) => Math.sin(y) },
];
// The simple panel's limits come from the server's description of hidden_layers (core/fields.js).
export const LIMITS = {
  get layers() { return pageRange("hidden_layers").max_items; },
  get neurons() { return pageRange("hidden_layers").max; },
  newLayerNeurons: 2, // TF Playground: a new layer starts with 2 neurons
};
export const N_SAMPLES = { classification: 500, regression: 1200 }; // TF Playground's point counts

export const DEFAULTS = Object.freeze({
  problem: "classification",
  dataset: "circle",
  noise: 0,
  n_classes: null, // blobs and spiral arms: 3–5 classes; null = the dataset's own (3), left out of the hash
  train_ratio: 50,
  batch_size: 10,
  seed: 0,
  features: ["x1", "x2"],
  hidden_layers: [4, 2],
  activation: "tanh",
  learning_rate: 0.03,
  regularization: "none",
  regularization_rate: 0,
  pace: 60,
  epochs: 50000,
  mode: "keras",
  grid_resolution: 50,
  show_test: false,
  discretize: false,
  target_loss: null, // stop condition (null = off); left out of the hash while off
  ...COURSE_DEFAULTS, // Advanced mode (course-state.js): in the hash only when advanced is on
});

// Settings that only change the view or apply live: everything else restarts the run.
export const VIEW_ONLY = new Set(["show_test", "discretize"]);
// Live (POST /set, no restart; docs/parity.md): the server's list, from /api/config. Pace falls back to a
// restart if /set refuses it.
const isLive = (key) => liveFields().has(key);
// Settings that change the generated points.
export const DATA_KEYS = new Set(["problem", "dataset", "noise", "n_classes", "train_ratio", "seed", "n_samples",
  "advanced"]);

// Hash values accepted for the selects: what the page offers (core/fields.js).
const ENUMS = ["problem", "activation", "regularization", "mode"];
const NUMBERS = [
  "noise", "train_ratio", "batch_size", "seed", "learning_rate", "regularization_rate", "epochs", "grid_resolution",
  "target_loss", "n_classes",
];
const BOOLEANS = ["show_test", "discretize"];

export function randomSeed() {
  return Math.floor(Math.random() * 2 ** 31);
}

export function copySettings(s) {
  return { ...s, features: [...s.features], hidden_layers: [...s.hidden_layers], hide: [...(s.hide || [])] };
}

/** The hash for a settings object: every key, in a fixed order, readable. */
export function toHash(s) {
  const p = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) {
    const v = s[key];
    if (COURSE_KEYS.has(key)) {
      if (s.advanced) p.set(key, encodeCourse(key, v));
      continue;
    }
    if (v !== null && v !== undefined) p.set(key, Array.isArray(v) ? v.join(",") : String(v));
  }
  for (const name of s.hide || []) p.set(`${name}_hide`, "true");
  return "#" + p.toString().replaceAll("%2C", ",").replaceAll("%3A", ":");
}

function setNumber(s, key, raw) {
  if (raw === null || raw === "") return;
  const v = Number(raw);
  if (Number.isFinite(v)) s[key] = v; // range errors are the server's to report, with its message
}

/** Settings from a hash (ours or TF Playground's); unknown keys and enum values are ignored. */
export function fromHash(hash) {
  const p = new URLSearchParams((hash || "").replace(/^#/, ""));
  const s = copySettings(DEFAULTS);
  s.seed = randomSeed();
  s.hide = parseHide(p);
  if (isTfParams(p)) return fromTfParams(p, s).settings; // what it cannot keep, share.js reports
  for (const key of ENUMS) {
    if (offered(key).includes(p.get(key))) s[key] = p.get(key);
  }
  for (const key of NUMBERS) setNumber(s, key, p.get(key));
  for (const key of BOOLEANS) if (p.has(key)) s[key] = p.get(key) !== "false";
  if (p.get("dataset")) s.dataset = p.get("dataset");
  else if (s.problem === "regression") s.dataset = "plane";
  if (p.get("pace") === "max") s.pace = "max";
  else setNumber(s, "pace", p.get("pace"));
  if (p.has("features")) {
    const known = FEATURES.map((f) => f.id);
    s.features = p.get("features").split(",").filter((f) => known.includes(f));
  }
  if (p.has("hidden_layers")) s.hidden_layers = parseShape(p.get("hidden_layers"));
  return Object.assign(s, decodeCourse(p));
}

// Classroom links (`<control>_hide=true`, TF Playground's names too): the tables live in tflink.js.
export { HIDABLE, TF_HIDE_NAMES } from "./tflink.js";

function parseShape(text) {
  return text === "" ? [] : text.split(",").map(Number).filter((n) => Number.isInteger(n));
}

/** The RunConfig body (docs/api.md) for these settings. */
export function runConfig(s) {
  return {
    problem: s.problem,
    dataset: s.dataset,
    n_samples: N_SAMPLES[s.problem] || 500,
    noise: s.noise,
    ...(s.n_classes ? { n_classes: s.n_classes } : {}), // the server refuses it for a two-class dataset
    train_ratio: s.train_ratio,
    seed: s.seed,
    features: [...s.features],
    hidden_layers: [...s.hidden_layers],
    activation: s.activation,
    learning_rate: s.learning_rate,
    batch_size: s.batch_size,
    regularization: s.regularization,
    regularization_rate: s.regularization_rate,
    epochs: s.epochs,
    pace: s.pace,
    grid_resolution: s.grid_resolution,
    mode: s.mode,
    target_loss: s.target_loss ?? null,
    ...courseConfig(s),
  };
}

/** Which kind of change going from a to b is: "none", "view", "live" or "restart" (and whether data changed). */
export function diff(a, b) {
  const text = (s, k) => (COURSE_KEYS.has(k) ? JSON.stringify(s[k]) : String(s[k]));
  const changed = Object.keys(DEFAULTS).filter((k) => text(a, k) !== text(b, k));
  let kind = "none";
  if (changed.some((k) => VIEW_ONLY.has(k))) kind = "view";
  if (changed.some((k) => isLive(k))) kind = "live";
  if (changed.some((k) => !VIEW_ONLY.has(k) && !isLive(k))) kind = "restart";
  return { kind, changed, data: changed.some((k) => DATA_KEYS.has(k)) };
}
