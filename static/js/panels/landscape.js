// "Loss landscape": for a paused or finished run, the training loss along the straight line from the initial
// weights to the current ones, and over a plane around the current weights (two filter-normalised random
// directions, Li et al. 2018) with the training path projected onto it. The server computes both in the run's
// training process (POST /api/runs/<id>/landscape, docs/see-inside.md); this panel only draws them.

import { request } from "../core/api.js";
import { on } from "../core/hooks.js";
import { t } from "../core/i18n.js";

const READY = ["paused", "done"];
const RESOLUTION = 41;
const SPAN = 1.0;

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** Loss along θ₀ + α(θ − θ₀), with the start (α = 0) and now (α = 1) marked. */
function drawLine(target, line) {
  const marks = [0, 1].map((a) => line.alpha.reduce((best, v, i) => (Math.abs(v - a) < Math.abs(line.alpha[best] - a)
    ? i : best), 0));
  const traces = [
    { type: "scatter", mode: "lines", x: line.alpha, y: line.loss, line: { color: "#0877bd", width: 2 },
      hovertemplate: "α %{x:.2f}: %{y:.4f}<extra></extra>" },
    { type: "scatter", mode: "markers+text", x: marks.map((i) => line.alpha[i]), y: marks.map((i) => line.loss[i]),
      text: [t("start"), t("now")], textposition: "top center", marker: { size: 9, color: ["#f59322", "#333"] },
      hoverinfo: "skip" },
  ];
  const layout = { height: 300, margin: { l: 56, r: 12, t: 30, b: 44 }, showlegend: false,
    title: { text: t("Along the line from the initial to the current weights"), font: { size: 13 } },
    xaxis: { title: { text: t("α (0 = initial weights, 1 = now)") }, zeroline: false },
    yaxis: { title: { text: t("training loss") }, type: "log" }, paper_bgcolor: "rgba(0,0,0,0)" };
  return Plotly.react(target, traces, layout, { displaylogo: false });
}

/** The plane: log₁₀ of the loss as a contour map, the projected path and the current weights at (0, 0). */
function drawPlane(target, plane, path) {
  const log = plane.loss.map((row) => row.map((v) => (v > 0 ? Math.log10(v) : null)));
  const traces = [
    { type: "contour", x: plane.a, y: plane.b, z: log, customdata: plane.loss, colorscale: "Viridis",
      reversescale: true, ncontours: 24, colorbar: { title: { text: "log₁₀" }, thickness: 12 },
      hovertemplate: "a %{x:.2f}, b %{y:.2f}: %{customdata:.4f}<extra></extra>" },
    { type: "scatter", mode: "lines+markers", x: path.map((p) => p.a), y: path.map((p) => p.b),
      text: path.map((p) => t("epoch {n}", { n: p.epoch })), line: { color: "#fff", width: 2 },
      marker: { size: 5, color: "#f59322" }, hovertemplate: "%{text}<extra></extra>", name: t("training path") },
    { type: "scatter", mode: "markers", x: [0], y: [0], marker: { size: 12, symbol: "star", color: "#fff",
      line: { color: "#333", width: 1 } }, hovertemplate: `${t("now")}<extra></extra>` },
  ];
  const layout = { height: 340, margin: { l: 50, r: 12, t: 30, b: 44 }, showlegend: false,
    title: { text: t("Around the current weights (two random directions)"), font: { size: 13 } },
    xaxis: { title: { text: t("direction 1") } }, yaxis: { title: { text: t("direction 2") }, scaleanchor: "x" },
    paper_bgcolor: "rgba(0,0,0,0)" };
  return Plotly.react(target, traces, layout, { displaylogo: false });
}

export function init(page) {
  const anchor = document.querySelector(".output-column .toggles");
  const main = document.querySelector("main");
  if (!anchor || !main) return;
  const button = el("button", { type: "button", id: "landscape-open", className: "landscape-open", disabled: true });
  anchor.after(button);
  const status = el("p", { className: "landscape-status", id: "landscape-status" });
  status.setAttribute("aria-live", "polite");
  const lineEl = el("div", { id: "landscape-line", className: "landscape-plot" });
  const planeEl = el("div", { id: "landscape-plane", className: "landscape-plot" });
  const caption = el("p", { className: "help landscape-caption" });
  const heading = el("h2", { id: "landscape-heading" });
  const intro = el("p", { className: "help" });
  const again = el("button", { type: "button", className: "landscape-button", id: "landscape-again" });
  const close = el("button", { type: "button", className: "landscape-button", id: "landscape-close" });
  const panel = el("section", { id: "landscape-panel", className: "landscape-panel", hidden: true },
    el("div", { className: "landscape-head" }, heading, again, close), intro, status,
    el("div", { className: "landscape-plots" }, lineEl, planeEl), caption);
  panel.setAttribute("aria-labelledby", "landscape-heading");
  main.after(panel);
  const state = { seed: 0, result: null, runId: null, busy: false };
  window.kpLandscape = state; // read-only hook for the browser test

  const relabel = () => {
    button.textContent = t("Loss landscape");
    button.title = t("Pause the run (or let it finish) to see the loss around its weights");
    heading.textContent = t("Loss landscape");
    intro.textContent = t("How the training loss changes as the weights move: along the straight line from "
      + "where training started to where it is now, and over a plane of two random directions around the "
      + "current weights. A valley around “now” means training has settled in a minimum.");
    again.textContent = t("New directions");
    close.textContent = t("Close");
    if (state.result) draw(state.result);
  };

  function draw(result) {
    drawLine(lineEl, result.line);
    drawPlane(planeEl, result.plane, result.path);
    const off = result.path.length > 1
      ? Math.round(100 * result.path.reduce((s, p) => s + p.off_plane, 0) / (result.path.length - 1)) : 0;
    caption.textContent = t("Epoch {epoch}: loss {loss}. The training path ({n} snapshots) is projected onto the "
      + "plane; on average {off} of its distance from “now” lies off the plane, as random directions are "
      + "nearly at right angles to it. Computed in {ms} ms.", { epoch: result.epoch, n: result.path.length,
      loss: result.current_loss?.toFixed(4) ?? "—", off: `${off}%`, ms: Math.round(result.seconds * 1000) });
  }

  async function load() {
    const run = page.run;
    if (!run || !READY.includes(run.state) || state.busy) return;
    state.busy = true;
    panel.hidden = false;
    status.textContent = t("Computing the landscape…");
    try {
      const result = await request("POST", `/api/runs/${encodeURIComponent(run.id)}/landscape`,
        { resolution: RESOLUTION, span: SPAN, seed: state.seed });
      state.result = result;
      state.runId = run.id;
      status.textContent = "";
      draw(result);
    } catch (err) {
      status.textContent = err.message;
    } finally {
      state.busy = false;
    }
  }

  button.addEventListener("click", load);
  again.addEventListener("click", () => {
    state.seed += 1;
    load();
  });
  close.addEventListener("click", () => {
    panel.hidden = true;
  });
  const refresh = () => {
    const run = page.run;
    button.disabled = !run || !READY.includes(run.state);
  };
  setInterval(refresh, 400); // a pause changes the run's state without an event (page/run.js)
  on("reset", () => {
    state.result = null;
    panel.hidden = true;
  });
  on("language", relabel);
  relabel();
  refresh();
}
