// TensorFlow Playground links (playground.tensorflow.org/#activation=tanh&batchSize=10&...) turned into
// this page's settings. Every key TF Playground writes (its src/state.ts) is in TF_KEYS with what it
// becomes here; a key or value with no meaning here is REPORTED (returned in `ignored`), never dropped
// in silence. docs/share.md has the same table; tests/browser/test_share.py checks every row.
//
// No imports from state.js: state.js imports this module, and a cycle would read its tables too early.

import { offered } from "./fields.js";

/** Marks English text for the message extractor; share.js translates it with t() when shown. */
const N_ = (text) => text;

const REGULARIZATIONS = { none: "none", L1: "l1", L2: "l2", l1: "l1", l2: "l2" };
const DATASETS = { circle: "circle", xor: "xor", gauss: "gauss", spiral: "spiral" };
const REG_DATASETS = { "reg-plane": "plane", "reg-gauss": "multigauss" };
const FEATURE_KEYS = {
  x: "x1", y: "x2", xSquared: "x1_squared", ySquared: "x2_squared", xTimesY: "x1_x2", sinX: "sin_x1", sinY: "sin_x2",
};

/** [TF key, our setting or null, what happens]; null = no meaning here, reported to the learner. */
export const TF_KEYS = [
  ["activation", "activation", "relu, tanh, sigmoid, linear: the same names"],
  ["regularization", "regularization", "none, L1, L2 → none, l1, l2"],
  ["batchSize", "batch_size", "the same number"],
  ["dataset", "dataset", "circle, xor, gauss, spiral: the same generators (classification)"],
  ["regDataset", "dataset", "reg-plane → plane, reg-gauss → multigauss (regression); reg-maximum, reg-argmax are reported"],
  ["learningRate", "learning_rate", "the same number"],
  ["regularizationRate", "regularization_rate", "the same number"],
  ["noise", "noise", "the same percent (0–50)"],
  ["networkShape", "hidden_layers", "neurons per hidden layer"],
  ["seed", "seed", "TF's seed is text: it is hashed to a number, so the points differ from TF Playground's"],
  ["showTestData", "show_test", "the same switch"],
  ["discretize", "discretize", "the same switch"],
  ["percTrainData", "train_ratio", "the same percent"],
  ["x", "features", "X₁"],
  ["y", "features", "X₂"],
  ["xSquared", "features", "X₁²"],
  ["ySquared", "features", "X₂²"],
  ["xTimesY", "features", "X₁X₂"],
  ["sinX", "features", "sin(X₁)"],
  ["sinY", "features", "sin(X₂)"],
  ["cosX", null, N_("there is no cos(X₁) feature here")],
  ["cosY", null, N_("there is no cos(X₂) feature here")],
  ["problem", "problem", "classification, regression"],
  ["collectStats", null, N_("TF Playground's statistics collection has no equivalent here")],
  ["tutorial", null, N_("TF Playground's tutorials are not part of this page")],
  ["initZero", null, N_("zero initial weights are not offered: the weights start as in the chosen Maths mode")],
  ["hideText", "hide", N_("the page's header and footer text are hidden (classroom link)")],
  ["*_hide", "hide", N_("there is no such control to hide here")],
];

// Controls a classroom link may hide (`<name>_hide=true`): ours, and TF Playground's names for them.
export const HIDABLE = [
  "play_button", "step_button", "reset_button", "learning_rate", "activation", "regularization", "regularization_rate",
  "problem", "pace", "mode", "dataset", "train_ratio", "noise", "batch_size", "regenerate", "hidden_layers",
  "show_test", "discretize", "grid_resolution", "epochs", "target_loss", "text", ...Object.values(FEATURE_KEYS),
];
export const TF_HIDE_NAMES = {
  showTestData: "show_test", playButton: "play_button", stepButton: "step_button", resetButton: "reset_button",
  learningRate: "learning_rate", regularizationRate: "regularization_rate", percTrainData: "train_ratio",
  batchSize: "batch_size", numHiddenLayers: "hidden_layers", ...FEATURE_KEYS,
};

/** The control a `<name>_hide` key hides (TF Playground's names mapped to ours), or null if there is none. */
function hideName(key) {
  const raw = key.slice(0, -"_hide".length);
  const name = TF_HIDE_NAMES[raw] || raw;
  return HIDABLE.includes(name) ? name : null;
}

/** The hidden controls of a hash: every `<name>_hide` not "false", and TF Playground's hideText. */
export function parseHide(params) {
  const names = params.has("hideText") && params.get("hideText") !== "false" ? ["text"] : [];
  for (const [key, value] of params) {
    if (!key.endsWith("_hide") || value === "false") continue;
    const name = hideName(key);
    if (name && !names.includes(name)) names.push(name);
  }
  return names;
}

