// A neuron's equation as text, from a frame's weights: `h₁,₃ = tanh(0.42·x₁ − 1.30·x₂ + 0.10)`.
// Pure (no DOM; only /api/config's loss rule, through core/fields.js) so the browser tests can import and
// check it directly. The names:
// inputs as the features (x₁, x₂, x₁², …), hidden neurons h<layer>,<neuron> (1-based), the output ŷ.
// Loss formulas live here too: one text per loss the server names (/api/config "losses").

import { autoLoss } from "./fields.js";

const SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉";
const MINUS = "−"; // U+2212, the typographic minus

/** Digits as subscripts: 12 -> "₁₂". */
export function subscript(n) {
  return String(n).replace(/\d/g, (d) => SUBSCRIPTS[Number(d)]);
}

/** The name of hidden neuron k (0-based) of hidden layer l (0-based): "h₁,₁". */
export function hiddenName(l, k) {
  return `h${subscript(l + 1)},${subscript(k + 1)}`;
}

/** |v| with `digits` decimals and its sign, a rounded zero counted as positive (no "−0.00"). */
function magnitude(v, digits) {
  const text = Math.abs(Number(v)).toFixed(digits);
  const negative = Number(v) < 0 && Number(text) !== 0;
  return { negative, text };
}

/** A signed number as shown in an equation: "0.42", "−1.30". */
export function formatWeight(v, digits = 2) {
  const { negative, text } = magnitude(v, digits);
  return negative ? MINUS + text : text;
}

/** The weighted sum w·x + … + b: "0.42·x₁ − 1.30·x₂ + 0.10". */
export function weightedSum(weights, inputs, bias, digits = 2) {
  const parts = [];
  weights.forEach((w, i) => {
    const { negative, text } = magnitude(w, digits);
    const term = `${text}·${inputs[i]}`;
    parts.push(parts.length ? `${negative ? MINUS : "+"} ${term}` : (negative ? MINUS : "") + term);
  });
  const { negative, text } = magnitude(bias, digits);
  parts.push(parts.length ? `${negative ? MINUS : "+"} ${text}` : (negative ? MINUS : "") + text);
  return parts.join(" ");
}

/** `name = act(sum)`; a linear activation shows the sum alone; batch norm wraps the sum in BN(…). */
export function neuronEquation({ name, weights, inputs, bias, activation = "linear", batchNorm = false, digits = 2 }) {
  let body = weightedSum(weights, inputs, bias, digits);
  if (batchNorm) body = `BN(${body})`;
  return activation === "linear" ? `${name} = ${body}` : `${name} = ${activation}(${body})`;
}

/**
 * The equation lines of one neuron of a network.
 *
 * weights: the frame's `weights` ([{kernel: [[w from node i to node k]], bias: [...]}], the last the output layer);
 * layer: the Dense layer's index (hidden layers 0.., the output layer weights.length - 1); index: the neuron in it;
 * ctx: {inputs: the features' names, activations: per hidden layer, batchNorm: per hidden layer, output: the output
 * layer's activation}. The output of a softmax layer is one line per class and the softmax over them.
 */
export function equationLines(weights, layer, index, ctx, digits = 2) {
  const dense = weights?.[layer];
  if (!dense) return [];
  const last = layer === weights.length - 1;
  const inputs = layer === 0 ? ctx.inputs : dense.kernel.map((_, i) => hiddenName(layer - 1, i));
  const column = (k) => dense.kernel.map((row) => row[k]);
  if (!last) {
    return [neuronEquation({
      name: hiddenName(layer, index), weights: column(index), inputs, bias: dense.bias[index],
      activation: ctx.activations?.[layer] ?? "linear", batchNorm: Boolean(ctx.batchNorm?.[layer]), digits,
    })];
  }
  const units = dense.bias.length;
  if (units === 1) {
    return [neuronEquation({ name: "ŷ", weights: column(0), inputs, bias: dense.bias[0], activation: ctx.output, digits })];
  }
  const zs = Array.from({ length: units }, (_, c) => `z${subscript(c + 1)}`);
  return [
    ...zs.map((z, c) => neuronEquation({ name: z, weights: column(c), inputs, bias: dense.bias[c], digits })),
    `ŷ = ${ctx.output || "softmax"}(${zs.join(", ")})`,
  ];
}

// Loss name (app/config/options.py LOSS_TABLE) -> [its formula over the N training points, what its symbols are];
// y the target, ŷ the output.
const LOSS_FORMULAS = {
  binary_crossentropy: ["L = −(1/N)·Σ [y·log ŷ + (1 − y)·log(1 − ŷ)]", ""],
  categorical_crossentropy: ["L = −(1/N)·Σ log ŷ_y", "ŷ_y = the output for the true class"],
  hinge: ["L = (1/N)·Σ max(0, 1 − y·ŷ)", "y = ±1"],
  focal: ["L = −(1/N)·Σ (1 − p)²·log p", "p = ŷ if y = 1, else 1 − ŷ"],
  weighted_bce: ["L = −(1/N)·Σ [3·y·log ŷ + (1 − y)·log(1 − ŷ)]", ""],
  square: ["L = (1/N)·Σ ½·(ŷ − y)²", "y = ±1"],
  mse: ["L = (1/N)·Σ (ŷ − y)²", ""],
  mae: ["L = (1/N)·Σ |ŷ − y|", ""],
  huber: ["L = (1/N)·Σ [½·(ŷ − y)² if |ŷ − y| ≤ 1, else |ŷ − y| − ½]", ""],
};

/** The loss the run uses: "auto" looked up in the server's rule (core/fields.js autoLoss). */
export function resolvedLoss({ loss = "auto", problem, mode, classes = 2 }) {
  if (loss && loss !== "auto") return loss;
  return autoLoss({ problem, classic: mode === "classic", classes });
}

/** The penalty a kernel regularizer adds: " + λ·Σ w²" (classic mode's L2 is TF Playground's λ·Σ w²/2). */
export function penaltyTerm(kind, rate, classic = false) {
  if (!kind || kind === "none" || !rate) return "";
  const l2 = classic ? "½·λ·Σ w²" : "λ·Σ w²";
  const terms = { l1: "λ·Σ |w|", l2, l1_l2: `λ·Σ |w| + ${l2}` };
  return terms[kind] ? ` + ${terms[kind]}` : "";
}

/** The loss as a formula (the penalty added), or null for a loss without one here. */
export function lossFormula(name, { regularization = "none", rate = 0, classic = false } = {}) {
  const [formula, where] = LOSS_FORMULAS[name] ?? [];
  if (!formula) return null;
  return formula + penaltyTerm(regularization, rate, classic) + (where ? `,  ${where}` : "");
}
