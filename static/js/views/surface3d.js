// The network's output over the plane as a 3-D surface (TF Playground issue #108), beside the heatmap.
//
// It reads the very grid the heatmap draws (views/boundary.js keeps `grid = {values, resolution}`, whether the
// server sent it or the page computed it), so it costs no request. Redraws are throttled (Plotly.react at most
// every MIN_INTERVAL ms, the last frame always drawn) and keep the camera the learner chose (uirevision).

import { PLOTLY_SCALE, pointColor } from "../core/colors.js";
import { on } from "../core/hooks.js";
import { t } from "../core/i18n.js";
import { axis, toRows } from "./grid.js";

const MIN_INTERVAL = 250; // ms between two redraws: 4 a second is smooth enough to watch and cheap for a 3-D scene
const MAX_SHARE = 0.25; // of the page's main thread the 3-D view may take: a slow machine redraws it less often

/** The points at their labels: z = -1 / 1 for two classes (TF Playground's orange / blue), the value otherwise. */
export function pointsAtLabels(part, problem, nClasses = 2) {
  if (!part) return { x: [], y: [], z: [], color: [] };
  const z = part.label.map((v) => (problem === "classification" && nClasses <= 2 ? 2 * v - 1 : v));
  return { x: part.x1, y: part.x2, z, color: z.map((v) => pointColor(v)) };
}

export class Surface3D {
  /** el: the graph's element; boundary: the page's Boundary view (its grid, points and discretize option). */
  constructor(el, boundary, problem) {
    this.el = el;
    this.boundary = boundary;
    this.problem = problem;
    this.on = false;
    this.last = 0; // when the last redraw ended
    this.cost = 0; // ms the last redraw took
    this.timer = null;
    this.busy = false; // a redraw is in progress: the grid it read may already be old
    this.pending = false;
    this.draws = 0; // for the browser test and the page benchmark
  }

  show(visible) {
    this.on = visible;
    this.el.hidden = !visible;
    if (visible) this.render();
    else if (window.Plotly) Plotly.purge(this.el);
  }

  /** Ask for a redraw: now, or once MIN_INTERVAL (more if redraws are slow here) has passed since the last one. */
  request() {
    if (!this.on || this.timer) return;
    if (this.busy) {
      this.pending = true;
      return;
    }
    const gap = Math.max(MIN_INTERVAL, this.cost / MAX_SHARE - this.cost);
    const wait = Math.max(0, this.last + gap - performance.now());
    this.timer = setTimeout(() => requestAnimationFrame(() => { // after the page's own draw (page/render.js)
      this.timer = null;
      this.render();
    }), wait);
  }

  render() {
    if (!this.on) return Promise.resolve();
    const start = performance.now();
    this.busy = true;
    this.pending = false;
    const b = this.boundary;
    const grid = b.grid;
    const res = grid ? grid.resolution : 2;
    const z = grid ? toRows(grid.values, res, b.discretize) : [[0, 0], [0, 0]];
    const data = b.data || {};
    const pts = pointsAtLabels(data.train, this.problem(), data.n_classes);
    const surface = {
      type: "surface", x: axis(res), y: axis(res), z, cmin: -1, cmax: 1, colorscale: PLOTLY_SCALE,
      showscale: false, opacity: 0.9, name: t("Network output"),
      hovertemplate: "x₁ %{x:.2f}, x₂ %{y:.2f}: %{z:.3f}<extra></extra>",
      contours: { z: { show: true, start: 0, end: 0, size: 1, color: "#333", width: 2 } }, // the decision line
    };
    const points = {
      type: "scatter3d", mode: "markers", x: pts.x, y: pts.y, z: pts.z, name: t("Training data"),
      marker: { size: 3, color: pts.color, line: { width: 1, color: "#fff" } },
      hovertemplate: "(%{x:.2f}, %{y:.2f}) → %{z:.2f}<extra></extra>",
    };
    const scene = {
      uirevision: "keep", aspectmode: "manual", aspectratio: { x: 1, y: 1, z: 0.6 },
      xaxis: { title: { text: "x₁" } }, yaxis: { title: { text: "x₂" } },
      zaxis: { title: { text: t("output") }, range: [-1.2, 1.2] },
      camera: { eye: { x: 1.5, y: -1.5, z: 1.1 } },
    };
    const layout = { uirevision: "keep", scene, margin: { l: 0, r: 0, t: 0, b: 0 }, height: this.el.clientWidth || 320,
      showlegend: false, paper_bgcolor: "rgba(0,0,0,0)", font: { family: "inherit" } };
    this.draws++;
    const drawn = Plotly.react(this.el, [surface, points], layout, { displaylogo: false, responsive: true,
      modeBarButtonsToRemove: ["toImage"] });
    return Promise.resolve(drawn).finally(() => {
      this.busy = false;
      this.last = performance.now();
      this.cost = this.last - start;
      if (this.pending) this.request(); // a frame came while drawing: draw the newest grid
    });
  }
}

/** The "3-D" toggle beside the heatmap's toggles, and the view it shows (a panel: panels/index.js). */
export function init(page) {
  const toggles = document.querySelector(".output-column .toggles");
  if (!toggles) return;
  const label = document.createElement("label");
  const box = Object.assign(document.createElement("input"), { type: "checkbox", id: "surface-toggle" });
  const text = document.createElement("span");
  label.append(box, " ", text);
  toggles.append(label);
  const el = Object.assign(document.createElement("div"), { id: "surface3d", className: "surface3d", hidden: true });
  el.setAttribute("role", "img");
  toggles.before(el);
  const view = new Surface3D(el, page.boundary, () => page.settings.problem);
  const relabel = () => {
    text.textContent = t("3-D");
    label.title = t("Show the network's output as a surface you can rotate, with the data at their labels");
    el.setAttribute("aria-label", t("The network's output over the plane as a 3-D surface"));
  };
  relabel();
  box.addEventListener("change", () => view.show(box.checked));
  for (const name of ["frame", "done", "reset", "settings"]) on(name, () => view.request());
  on("language", () => {
    relabel();
    view.request();
  });
  window.kpSurface = view; // read-only hook for the browser test
}
