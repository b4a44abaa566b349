// Presenter mode for class: large type, only the controls of the lesson at hand, the lesson text
// beside the output, keyboard shortcuts and the Fullscreen API. On with the button, `p`, or
// `?present=1` in the URL; Esc leaves it. Space (play/pause) is the page's own shortcut.

import { on } from "../core/hooks.js";
import { t } from "../core/i18n.js";

const $ = (id) => document.getElementById(id);
let lesson = null;

function text(value) {
  if (!value || typeof value === "string") return value || "";
  const lang = document.documentElement.lang || "en";
  return value[lang] || value[lang.replace("_", "-")] || value.en || Object.values(value)[0];
}

function active() {
  return document.body.classList.contains("presenter");
}

/** Only the top-bar controls the lesson compares stay visible (all of them without a lesson). */
function markControls() {
  const field = lesson?.compare?.field;
  const fields = new Set([field, ...(lesson?.compare?.overrides ? lesson.compare.values.flatMap(Object.keys) : [])]);
  for (const control of document.querySelectorAll(".topbar .control")) {
    const setting = control.querySelector("[data-setting]")?.dataset.setting;
    control.classList.toggle("presenter-keep", !lesson || fields.has(setting));
  }
}

function showLesson() {
  $("presenter-lesson-title").textContent = lesson ? text(lesson.title) : t("No lesson chosen");
  $("presenter-lesson-text").textContent = lesson ? text(lesson.text) : t("Choose a lesson to show its text here.");
  $("presenter-lesson-question").textContent = lesson ? text(lesson.question) : "";
}

function setUrl(present) {
  const url = new URL(location.href);
  if (present) url.searchParams.set("present", "1");
  else url.searchParams.delete("present");
  history.replaceState(null, "", url);
}

export function enter() {
  if (document.activeElement instanceof HTMLElement) document.activeElement.blur(); // space is play, not this button
  document.body.classList.add("presenter");
  $("presenter-aside").hidden = false;
  $("presenter-toggle").setAttribute("aria-pressed", "true");
  markControls();
  showLesson();
  setUrl(true);
  window.dispatchEvent(new Event("resize")); // the charts refit their larger boxes
}

export function leave() {
  document.body.classList.remove("presenter");
  $("presenter-aside").hidden = true;
  $("presenter-toggle").setAttribute("aria-pressed", "false");
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  setUrl(false);
  window.dispatchEvent(new Event("resize"));
}

function toggleFullscreen() {
  if (document.fullscreenElement) return document.exitFullscreen().catch(() => {});
  return document.documentElement.requestFullscreen?.().catch(() => {});
}

function isTyping(target) {
  return target instanceof Element && Boolean(target.closest("input, select, textarea, [contenteditable]"));
}

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
  if (e.key === "p" || e.key === "P") {
    e.preventDefault();
    return active() ? leave() : enter();
  }
  if (!active()) return;
  if (e.key === "ArrowRight") {
    e.preventDefault();
    $("step-button")?.click();
  } else if (e.key === "f" || e.key === "F") {
    e.preventDefault();
    toggleFullscreen();
  } else if (e.key === "Escape") {
    leave();
  }
}

export function init() {
  $("presenter-toggle").addEventListener("click", () => (active() ? leave() : enter()));
  document.addEventListener("keydown", onKey);
  on("compare-lesson", ({ lesson: chosen }) => {
    lesson = chosen;
    if (active()) {
      markControls();
      showLesson();
    }
  });
  if (new URLSearchParams(location.search).get("present") === "1") enter();
}
