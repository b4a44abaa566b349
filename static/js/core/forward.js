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
  let width = spec.features.length; // each kernel's rows are the previous layer's units
  const fits = layers.every(({ kernel, bias }) => {
    const ok = kernel?.length === width && kernel.every((row) => row.length === bias?.length);
    width = bias?.length;
    return ok;
  });
  return fits && spec.features.every((f) => f in FEATURES) && spec.activations.every((a) => a in ACTIVATIONS) &&
    outputs.includes(spec.output);
}

/** The input feature matrix (points × features, row-major) of a resolution² grid, bottom row first
 * (app/engine/frames.py grid_points). */
function inputs(spec, resolution) {
  const [lo, hi] = spec.extent;
  const fns = spec.features.map((name) => FEATURES[name]);
  const f = fns.length;
  const out = new Float64Array(resolution * resolution * f);
  for (let j = 0, p = 0; j < resolution; j++) {
    const b = lo + ((hi - lo) * j) / (resolution - 1);
    for (let i = 0; i < resolution; i++, p++) {
      const a = lo + ((hi - lo) * i) / (resolution - 1);
      for (let c = 0; c < f; c++) out[p * f + c] = fns[c](a, b);
    }
  }
  return out;
}

/** One Dense layer (+ batch norm at inference) over n points: the pre-activation values (points × units). */
function dense(layer, x, n) {
  const { kernel, bias, bn } = layer;
  const units = bias.length;
  const inDim = kernel.length;
  const w = Float64Array.from(kernel.flat()); // inDim × units
  const scale = new Float64Array(units).fill(1);
  const shift = Float64Array.from(bias);
  if (bn) { // fold (s − mean)/√(var + ε)·γ + β into one scale and shift per unit
    for (let k = 0; k < units; k++) {
      scale[k] = bn.gamma[k] / Math.sqrt(bn.variance[k] + bn.epsilon);
      shift[k] = (bias[k] - bn.mean[k]) * scale[k] + bn.beta[k];
    }
  }
  const out = new Float64Array(n * units);
  for (let p = 0; p < n; p++) {
    const row = p * inDim;
    for (let k = 0; k < units; k++) {
      let s = 0;
      for (let i = 0; i < inDim; i++) s += x[row + i] * w[i * units + k];
      out[p * units + k] = s * scale[k] + shift[k];
    }
  }
  return out;
}

/** Every hidden layer's activations over n points (each points × units); `last` also gives the output's
 * pre-activation values. */
function network(frame, x, n, last) {
  const { activations } = frame.forward;
  const hidden = [];
  for (let l = 0; l < activations.length; l++) {
    const act = ACTIVATIONS[activations[l]];
    x = dense(frame.weights[l], x, n);
    for (let v = 0; v < x.length; v++) x[v] = act(x[v]);
    hidden.push(x);
  }
  return { hidden, output: last ? dense(frame.weights[frame.weights.length - 1], x, n) : null };
}

/** Quantize values in [-1, 1] to bytes as the server does (q = rint((v + 1)·127.5); NaN as 0) and base64 them. */
export function encodeGrid(values) {
  const q = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    q[i] = Number.isNaN(v) ? 128 : Math.round((Math.min(1, Math.max(-1, v)) + 1) * 127.5);
  }
  return base64(q);
}

function base64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x2000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x2000));
  return btoa(s);
}

/** The frame's `boundary` (as the server would send it) from the output layer over the fine grid. */
function boundaryOf(frame) {
  const spec = frame.forward;
  const n = spec.resolution * spec.resolution;
  const z = network(frame, inputs(spec, spec.resolution), n, true).output;
  const boundary = { resolution: spec.resolution, extent: spec.extent };
  const values = new Float64Array(n);
  if (spec.output === "softmax") {
    const k = z.length / n;
    const classes = new Uint8Array(n);
    for (let p = 0; p < n; p++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (z[p * k + c] > z[p * k + best]) best = c;
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(z[p * k + c] - z[p * k + best]);
      classes[p] = best;
      values[p] = 2 / sum - 1; // 2·max softmax − 1
    }
    boundary.classes = base64(classes);
    boundary.n_classes = spec.classes;
  } else {
    const act = ACTIVATIONS[spec.output];
    const twoSided = spec.output === "sigmoid"; // P(class 1) shown as 2p − 1, as the server does
    for (let p = 0; p < n; p++) values[p] = twoSided ? 2 * act(z[p]) - 1 : act(z[p]);
  }
  boundary.data = encodeGrid(values);
  return boundary;
}

/** The frame's `neurons`: every hidden neuron's activation over the coarse grid. */
function neuronsOf(frame) {
  const spec = frame.forward;
  const r = spec.neuron_resolution;
  const n = r * r;
  const { hidden } = network(frame, inputs(spec, r), n, false);
  const layers = hidden.map((h) => {
    const units = h.length / n;
    return Array.from({ length: units }, (_, k) => {
      const grid = new Float64Array(n);
      for (let p = 0; p < n; p++) grid[p] = h[p * units + k];
      return encodeGrid(grid);
    });
  });
  return { resolution: r, layers };
}

/**
 * Fill a weights-mode frame's `boundary` and `neurons` in place; a frame that has them (the server sent
 * grids) is left alone. Returns false when the page cannot compute them (the caller falls back to grids).
 */
export function fillGrids(frame) {
  if (frame.boundary) return true;
  if (!canForward(frame)) return false;
  try {
    const boundary = boundaryOf(frame);
    frame.neurons = neuronsOf(frame);
    frame.boundary = boundary;
  } catch (err) { // weights that do not fit their description: the server's grids are the answer
    console.warn("grids from weights failed:", err);
    delete frame.neurons;
    return false;
  }
  return true;
}

/** The grids computed from the weights even when the server sent its own (the check in tests). */
export function computeGrids(frame) {
  if (!canForward(frame)) return null;
  return { boundary: boundaryOf(frame), neurons: neuronsOf(frame) };
}
