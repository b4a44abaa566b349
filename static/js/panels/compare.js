// Compare runs side by side: pin finished runs (up to 6), or run a lesson's comparison as a sweep;
// either way the view shows small multiples (boundary thumbnails), the train/test curves of every
// run overlaid, and a table of only the settings that differ.

import { emit, on } from "../core/hooks.js";
import { t } from "../core/i18n.js";
import { runConfig } from "../core/state.js";
import { startSweep } from "../core/sweepclient.js";
import { num, thumbnail, valueText } from "../views/thumbs.js";

const MAX_PINS = 6;
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
const $ = (id) => document.getElementById(id);

const state = {
  pins: [], // {label, settings, thumbnail, curves, metrics}
  lesson: null, // {lesson, items, sweep, view}
  showing: "pins", // or "lesson"
  current: null, // the page's run being followed: {settings, boundary, curves, metrics, ended}
};

function emptyCurves() {
  return { epoch: [], train_loss: [], test_loss: [] };
}

// ---------------------------------------------------------------- following the page's run

function follow(page) {
  on("run", (d) => {
    state.current = { settings: runConfig(page.settings), boundary: null, curves: emptyCurves(), metrics: null, ended: false,
      start: d.start || d.id }; // runs made with init_from share their source's start (page/run.js)
  });
  on("reset", () => {
    state.current = null;
    updatePinButton();
  });
  on("frame", (f) => {
    const cur = state.current;
    if (!cur) return;
    cur.boundary = f.boundary;
    cur.metrics = { epochs: f.epoch, train_loss: f.train_loss, test_loss: f.test_loss,
      train_accuracy: f.train_accuracy, test_accuracy: f.test_accuracy };
    const h = f.history;
    if (h && Array.isArray(h.epoch)) {
      cur.curves.epoch.push(...h.epoch);
      cur.curves.train_loss.push(...h.train_loss);
      cur.curves.test_loss.push(...h.test_loss);
    }
  });
  on("done", (d) => {
    if (!state.current) return;
    state.current.ended = true;
    state.current.metrics = { ...state.current.metrics, ...pick(d) };
    updatePinButton();
  });
}

function pick(d) {
  const out = {};
  for (const k of ["epochs", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "elapsed"]) {
    if (k in d) out[k] = d[k];
  }
  return out;
}

function updatePinButton() {
  const cur = state.current;
  const button = $("compare-pin");
  button.disabled = !(cur && cur.ended && cur.boundary) || state.pins.length >= MAX_PINS;
  button.title = state.pins.length >= MAX_PINS ? t("Up to {n} runs can be pinned; unpin one first.", { n: MAX_PINS })
    : t("Pin the finished run to compare it with others");
}

function pin() {
  const cur = state.current;
  if (!cur || !cur.ended || state.pins.length >= MAX_PINS) return;
  state.pins.push({
    label: t("Run {n}", { n: state.pins.length + 1 }),
    settings: cur.settings,
    thumbnail: cur.boundary,
    curves: cur.curves,
    metrics: cur.metrics,
    start: cur.start,
  });
  state.current = null; // one pin per run
  state.showing = "pins";
  updatePinButton();
  render();
}

// ---------------------------------------------------------------- lesson comparisons

function lessonText(value) {
  if (!value || typeof value === "string") return value || "";
  const lang = document.documentElement.lang || "en";
  return value[lang] || value[lang.replace("_", "-")] || value.en || Object.values(value)[0];
}

async function runLesson(page, lesson) {
  if (state.lesson?.sweep && !state.lesson.done) state.lesson.sweep.cancel().catch(() => {});
  const items = lesson.compare.values.map((value) => {
    const point = lesson.compare.overrides ? value : { [lesson.compare.field]: value };
    return { label: Object.entries(point).map(([k, v]) => `${k} ${valueText(v)}`).join(", "),
      settings: { ...lesson.config, ...point }, thumbnail: null, curves: emptyCurves(), metrics: null };
  });
  const entry = (state.lesson = { lesson, items, sweep: null, done: false });
  state.showing = "lesson";
  $("compare-section").hidden = false;
  render();
  setLessonStatus(t("Starting the comparison…"));
  try {
    entry.sweep = await startSweep({ lesson: lesson.id }, {
      progress: (v) => entry === state.lesson && setLessonStatus(progressText(v)),
      trial: (trial) => {
        if (entry !== state.lesson) return;
        const item = items[trial.point_index];
        if (item && trial.state === "done") {
          Object.assign(item, { thumbnail: trial.thumbnail, curves: trial.curves, metrics: trial.summary });
        } else if (item) {
          item.failed = trial.message || t("failed");
        }
        render();
      },
      done: (v) => {
        if (entry !== state.lesson) return;
        entry.done = true;
        setLessonStatus(v.state === "cancelled" ? t("Comparison cancelled.") : t("Comparison finished."));
      },
      lost: (text) => entry === state.lesson && setLessonStatus(text),
    });
    $("compare-section").dataset.sweepId = entry.sweep.id;
  } catch (err) {
    page.showError(t("Could not start the lesson's comparison: {message}", { message: err.message }));
    setLessonStatus("");
  }
}

