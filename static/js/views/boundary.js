// The main heatmap: the model's output over the data's domain (server's, [lo, hi]²; TF Playground's 31 orange–grey–blue shades)
// with the train points (white outline) and, optionally, the test points (black outline).
//
// Two Plotly graphs share one square: underneath, the heatmap (a static plot redrawn with
// Plotly.react on every frame: ~5 ms), on top the axes and the points (transparent, redrawn
// only when the points change). One graph with both costs ~35 ms a frame, as Plotly redraws
// every point whenever the heatmap's z changes.

import { PLOTLY_SCALE, pointColor } from "../core/colors.js";
import { domain } from "../core/fields.js";
import { axis, toRows } from "./grid.js";
import { classColor, classScale } from "../core/palette.js";

const MARGIN = { l: 8, r: 30, t: 6, b: 26 };
/** The visible axis: the domain with a tick at every integer. */
function visibleAxis() {
  const [lo, hi] = domain();
  return {
    range: [lo, hi], fixedrange: true, zeroline: false, showgrid: false, ticks: "outside", ticklen: 3,
    tickvals: Array.from({ length: Math.floor(hi) - Math.ceil(lo) + 1 }, (_, i) => Math.ceil(lo) + i),
    tickfont: { size: 10, color: "#777" }, linecolor: "#bbb", mirror: false,
  };
}
const hiddenAxis = () => ({ range: domain(), visible: false, fixedrange: true });

function pointsTrace(part, test, problem, visible, nClasses = 2) {
  const labels = part ? part.label : [];
  // Classification labels are 1 (TF's +1, blue) and 0 (TF's -1, orange); regression labels are values;
  // more than two classes take the categorical palette (palette.js).
  const color = nClasses > 2 ? labels.map(classColor)
    : labels.map((v) => pointColor(problem === "classification" ? 2 * v - 1 : v));
  return {
    type: "scatter", mode: "markers", name: test ? "test" : "train", visible,
    x: part ? part.x1 : [], y: part ? part.x2 : [],
    marker: { size: 6, color, line: { width: 1, color: test ? "rgba(0,0,0,0.6)" : "#fff" } },
    hovertemplate: `${test ? "test" : "train"} (%{x:.2f}, %{y:.2f})<extra></extra>`,
  };
}

export class Boundary {
  /** heatEl: the heatmap graph; pointsEl: the graph laid over it (axes and points). */
  constructor(heatEl, pointsEl) {
    this.heatEl = heatEl;
    this.pointsEl = pointsEl;
    this.grid = null; // {values, resolution}
    this.classes = null; // more than two classes: {values (class index per cell), n}
    this.override = null; // a neuron's grid shown on hover
    this.discretize = false;
    this.showTest = false;
    this.train = pointsTrace(null, false, "classification", true);
    this.test = pointsTrace(null, true, "classification", false);
    this.title = "";
    this.pointsDirty = true;
    this._axes = new Map();
  }

  setPoints(data, problem) {
    this.train = pointsTrace(data.train, false, problem, true, data.n_classes);
    this.test = pointsTrace(data.test, true, problem, this.showTest, data.n_classes);
    this.pointsDirty = true;
  }

  setOptions({ discretize, showTest }) {
    this.discretize = discretize;
    if (this.showTest !== showTest) {
      this.showTest = showTest;
      this.test = { ...this.test, visible: showTest };
      this.pointsDirty = true;
    }
  }

  /** The model's output grid (Float32Array, bottom row first) or null for "no network yet". */
  setGrid(values, resolution) {
    this.grid = values ? { values, resolution } : null;
  }

  /** The winning class of every grid cell (more than two classes), or null: drawn instead of the output. */
  setClasses(values, n) {
    this.classes = values ? { values, n } : null;
  }

  /** Show another grid (a hovered neuron) instead of the output, or null to go back. */
  setOverride(values, resolution, title) {
    this.override = values ? { values, resolution } : null;
    const next = values ? title : "";
    if (next !== this.title) this.pointsDirty = true;
    this.title = next;
  }

  _axis(resolution) {
    if (!this._axes.has(resolution)) this._axes.set(resolution, axis(resolution));
    return this._axes.get(resolution);
  }

  _size() {
    const width = this.heatEl.clientWidth || 320;
    // A square plot area: width - l - r === height - t - b.
    return { width, height: width - MARGIN.l - MARGIN.r + MARGIN.t + MARGIN.b, margin: MARGIN };
  }

  /** Redraw the heatmap (every frame) and, when they changed, the points. */
  render() {
    const size = this._size();
    const shown = this.override || this.grid;
    const resolution = shown ? shown.resolution : 2;
    const z = shown ? toRows(shown.values, resolution, this.discretize && !this.override) : [[0, 0], [0, 0]];
    const heat = {
      type: "heatmap", x: this._axis(resolution), y: this._axis(resolution), z,
      zmin: -1, zmax: 1, zauto: false, colorscale: PLOTLY_SCALE, showscale: false, zsmooth: "fast", hoverinfo: "skip",
    };
    if (this.classes && shown === this.grid) {
      Object.assign(heat, { z: toRows(this.classes.values, resolution), zmin: -0.5, zmax: this.classes.n - 0.5,
        colorscale: classScale(this.classes.n), zsmooth: false });
    }
    const heatLayout = {
      ...size, xaxis: hiddenAxis(), yaxis: hiddenAxis(), paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff",
    };
    const done = Plotly.react(this.heatEl, [heat], heatLayout, { staticPlot: true });
    if (this.pointsDirty || this.pointsEl.clientWidth !== this._pointsWidth) this._renderPoints(size);
    return done;
  }

  _renderPoints(size) {
    this.pointsDirty = false;
    this._pointsWidth = this.pointsEl.clientWidth;
    const layout = {
      ...size,
      xaxis: visibleAxis(), yaxis: { ...visibleAxis(), side: "right" },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", showlegend: false,
      dragmode: false, hovermode: "closest", font: { family: "inherit" },
      annotations: this.title
        ? [{ text: this.title, xref: "paper", yref: "paper", x: 0.02, y: 0.98, xanchor: "left", yanchor: "top",
             showarrow: false, bgcolor: "rgba(255,255,255,0.85)", font: { size: 11, color: "#333" } }]
        : [],
    };
    Plotly.react(this.pointsEl, [this.train, this.test], layout, { displayModeBar: false, scrollZoom: false });
  }
}
