// What a neuron's equation needs besides the weights, read from the page's settings: the inputs'
// names, each hidden layer's activation and batch norm, the output's activation, and the loss with
// its penalty. Kept apart from core/equation.js so that one stays pure (testable without the page).

import { datasets, losses } from "./fields.js";
import { FEATURES, runConfig } from "./state.js";
import { lossFormula, resolvedLoss } from "./equation.js";

/** Hidden layer i's {activation, batch_norm} as the run is built (advanced mode: per layer). */
function hiddenLayer(config, i) {
  const layer = config.layers?.[i];
  return layer ? { activation: layer.activation, batch_norm: Boolean(layer.batch_norm) }
    : { activation: config.activation, batch_norm: Boolean(config.batch_norm) };
}

/** The loss the settings train with, its output activation and the penalty (app/engine/model.py's rules). */
export function lossOf(settings) {
  const config = runConfig(settings);
  const dataset = datasets().find((d) => d.name === config.dataset);
  const classes = config.problem === "classification" ? (config.n_classes || dataset?.n_classes || 2) : 1;
  const name = resolvedLoss({ ...config, classes });
  const layerReg = (config.layers || []).find((layer) => layer.regularization && layer.regularization !== "none");
  const regularization = layerReg ? layerReg.regularization : config.regularization;
  const rate = layerReg ? layerReg.regularization_rate : config.regularization_rate;
  const classic = config.mode === "classic";
  let output = losses().find((l) => l.name === name)?.output ?? "sigmoid";
  if (config.problem === "regression") output = "linear";
  else if (classic) output = "tanh";
  return { name, output, formula: lossFormula(name, { regularization, rate, classic }), regularization, rate };
}

/** {inputs, activations, batchNorm, output} for core/equation.js equationLines. */
export function equationContext(settings, weights) {
  const config = runConfig(settings);
  const hidden = config.hidden_layers.map((_, i) => hiddenLayer(config, i));
  const outputs = weights?.[weights.length - 1]?.bias?.length ?? 1;
  return {
    inputs: FEATURES.filter((f) => settings.features.includes(f.id)).map((f) => f.label.toLowerCase()),
    activations: hidden.map((h) => h.activation),
    batchNorm: hidden.map((h) => h.batch_norm),
    output: outputs > 1 ? "softmax" : lossOf(settings).output,
  };
}