function progressText(v) {
  const c = v.counts;
  return t("{done} of {total} runs finished", { done: c.done + c.error + c.cancelled, total: c.total });
}

function setLessonStatus(text) {
  $("compare-status").textContent = text || "";
}

// ---------------------------------------------------------------- the view

function items() {
  return state.showing === "lesson" && state.lesson ? state.lesson.items : state.pins;
}

function render() {
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

function renderMultiples(list) {
  const box = $("compare-multiples");
  box.replaceChildren();
  list.forEach((item, i) => {
    const card = document.createElement("figure");
    card.className = "compare-card";
    card.style.borderColor = PALETTE[i % PALETTE.length];
    card.append(thumbnail(item.thumbnail, 120));
    const caption = document.createElement("figcaption");
    const loss = item.metrics ? t("test loss {value}", { value: num(item.metrics.test_loss) })
      : item.failed || t("running…");
    caption.textContent = `${item.label} — ${loss}`;
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

/** Only the settings whose values are not all the same. */
export function differingKeys(settingsList) {
  const keys = new Set(settingsList.flatMap((s) => Object.keys(s)));
  return [...keys].filter((k) => new Set(settingsList.map((s) => JSON.stringify(s[k] ?? null))).size > 1).sort();
}

function renderDiff(list) {
  const table = $("compare-diff");
  const keys = differingKeys(list.map((item) => item.settings));
  const head = document.createElement("tr");
  for (const text of [t("Run"), ...keys, t("Test loss"), t("Training loss")]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    head.append(th);
  }
  const rows = list.map((item, i) => {
    const tr = document.createElement("tr");
    const cells = [item.label, ...keys.map((k) => valueText(item.settings[k])), num(item.metrics?.test_loss),
      num(item.metrics?.train_loss)];
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

/** The lesson picker: any lesson's comparison in one click (a lesson panel may emit the same hook). */
async function lessonPicker() {
  const select = $("compare-lesson-select");
  let lessons = [];
  try {
    lessons = await (await fetch("/api/lessons")).json();
  } catch {
    lessons = [];
  }
  for (const lesson of lessons) select.add(new Option(lessonText(lesson.title), lesson.id));
  $("compare-lesson-run").disabled = lessons.length === 0;
  on("lesson", ({ lesson }) => {
    if (lesson && lessons.some((l) => l.id === lesson.id)) select.value = lesson.id;
  });
  $("compare-lesson-run").addEventListener("click", () => {
    const lesson = lessons.find((l) => l.id === select.value);
    if (lesson) emit("compare-lesson", { lesson });
  });
}

export function init(page) {
  follow(page);
  lessonPicker();
  updatePinButton();
  $("compare-pin").addEventListener("click", pin);
  $("compare-clear").addEventListener("click", () => {
    state.pins = [];
    updatePinButton();
    render();
  });
  $("compare-show-pins").addEventListener("click", () => {
    state.showing = "pins";
    render();
  });
  $("compare-show-lesson").addEventListener("click", () => {
    state.showing = "lesson";
    render();
  });
  on("compare-lesson", ({ lesson }) => runLesson(page, lesson));
  window.addEventListener("pagehide", () => {
    const sweep = state.lesson?.sweep;
    if (sweep && !state.lesson.done) navigator.sendBeacon?.(`/api/sweeps/${encodeURIComponent(sweep.id)}/cancel`);
  });
  window.addEventListener("resize", () => $("compare-curves").data && Plotly.Plots.resize($("compare-curves")));
  render();
}
