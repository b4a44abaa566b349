// TF Playground's colour scales: orange (-1) -> grey (0) -> blue (+1).
// Heatmaps use 31 quantized shades drawn at alpha 160/255 over white (heatmap.ts);
// links and biases use the continuous, clamped scale.

const ORANGE = [245, 147, 34]; // #f59322
const GREY = [232, 234, 235]; // #e8eaeb
const BLUE = [8, 119, 189]; // #0877bd
export const NUM_SHADES = 31;
const ALPHA = 160 / 255;

function mix(a, b, t) {
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
}

/** Continuous colour of t in [0, 1] (0 orange, 0.5 grey, 1 blue) as [r, g, b]. */
function ramp(t) {
  return t < 0.5 ? mix(ORANGE, GREY, t * 2) : mix(GREY, BLUE, (t - 0.5) * 2);
}

function overWhite(rgb) {
  return rgb.map((c) => Math.round(255 + (c - 255) * ALPHA));
}

const hex = (rgb) => "#" + rgb.map((c) => c.toString(16).padStart(2, "0")).join("");

/** The 31 heatmap shades (already blended over white), as [r, g, b]. */
export const SHADES = Array.from({ length: NUM_SHADES }, (_, i) => overWhite(ramp(i / (NUM_SHADES - 1))));
/** The same shades at full strength, for data points. */
export const POINT_SHADES = Array.from({ length: NUM_SHADES }, (_, i) => hex(ramp(i / (NUM_SHADES - 1))));

/** d3.scale.quantize over [-1, 1] into 31 bins; NaN -> -1 (drawn grey). */
export function shadeIndex(v) {
  if (Number.isNaN(v)) return -1;
  const i = Math.floor(((v + 1) / 2) * NUM_SHADES);
  return i < 0 ? 0 : i >= NUM_SHADES ? NUM_SHADES - 1 : i;
}

/** Plotly colorscale reproducing the 31 quantized bands for zmin=-1, zmax=1. */
export const PLOTLY_SCALE = SHADES.flatMap((rgb, i) => [
  [i / NUM_SHADES, hex(rgb)],
  [(i + 1) / NUM_SHADES, hex(rgb)],
]);

/** Colour of a weight or bias: continuous linear [-1, 0, 1] scale, clamped. */
export function weightColor(w) {
  const t = Math.max(0, Math.min(1, (w + 1) / 2));
  return hex(ramp(Number.isFinite(t) ? t : 0.5));
}

/** Point fill for a label or value in [-1, 1] (classification: +1 blue, -1 orange). */
export function pointColor(v) {
  const i = shadeIndex(v);
  return i < 0 ? hex(GREY) : POINT_SHADES[i];
}

export const COLORS = { orange: hex(ORANGE), grey: hex(GREY), blue: hex(BLUE) };
