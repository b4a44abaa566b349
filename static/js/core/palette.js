// Class colours for more than two classes: Okabe and Ito's colour-blind-safe palette (8 colours),
// then two of Paul Tol's for classes 9 and 10. Heatmaps use them lightened over white, as
// TF Playground's two-class shades are (alpha 160/255).

export const CLASS_COLORS = [
  "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#000000", "#999933", "#882255",
];
const ALPHA = 160 / 255;

/** Full-strength colour of class k (points, legend). */
export function classColor(k) {
  return CLASS_COLORS[((k % CLASS_COLORS.length) + CLASS_COLORS.length) % CLASS_COLORS.length];
}

function light(hex) {
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return "#" + rgb.map((c) => Math.round(255 + (c - 255) * ALPHA).toString(16).padStart(2, "0")).join("");
}

/** A banded Plotly colorscale for class indices 0..n-1 drawn with zmin -0.5 and zmax n - 0.5. */
export function classScale(n) {
  return Array.from({ length: n }, (_, k) => [[k / n, light(classColor(k))], [(k + 1) / n, light(classColor(k))]]).flat();
}
