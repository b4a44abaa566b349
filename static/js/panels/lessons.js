// The course's lessons (/api/lessons) as one-click presets: pick one, its settings are applied,
// its explanation and question shown; "Run the comparison" asks the compare panel (issue 8) to
// run the lesson's side-by-side runs through the hooks bus.

import { emit } from "../core/hooks.js";
import { t } from "../core/i18n.js";
import {
  COURSE_KEYS, EARLY_STOPPING_DEFAULT, LAYER_DEFAULT, LR_SCHEDULE_DEFAULT, REDUCE_LR_DEFAULT,
} from "../core/course-state.js";
import { copySettings, DEFAULTS } from "../core/state.js";

const $ = (id) => document.getElementById(id);
// Lesson config keys the Simple panel has; any other key needs Advanced mode.
const SIMPLE_KEYS = [
  "problem", "dataset", "noise", "train_ratio", "batch_size", "features", "hidden_layers", "activation",
  "learning_rate", "regularization", "regularization_rate", "epochs", "mode", "n_classes", "target_loss",
];
const KEPT = ["pace", "grid_resolution", "show_test", "discretize", "seed"]; // the learner's view, not the lesson's
const LAYER_KEYS = Object.keys(LAYER_DEFAULT);
// A lesson names only the callback arguments it needs; the panel shows (and the link keeps) all of them.
const CALLBACK_DEFAULTS = {
  early_stopping: EARLY_STOPPING_DEFAULT, lr_schedule: LR_SCHEDULE_DEFAULT, reduce_lr: REDUCE_LR_DEFAULT,
};

/** The learner's language for the lessons' texts (zh-TW or en): as the server picks it (app/i18n.py). */
export function lessonLanguage() {
  const lang = new URLSearchParams(location.search).get("lang")
    || (document.cookie.match(/(?:^|;\s*)kp_lang=([^;]+)/) || [])[1]
    || document.documentElement.lang || "";
  return /^zh/i.test(lang) ? "zh-TW" : "en";
}

const text = (value) => (value && typeof value === "object" ? value[lessonLanguage()] ?? value.en : value ?? "");

/** Page settings for a lesson's base config: Simple mode when its keys allow, else Advanced with per-layer options. */
export function lessonSettings(lesson, current) {
  const c = lesson.config || {};
  const s = copySettings(DEFAULTS);
  for (const key of KEPT) s[key] = current[key];
  for (const key of SIMPLE_KEYS) if (key in c) s[key] = Array.isArray(c[key]) ? [...c[key]] : c[key];
  if (c.problem === "regression" && !c.dataset) s.dataset = "plane";
  if (!Object.keys(c).some((key) => !SIMPLE_KEYS.includes(key))) return s;
  s.advanced = true;
  for (const key of COURSE_KEYS) if (key in c && key !== "layers") s[key] = c[key];
  for (const [key, defaults] of Object.entries(CALLBACK_DEFAULTS)) if (s[key]) s[key] = { ...defaults, ...s[key] };
  const perLayer = Object.fromEntries(LAYER_KEYS.filter((key) => key in c).map((key) => [key, c[key]]));
  s.layers = Array.isArray(c.layers)
    ? c.layers.map(({ units, ...rest }) => ({ ...LAYER_DEFAULT, ...rest }))
    : s.hidden_layers.map(() => ({ ...LAYER_DEFAULT, ...perLayer }));
  if (Array.isArray(c.layers)) s.hidden_layers = c.layers.map((layer) => layer.units);
  return s;
}

function describeValue(value) {
  if (value === null) return t("off");
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}=${v}`).join(" ");
  return String(value);
}

export function initLessons(page) {
  const select = $("lesson");
  let lessons = [];
  let current = null;

  const show = (lesson) => {
    current = lesson;
    $("lesson-card").hidden = !lesson;
    if (!lesson) return;
    $("lesson-title").textContent = text(lesson.title);
    $("lesson-text").textContent = text(lesson.text);
    $("lesson-question").textContent = text(lesson.question);
    const compare = lesson.compare;
    $("lesson-compare").hidden = !compare;
    $("lesson-compare-values").textContent = compare
      ? t("Compares {field}: {values}", { field: compare.field, values: compare.values.map(describeValue).join(" · ") })
      : "";
  };

  select.addEventListener("change", () => {
    const lesson = lessons.find((l) => l.id === select.value) || null;
    show(lesson);
    if (lesson) page.apply(lessonSettings(lesson, page.settings));
    emit("lesson", { lesson });
  });
  $("lesson-compare").addEventListener("click", () => current && emit("compare-lesson", { lesson: current }));

  fetch("/api/lessons", { headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.statusText))))
    .then((list) => {
      lessons = Array.isArray(list) ? list : [];
      for (const lesson of lessons) select.add(new Option(text(lesson.title), lesson.id));
    })
    .catch((err) => page.showError(t("Could not load the lessons: {message}", { message: err.message })));
}
