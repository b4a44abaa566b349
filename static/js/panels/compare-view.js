// The compare view itself: small multiples (boundary thumbnails, with the learner's guess outlined when there is
// one), the train/test curves of every run overlaid, and a table of only the settings that differ.

import { domain } from "../core/fields.js";
import { t } from "../core/i18n.js";
import { num, thumbnail, valueText } from "../views/thumbs.js";
import { lessonText } from "./compare-lesson.js";
import { updatePinButton } from "./compare-follow.js";
import { $, emptyCurves, items, PALETTE, state } from "./compare-state.js";

/** Only the settings whose values are not all the same. */
export function differingKeys(settingsList) {
  const keys = new Set(settingsList.flatMap((s) => Object.keys(s)));
  return [...keys].filter((k) => new Set(settingsList.map((s) => JSON.stringify(s[k] ?? null))).size > 1).sort();
}

/** "guess IoU 0.82 · 90 % of test points" for a run's scored guess. */
export function guessText(guess) {
  if (!guess) return "";
  const share = guess.accuracy == null ? "" : ` · ${t("{p} % of test points", { p: Math.round(guess.accuracy * 100) })}`;
  return `${t("guess IoU {iou}", { iou: num(guess.iou, 2) })}${share}`;
}

/** The sketch's outline on a thumbnail canvas (map domain to the canvas's pixels). */
function outline(canvas, sketch) {
  const [lo, hi] = domain();
  const size = canvas.width || 1;
  const ctx = canvas.getContext("2d");
  ctx.strokeStyle = "#111";
  ctx.lineWidth = Math.max(0.5, size / 60);
  ctx.setLineDash([size / 20, size / 30]);
  for (const polygon of sketch) {
    ctx.beginPath();
    polygon.forEach(([x1, x2], i) => {
      const px = ((x1 - lo) / (hi - lo)) * size;
      const py = ((hi - x2) / (hi - lo)) * size;
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.closePath();
    ctx.stroke();
  }
}

function renderMultiples(list) {
  const box = $("compare-multiples");
  box.replaceChildren();
  list.forEach((item, i) => {
    const card = document.createElement("figure");
    card.className = "compare-card";
    card.style.borderColor = PALETTE[i % PALETTE.length];
    const canvas = thumbnail(item.thumbnail, 120);
    if (item.guess?.sketch?.length && item.thumbnail?.data) outline(canvas, item.guess.sketch);
    card.append(canvas);
    const caption = document.createElement("figcaption");
    const loss = item.metrics ? t("test loss {value}", { value: num(item.metrics.test_loss) })
      : item.failed || t("running…");
    caption.textContent = `${item.label} — ${loss}`;
    if (item.guess) {
      const guess = document.createElement("span");
      guess.className = "compare-guess";
      guess.textContent = guessText(item.guess);
      guess.dataset.iou = String(item.guess.iou);
      caption.append(document.createElement("br"), guess);
    }
    card.append(caption);
    const twin = item.start && list.find((other) => other !== item && other.start === item.start);
    if (twin) { // began from the same initial weights and data (init_from): a badge
      card.append(Object.assign(document.createElement("span"), { className: "compare-same-start",
        textContent: t("same start as {run}", { run: twin.label }) }));
    }
    if (state.showing === "pins") {
      const unpin = document.createElement("button");
      unpin.type = "button";
      unpin.className = "text-button compare-unpin";
      unpin.textContent = t("Unpin");
      unpin.addEventListener("click", () => {
        state.pins.splice(i, 1);
        updatePinButton();
        render();
      });
      card.append(unpin);
    }
    box.append(card);
  });
}

function renderCurves(list) {
  const el = $("compare-curves");
  const traces = [];
  list.forEach((item, i) => {
    const color = PALETTE[i % PALETTE.length];
    const c = item.curves || emptyCurves();
    traces.push({ type: "scatter", mode: "lines", name: `${item.label} · ${t("test")}`, x: c.epoch, y: c.test_loss,
      line: { color, width: 2 }, legendgroup: String(i) });
    traces.push({ type: "scatter", mode: "lines", name: `${item.label} · ${t("train")}`, x: c.epoch,
      y: c.train_loss, line: { color, width: 1, dash: "dot" }, legendgroup: String(i) });
  });
  const layout = {
    margin: { l: 44, r: 8, t: 8, b: 36 }, height: el.clientHeight || 260, width: el.clientWidth || 560,
    xaxis: { title: { text: t("Epoch") }, zeroline: false }, yaxis: { title: { text: t("Loss") }, zeroline: false,
      rangemode: "tozero" },
    legend: { font: { size: 11 } }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
  };
  Plotly.react(el, traces, layout, { displayModeBar: false, responsive: true });
}

function renderDiff(list) {
  const table = $("compare-diff");
  const keys = differingKeys(list.map((item) => item.settings));
  const guessed = list.some((item) => item.guess);
  const head = document.createElement("tr");
  for (const text of [t("Run"), ...keys, t("Test loss"), t("Training loss"), ...(guessed ? [t("Guess (IoU)")] : [])]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    head.append(th);
  }
  const rows = list.map((item, i) => {
    const tr = document.createElement("tr");
    const cells = [item.label, ...keys.map((k) => valueText(item.settings[k])), num(item.metrics?.test_loss),
      num(item.metrics?.train_loss), ...(guessed ? [num(item.guess?.iou, 2)] : [])];
    cells.forEach((text, j) => {
      const td = document.createElement("td");
      td.textContent = text;
      if (j === 0) td.style.borderLeft = `4px solid ${PALETTE[i % PALETTE.length]}`;
      tr.append(td);
    });
    return tr;
  });
  table.replaceChildren(head, ...rows);
  $("compare-same").hidden = !(list.length > 1 && keys.length === 0);
}

/** Redraw the whole view from the state. */
export function render() {
  const list = items();
  $("compare-section").hidden = list.length === 0 && !state.lesson;
  $("compare-title").textContent = state.showing === "lesson" && state.lesson
    ? t("Lesson: {title}", { title: lessonText(state.lesson.lesson.title) }) : t("Pinned runs");
  $("compare-show-pins").hidden = !(state.showing === "lesson" && state.pins.length);
  $("compare-show-lesson").hidden = !(state.showing === "pins" && state.lesson);
  $("compare-clear").hidden = state.showing !== "pins" || state.pins.length === 0;
  renderMultiples(list);
  renderCurves(list);
  renderDiff(list);
}