const KNOWN = new Set(TF_KEYS.map(([key]) => key));

/** Whether these hash parameters come from TF Playground rather than from this page. */
export function isTfParams(params) {
  return ["networkShape", "percTrainData", "learningRate", "batchSize", "regDataset"].some((k) => params.has(k));
}

/** The hash parameters of a pasted link: a full TF Playground URL, or only its hash. */
export function paramsOf(text) {
  const raw = String(text || "").trim();
  const hash = raw.includes("#") ? raw.slice(raw.indexOf("#") + 1) : raw;
  return new URLSearchParams(hash);
}

function number(raw) {
  if (raw === null || raw.trim() === "") return null;
  const v = Number(raw);
  return Number.isFinite(v) ? v : null; // range errors are the server's to report, with its message
}

function seedNumber(text) {
  return [...text].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 2 ** 31, 7);
}

/**
 * Settings from TF Playground hash parameters, starting from `base` (a settings object).
 * Returns {settings, ignored: [{key, value, reason, kind}]}; `reason` is English text for t(); kind:
 * "ignored" (it would change something, and cannot here), "off" (read, switched off, so nothing is lost),
 * "note" (mapped, with a difference worth knowing).
 */
export function fromTfParams(params, base) {
  const s = { ...base, features: [...base.features], hidden_layers: [...base.hidden_layers] };
  const ignored = [];
  const report = (key, value, reason, kind = "ignored") => ignored.push({ key, value, reason, kind });
  const bad = (key) => report(key, params.get(key), N_("this value is not understood here"));
  const set = (key, setting) => {
    if (!params.has(key)) return;
    const v = number(params.get(key));
    if (v === null) bad(key);
    else s[setting] = v;
  };
  const flag = (key) => params.get(key) !== "false";

  if (params.has("activation")) {
    if (offered("activation").includes(params.get("activation"))) s.activation = params.get("activation"); // the panel's
    else bad("activation");
  }
  if (params.has("problem")) {
    if (["classification", "regression"].includes(params.get("problem"))) s.problem = params.get("problem");
    else bad("problem");
  }
  if (params.has("regularization")) {
    const reg = REGULARIZATIONS[params.get("regularization")];
    if (reg) s.regularization = reg;
    else bad("regularization");
  }
  set("batchSize", "batch_size");
  set("learningRate", "learning_rate");
  set("regularizationRate", "regularization_rate");
  set("noise", "noise");
  set("percTrainData", "train_ratio");
  if (params.has("networkShape")) {
    const text = params.get("networkShape").trim();
    const shape = text === "" ? [] : text.split(",").map(Number);
    if (shape.every((n) => Number.isInteger(n) && n > 0)) s.hidden_layers = shape;
    else bad("networkShape");
  }
  // TF links carry both dataset keys; only the one of the chosen problem matters.
  const [key, table, fallback] = s.problem === "regression"
    ? ["regDataset", REG_DATASETS, "plane"] : ["dataset", DATASETS, "circle"];
  s.dataset = fallback;
  if (params.has(key)) {
    if (table[params.get(key)]) s.dataset = table[params.get(key)];
    else report(key, params.get(key), N_("this dataset does not exist here; the default one is used"));
  }
  if (Object.keys(FEATURE_KEYS).some((k) => params.has(k))) {
    s.features = Object.entries(FEATURE_KEYS).filter(([k]) => params.has(k) && flag(k)).map(([, id]) => id);
  }
  if (params.has("showTestData")) s.show_test = flag("showTestData");
  if (params.has("discretize")) s.discretize = flag("discretize");
  if (params.get("seed")) {
    s.seed = seedNumber(params.get("seed"));
    report("seed", params.get("seed"), N_("the seed becomes a number here, so the points differ from TF Playground's"),
      "note");
  }
  s.mode = "classic"; // a TF Playground link means TF Playground's maths
  s.hide = parseHide(params); // classroom links: the controls it hides

  for (const [name, value] of params) {
    if (name.endsWith("_hide")) {
      if (!hideName(name)) report(name, value, TF_KEYS.find(([k]) => k === "*_hide")[2], value === "false" ? "off" : "ignored");
    } else if (!KNOWN.has(name)) {
      report(name, value, N_("TensorFlow Playground has no such setting either"));
    } else {
      const row = TF_KEYS.find(([k]) => k === name);
      // A switched-off option that does not exist here loses nothing: reported apart, as "off".
      if (row[1] === null) report(name, value, row[2], flag(name) && value !== "" ? "ignored" : "off");
    }
  }
  return { settings: s, ignored };
}
