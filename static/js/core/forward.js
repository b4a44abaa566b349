// The boundary and neuron grids computed on the page from a frame's weights (docs/api.md "Frames from
// weights"): exactly Keras' inference graph — Dense, BatchNormalization at inference, each activation a
// RunConfig offers, softmax — over the server's grid points, encoded as the server encodes them, so every
// view reads the same `frame.boundary` and `frame.neurons` whichever side computed them.

const SELU_ALPHA = 1.6732632423543772; // tf.nn.selu's constants
const SELU_SCALE = 1.0507009873554805;
const LEAKY_SLOPE = 0.2; // keras.activations.leaky_relu's default negative_slope

/** erf(x) to ~1.2e-7 (Numerical Recipes' erfc Chebyshev fit): Keras' gelu is the exact, erf form. */
function erf(x) {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

const sigmoid = (x) => 1 / (1 + Math.exp(-x));

/** Keras' activations by the names RunConfig uses (app/config/options.py ACTIVATIONS). */
export const ACTIVATIONS = {
  linear: (x) => x,
  relu: (x) => (x > 0 ? x : 0),
  tanh: Math.tanh,
  sigmoid,
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  swish: (x) => x * sigmoid(x),
  leaky_relu: (x) => (x > 0 ? x : LEAKY_SLOPE * x),
};

/** The input features of app/data/features.py, by name. */
export const FEATURES = {
  x1: (a) => a,
  x2: (a, b) => b,
  x1_squared: (a) => a * a,
  x2_squared: (a, b) => b * b,
  x1_x2: (a, b) => a * b,
  sin_x1: (a) => Math.sin(a),
  sin_x2: (a, b) => Math.sin(b),
};

/** Can the page compute this frame's grids? (weights and a forward description it knows every part of) */
export function canForward(frame) {
  const spec = frame?.forward;
  const layers = frame?.weights;
  if (!spec || !Array.isArray(layers) || layers.length !== spec.activations.length + 1) return false;
  const outputs = ["linear", "tanh", "sigmoid", "softmax"];
  return spec.features.every((f) => f in FEATURES) && spec.activations.every((a) => a in ACTIVATIONS) &&
    outputs.includes(spec.output);
}

/** One Dense layer (+ batch norm at inference) on one input vector: the pre-activation values. */
function dense(layer, input) {
  const { kernel, bias, bn } = layer;
  const out = new Float64Array(bias.length);
  for (let k = 0; k < bias.length; k++) {
    let s = bias[k];
    for (let i = 0; i < input.length; i++) s += input[i] * kernel[i][k];
    if (bn) s = ((s - bn.mean[k]) / Math.sqrt(bn.variance[k] + bn.epsilon)) * bn.gamma[k] + bn.beta[k];
    out[k] = s;
  }
  return out;
}

/** Grid points over the extent, row-major, bottom row first (app/engine/frames.py grid_points). */
function points(resolution, [lo, hi]) {
  const axis = Array.from({ length: resolution }, (_, i) => lo + ((hi - lo) * i) / (resolution - 1));
  const out = [];
  for (let j = 0; j < resolution; j++) for (let i = 0; i < resolution; i++) out.push([axis[i], axis[j]]);
  return out;
}

/** The network on one raw point: every hidden layer's activations, then (unless hiddenOnly) the output. */
function run(frame, fns, [a, b], hiddenOnly) {
  const layers = frame.weights;
  let x = Float64Array.from(fns, (f) => f(a, b));
  const hidden = [];
  frame.forward.activations.forEach((name, l) => {
    const act = ACTIVATIONS[name];
    x = dense(layers[l], x).map(act);
    hidden.push(x);
  });
  return { hidden, output: hiddenOnly ? null : dense(layers[layers.length - 1], x) };
}

/** Quantize values in [-1, 1] to bytes as the server does (q = rint((v + 1)·127.5); NaN as 0) and base64 them. */
export function encodeGrid(values) {
  let s = "";
  for (const raw of values) {
    const v = Number.isNaN(raw) ? 0 : Math.min(1, Math.max(-1, raw));
    s += String.fromCharCode(Math.round((v + 1) * 127.5));
  }
  return btoa(s);
}

function softmax(z) {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const sum = e.reduce((p, q) => p + q, 0);
  return e.map((v) => v / sum);
}

/** The frame's `boundary` (as the server would send it) from the output layer over the fine grid. */
function boundaryOf(frame, fns) {
  const spec = frame.forward;
  const grid = points(spec.resolution, spec.extent);
  const boundary = { resolution: spec.resolution, extent: spec.extent };
  const values = new Float64Array(grid.length);
  if (spec.output === "softmax") {
    let classes = "";
    grid.forEach((p, n) => {
      const probs = softmax(run(frame, fns, p, false).output);
      let best = 0;
      for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
      classes += String.fromCharCode(best);
      values[n] = 2 * probs[best] - 1;
    });
    boundary.classes = btoa(classes);
    boundary.n_classes = spec.classes;
  } else {
    const act = ACTIVATIONS[spec.output];
    const twoSided = spec.output === "sigmoid"; // P(class 1) shown as 2p − 1, as the server does
    grid.forEach((p, n) => {
      const y = act(run(frame, fns, p, false).output[0]);
      values[n] = twoSided ? 2 * y - 1 : y;
    });
  }
  boundary.data = encodeGrid(values);
  return boundary;
}

/** The frame's `neurons`: every hidden neuron's activation over the coarse grid. */
function neuronsOf(frame, fns) {
  const spec = frame.forward;
  const grid = points(spec.neuron_resolution, spec.extent);
  const per = frame.forward.activations.map((_, l) =>
    Array.from(frame.weights[l].bias, () => new Float64Array(grid.length)));
  grid.forEach((p, n) => {
    run(frame, fns, p, true).hidden.forEach((h, l) => h.forEach((v, k) => (per[l][k][n] = v)));
  });
  return { resolution: spec.neuron_resolution, layers: per.map((layer) => layer.map(encodeGrid)) };
}

/**
 * Fill a weights-mode frame's `boundary` and `neurons` in place; a frame that has them (the server sent
 * grids) is left alone. Returns false when the page cannot compute them (the caller falls back to grids).
 */
export function fillGrids(frame) {
  if (frame.boundary) return true;
  if (!canForward(frame)) return false;
  const fns = frame.forward.features.map((name) => FEATURES[name]);
  frame.boundary = boundaryOf(frame, fns);
  frame.neurons = neuronsOf(frame, fns);
  return true;
}

/** The grids computed from the weights even when the server sent its own (the check in tests). */
export function computeGrids(frame) {
  if (!canForward(frame)) return null;
  const fns = frame.forward.features.map((name) => FEATURES[name]);
  return { boundary: boundaryOf(frame, fns), neurons: neuronsOf(frame, fns) };
}
