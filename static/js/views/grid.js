// Grids of the frame schema (docs/api.md): base64 of resolution² uint8, row-major,
// bottom row (the domain's lowest y) first; byte q decodes to q / 127.5 - 1.

import { SHADES, shadeIndex } from "../core/colors.js";
import { domain } from "../core/fields.js";
const LUT = Float32Array.from({ length: 256 }, (_, q) => q / 127.5 - 1);

/** Decode a base64 uint8 grid into a Float32Array of resolution² values in [-1, 1]. */
export function decodeGrid(b64, resolution) {
  const bytes = atob(b64);
  const n = resolution * resolution;
  if (bytes.length !== n) {
    throw new Error(`grid has ${bytes.length} values, expected ${resolution}×${resolution}`);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = LUT[bytes.charCodeAt(i)];
  return out;
}

/** Axis coordinates of a grid over the server's domain: lo + (hi − lo)·i/(resolution − 1). */
export function axis(resolution) {
  const [lo, hi] = domain();
  return Array.from({ length: resolution }, (_, i) => lo + ((hi - lo) * i) / (resolution - 1));
}

/** Rows (bottom first) as plain arrays, Plotly's heatmap z; discretize maps to ±1 as TF does. */
export function toRows(values, resolution, discretize = false) {
  const rows = new Array(resolution);
  for (let j = 0; j < resolution; j++) {
    const row = new Array(resolution);
    for (let i = 0; i < resolution; i++) {
      const v = values[j * resolution + i];
      row[i] = discretize ? (v >= 0 ? 1 : -1) : v;
    }
    rows[j] = row;
  }
  return rows;
}

/** A grid of f(x, y) over the domain (for input features), normalised to [-1, 1] by its largest |value|. */
export function featureGrid(f, resolution) {
  const xs = axis(resolution);
  const out = new Float32Array(resolution * resolution);
  let max = 0;
  for (let j = 0; j < resolution; j++) {
    for (let i = 0; i < resolution; i++) {
      const v = f(xs[i], xs[j]);
      out[j * resolution + i] = v;
      max = Math.max(max, Math.abs(v));
    }
  }
  if (max > 0) for (let k = 0; k < out.length; k++) out[k] /= max;
  return out;
}

/** Paint a grid on a canvas (resolution × resolution pixels; CSS scales it), top row = the domain's highest y. */
export function paintGrid(canvas, values, resolution, discretize = false) {
  if (canvas.width !== resolution) canvas.width = canvas.height = resolution;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(resolution, resolution);
  const px = image.data;
  for (let j = 0; j < resolution; j++) {
    const dst = (resolution - 1 - j) * resolution; // bottom row first in the data, last on the canvas
    for (let i = 0; i < resolution; i++) {
      let v = values[j * resolution + i];
      if (discretize) v = v >= 0 ? 1 : -1;
      const k = shadeIndex(v);
      const rgb = k < 0 ? [200, 200, 200] : SHADES[k];
      const o = (dst + i) * 4;
      px[o] = rgb[0];
      px[o + 1] = rgb[1];
      px[o + 2] = rgb[2];
      px[o + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
}
