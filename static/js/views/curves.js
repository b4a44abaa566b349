// Train and test loss per epoch (TF Playground: train #777, test black). Each frame's history
// (every epoch since the previous frame) is queued, and the queue is appended with one
// Plotly.extendTraces call at most every FLUSH_MS, or less often as the chart grows: a redraw
// costs 10–20 ms (60 ms at 50,000 epochs), so drawing it on each of 25 frames a second would
// take a third of the main thread or more. Spacing draws by 8× their cost keeps them near 12 %.

import { t } from "../core/i18n.js";

const FLUSH_MS = 200;
const COST_FACTOR = 8;

const LAYOUT = {
  margin: { l: 40, r: 8, t: 4, b: 22 },
  xaxis: { title: { text: "" }, zeroline: false, tickfont: { size: 10, color: "#777" }, linecolor: "#ccc",
    rangemode: "tozero", fixedrange: true },
  yaxis: { zeroline: false, tickfont: { size: 10, color: "#777" }, gridcolor: "#eee", fixedrange: true,
    rangemode: "tozero" },
  showlegend: true,
  legend: { orientation: "h", x: 1, xanchor: "right", y: 1, yanchor: "bottom", font: { size: 10 } },
  paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", hovermode: "x unified", dragmode: false,
  font: { family: "inherit" },
};

function traces() {
  return [
    { type: "scatter", mode: "lines", name: t("Training loss"), x: [], y: [], line: { color: "#777", width: 1.5 },
      hovertemplate: "%{y:.4f}" },
    { type: "scatter", mode: "lines", name: t("Test loss"), x: [], y: [], line: { color: "#000", width: 1.5 },
      hovertemplate: "%{y:.4f}" },
  ];
}

export class Curves {
  constructor(el) {
    this.el = el;
    this.pending = { epoch: [], train: [], test: [] };
    this.points = 0;
    this.lastFlush = 0;
    this.interval = FLUSH_MS;
    this.timer = null;
  }

  /** Clear the curves (a new run). */
  reset() {
    this.pending = { epoch: [], train: [], test: [] };
    this.points = 0;
    clearTimeout(this.timer);
    this.timer = null;
    this.interval = FLUSH_MS;
    const layout = { ...LAYOUT, width: this.el.clientWidth || 320, height: this.el.clientHeight || 120 };
    return Plotly.react(this.el, traces(), layout, { displayModeBar: false, responsive: false });
  }

  /** Trace names in the page's (new) language. */
  relabel() {
    if (this.el.data) Plotly.restyle(this.el, { name: [t("Training loss"), t("Test loss")] }, [0, 1]);
  }

  /** Fit the chart to its box after a window resize. */
  resize() {
    if (this.el.data) Plotly.relayout(this.el, { width: this.el.clientWidth, height: this.el.clientHeight });
  }

  /** Queue a frame's history; nothing is dropped even when frames are rendered less often. */
  append(history) {
    if (!history || !Array.isArray(history.epoch)) return;
    this.pending.epoch.push(...history.epoch);
    this.pending.train.push(...history.train_loss);
    this.pending.test.push(...history.test_loss);
  }

  /**
   * Draw what was queued (one extendTraces call); if the last draw was too recent, call `later`
   * when it is time (the page then flushes from its own animation frame).
   */
  flush(later) {
    const { epoch, train, test } = this.pending;
    if (epoch.length === 0) return;
    const wait = this.lastFlush + this.interval - performance.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        later();
      }, wait);
      return;
    }
    const start = performance.now();
    this.pending = { epoch: [], train: [], test: [] };
    this.points += epoch.length;
    Plotly.extendTraces(this.el, { x: [epoch, epoch.slice()], y: [train, test] }, [0, 1]);
    this.lastFlush = performance.now();
    this.interval = Math.max(FLUSH_MS, COST_FACTOR * (this.lastFlush - start));
  }
}
