// The advanced (course) settings: their defaults, their compact URL-hash form, and the part of the
// RunConfig body they make. They apply only when `advanced` is on, so a Simple-mode page (and every
// old link) sends and shows exactly what it did before. Units and the number of hidden layers stay
// in `hidden_layers` (the network diagram edits them); `layers` holds each layer's other options.

import { choicesOf } from "./fields.js";

export const LAYER_DEFAULT = Object.freeze({
  activation: "tanh",
  dropout: 0,
  batch_norm: false,
  regularization: "none",
  regularization_rate: 0,
  activity_regularization: "none",
  activity_regularization_rate: 0,
  max_norm: 0,
  initializer: "glorot_uniform",
});
export const EARLY_STOPPING_DEFAULT = Object.freeze({
  monitor: "val_loss", patience: 20, min_delta: 0, mode: "auto", restore_best_weights: true,
});
export const LR_SCHEDULE_DEFAULT = Object.freeze({ kind: "step", factor: 0.5, every: 100, min_ratio: 0 });
export const REDUCE_LR_DEFAULT = Object.freeze({ monitor: "val_loss", factor: 0.5, patience: 10, min_lr: 0.00001 });


export const COURSE_DEFAULTS = Object.freeze({
  advanced: false,
  layers: [],
  input_dropout: 0,
  n_samples: 0, // 0: TF Playground's count for the problem
  optimizer: "sgd",
  momentum: 0,
  nesterov: false,
  beta_1: 0.9,
  beta_2: 0.999,
  rho: 0.9,
  loss: "auto",
  early_stopping: null,
  lr_schedule: null,
  reduce_lr: null,
});
export const COURSE_KEYS = new Set(Object.keys(COURSE_DEFAULTS));

// Field order of the ":"-joined hash form of each object setting ("" / "off" = none), and the RunConfig
// field whose nested choices (served by /api/config, core/fields.js) each of its enum parts takes.
const SHAPES = {
  layer: [LAYER_DEFAULT, "layers", ["activation", "regularization", "activity_regularization", "initializer"]],
  early_stopping: [EARLY_STOPPING_DEFAULT, "early_stopping", ["monitor", "mode"]],
  lr_schedule: [LR_SCHEDULE_DEFAULT, "lr_schedule", ["kind"]],
  reduce_lr: [REDUCE_LR_DEFAULT, "reduce_lr", ["monitor"]],
};
const ENUMS = ["optimizer"];
const NUMBERS = ["input_dropout", "n_samples", "momentum", "beta_1", "beta_2", "rho"];

function encodeObject(shape, obj) {
  const [defaults] = SHAPES[shape];
  return Object.keys(defaults).map((k) => (typeof defaults[k] === "boolean" ? (obj[k] ? 1 : 0) : obj[k])).join(":");
}

/** An object from its ":"-joined form; a part that is missing or not of the right kind keeps the default. */
function decodeObject(shape, text) {
  const [defaults, owner, enums] = SHAPES[shape];
  const parts = text.split(":");
  const out = { ...defaults };
  Object.keys(defaults).forEach((k, i) => {
    const raw = parts[i];
    if (raw === undefined || raw === "") return;
    if (enums.includes(k)) {
      if (choicesOf(`${owner}.${k}`).includes(raw)) out[k] = raw;
    } else if (typeof defaults[k] === "boolean") {
      out[k] = raw !== "0" && raw !== "false";
    } else if (Number.isFinite(Number(raw))) {
      out[k] = Number(raw); // range errors are the server's to report
    }
  });
  return out;
}

/** The hash text of one course setting. */
export function encodeCourse(key, value) {
  if (key === "layers") return value.map((layer) => encodeObject("layer", layer)).join(",");
  if (key in SHAPES) return value ? encodeObject(key, value) : "off";
  return String(value);
}

/** The course settings of a hash's parameters (all defaults unless `advanced=true`). */
export function decodeCourse(params) {
  const s = { ...COURSE_DEFAULTS };
  if (params.get("advanced") !== "true") return s;
  s.advanced = true;
  if (params.get("layers")) s.layers = params.get("layers").split(",").map((text) => decodeObject("layer", text));
  for (const key of ["early_stopping", "lr_schedule", "reduce_lr"]) {
    const raw = params.get(key);
    if (raw && raw !== "off") s[key] = decodeObject(key, raw);
  }
  for (const key of ENUMS) if (choicesOf(key).includes(params.get(key))) s[key] = params.get(key);
  for (const key of NUMBERS) {
    const raw = params.get(key);
    if (raw !== null && raw !== "" && Number.isFinite(Number(raw))) s[key] = Number(raw);
  }
  if (params.has("nesterov")) s.nesterov = params.get("nesterov") === "true";
  if (params.get("loss")) s.loss = params.get("loss"); // the server names the allowed losses
  return s;
}

/** Layer i's options: its own, else the simple panel's activation and regularization. */
export function layerAt(s, i) {
  if (s.layers[i]) return s.layers[i];
  const simple = { activation: s.activation, regularization: s.regularization, regularization_rate: s.regularization_rate };
  return { ...LAYER_DEFAULT, ...(choicesOf("layers.activation").includes(s.activation) ? simple : {}) };
}

/** Per-layer options for the current hidden layers (what Advanced mode starts from). */
export function layersFor(s) {
  return s.hidden_layers.map((_, i) => ({ ...layerAt(s, i) }));
}

/** The RunConfig fields of the advanced settings ({} in Simple mode). */
export function courseConfig(s) {
  if (!s.advanced) return {};
  const out = {
    layers: s.hidden_layers.map((units, i) => ({ ...layerAt(s, i), units })),
    input_dropout: s.input_dropout,
    optimizer: s.optimizer,
    momentum: s.momentum,
    nesterov: s.nesterov,
    beta_1: s.beta_1,
    beta_2: s.beta_2,
    rho: s.rho,
    loss: s.loss,
    early_stopping: s.early_stopping,
    lr_schedule: s.lr_schedule,
    reduce_lr: s.reduce_lr,
  };
  if (s.n_samples > 0) out.n_samples = s.n_samples;
  return out;
}
