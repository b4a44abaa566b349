// A lesson's comparison in the compare view: its runs as a sweep (core/sweepclient.js), and the picker that
// starts any lesson's comparison in one click.

import { emit, on } from "../core/hooks.js";
import { t } from "../core/i18n.js";
import { startSweep } from "../core/sweepclient.js";
import { valueText } from "../views/thumbs.js";
import { $, emptyCurves, state } from "./compare-state.js";

export function lessonText(value) {
  if (!value || typeof value === "string") return value || "";
  const lang = document.documentElement.lang || "en";
  return value[lang] || value[lang.replace("_", "-")] || value.en || Object.values(value)[0];
}

function progressText(v) {
  const c = v.counts;
  return t("{done} of {total} runs finished", { done: c.done + c.error + c.cancelled, total: c.total });
}

function setLessonStatus(text) {
  $("compare-status").textContent = text || "";
}

/** Run a lesson's comparison; `render` redraws the view as its trials finish. */
export async function runLesson(page, lesson, render) {
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

/** The lesson picker: any lesson's comparison in one click (a lesson panel may emit the same hook). */
export async function lessonPicker() {
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

/** Cancel a lesson's sweep still running when the page goes away. */
export function cancelOnLeave() {
  window.addEventListener("pagehide", () => {
    const sweep = state.lesson?.sweep;
    if (sweep && !state.lesson.done) navigator.sendBeacon?.(`/api/sweeps/${encodeURIComponent(sweep.id)}/cancel`);
  });
}
