// The learning rate per epoch (frame.history.learning_rate), drawn under the loss curves, and
// where EarlyStopping stopped and whose weights it restored (the done event), marked on both charts.

import { on } from "../core/hooks.js";
import { t } from "../core/i18n.js";

const FLUSH_MS = 250; // a small chart: a few redraws a second are plenty
const $ = (id) => document.getElementById(id);

function layout(el) {
  return {
    width: el.clientWidth || 300, height: el.clientHeight || 90,
    margin: { l: 40, r: 8, t: 14, b: 20 },
    title: { text: t("Learning rate"), font: { size: 10, color: "#777" }, x: 0.01, y: 0.98 },
    xaxis: { zeroline: false, tickfont: { size: 10, color: "#777" }, linecolor: "#ccc", rangemode: "tozero",
      fixedrange: true },
    yaxis: { tickfont: { size: 9, color: "#777" }, gridcolor: "#eee", fixedrange: true, rangemode: "tozero",
      tickformat: "~g", nticks: 3 },
    showlegend: false, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    hovermode: "x unified", dragmode: false, font: { family: "inherit" },
  };
}

/** Vertical lines (and labels) at the epoch early stopping stopped and the epoch it restored. */
export function stopMarkers(info) {
  const marks = [];
  if (info?.stopped_epoch) marks.push({ epoch: info.stopped_epoch, text: t("stopped"), color: "#c0392b" });
  if (info?.restored_best_weights) marks.push({ epoch: info.best_epoch, text: t("restored"), color: "#0877bd" });
  return {
    shapes: marks.map((m) => ({ type: "line", xref: "x", yref: "paper", x0: m.epoch, x1: m.epoch, y0: 0, y1: 1,
      line: { color: m.color, width: 1.5, dash: "dot" } })),
    annotations: marks.map((m) => ({ xref: "x", yref: "paper", x: m.epoch, y: 0, yanchor: "bottom", xanchor: "right",
      text: m.text, showarrow: false, font: { size: 9, color: m.color } })),
  };
}

export function initLrChart(page) {
  const panel = $("lr-panel");
  const el = $("lr-chart");
  const info = $("stop-info");
  document.getElementById("curves")?.after(panel); // beside the loss curves, in the output column
  let pending = { x: [], y: [] };
  let timer = null;

  const flush = () => {
    timer = null;
    if (pending.x.length === 0 || !el.data) return;
    const { x, y } = pending;
    pending = { x: [], y: [] };
    Plotly.extendTraces(el, { x: [x], y: [y] }, [0]);
  };
  const reset = () => {
    clearTimeout(timer);
    timer = null;
    pending = { x: [], y: [] };
    info.hidden = true;
    info.textContent = "";
    Plotly.react(el, [{ type: "scatter", mode: "lines", x: [], y: [], line: { color: "#f59322", width: 1.5 },
      hovertemplate: "%{y:.3g}", name: t("Learning rate") }], layout(el), { displayModeBar: false });
  };

  on("reset", reset);
  on("frame", (f) => {
    const h = f.history;
    if (!h?.epoch?.length || !h.learning_rate) return;
    pending.x.push(...h.epoch);
    pending.y.push(...h.learning_rate);
    timer ??= setTimeout(flush, FLUSH_MS);
  });
  on("done", (d) => {
    clearTimeout(timer);
    flush();
    const es = d.early_stopping;
    if (!es?.stopped_epoch) return;
    const marks = stopMarkers(es);
    Plotly.relayout(el, marks);
    if (page.curves?.el?.data) Plotly.relayout(page.curves.el, marks);
    info.textContent = es.restored_best_weights
      ? t("Early stopping stopped at epoch {stopped}; the weights of epoch {best} were restored.",
        { stopped: es.stopped_epoch, best: es.best_epoch })
      : t("Early stopping stopped at epoch {stopped} (best epoch: {best}; weights not restored).",
        { stopped: es.stopped_epoch, best: es.best_epoch });
    info.hidden = false;
  });
  window.addEventListener("resize", () => el.data && Plotly.relayout(el, { width: el.clientWidth }));
  reset();
}
