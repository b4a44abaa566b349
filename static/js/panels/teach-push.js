// "Push settings": a small editor of the class's preset (dataset, network, learning rate...), or a
// lesson step from GET /api/lessons, plus the locked fields; PUT /api/classes/<id>/preset sends it.

import { datasets, fieldLabel, offered } from "../core/fields.js";
import { t } from "../core/i18n.js";

// The settings a teacher changes between two steps of a lesson; the rest stays as the preset has it.
export const EDITED = ["dataset", "hidden_layers", "learning_rate", "activation", "batch_size", "noise",
  "regularization"];
// The settings a teacher can lock (the page's controls for them are greyed for learners).
export const LOCKABLE = ["dataset", "hidden_layers", "features", "learning_rate", "activation", "batch_size", "noise",
  "regularization", "regularization_rate", "train_ratio"];

const text = (value) => {
  if (!value || typeof value === "string") return value || "";
  const lang = document.documentElement.lang || "en";
  return value[lang] || value[lang.replace("-", "_")] || value.en || "";
};

function control(name, value) {
  let input;
  if (name === "dataset") {
    input = document.createElement("select");
    for (const d of datasets()) input.add(new Option(d.title || d.name, d.name));
  } else if (["learning_rate", "activation", "regularization"].includes(name)) {
    input = document.createElement("select");
    for (const v of offered(name)) input.add(new Option(String(v), String(v)));
  } else {
    input = Object.assign(document.createElement("input"), { type: "text", size: 8 });
  }
  input.name = name;
  input.dataset.setting = name;
  input.value = Array.isArray(value) ? value.join(",") : String(value ?? "");
  const label = document.createElement("label");
  label.append(fieldLabel(name) || name, " ", input);
  return label;
}

/** Read the editor back as preset values (numbers where the setting is one). */
function read(editor) {
  const out = {};
  for (const input of editor.querySelectorAll("[data-setting]")) {
    const name = input.dataset.setting;
    const raw = input.value.trim();
    if (name === "hidden_layers") out[name] = raw === "" ? [] : raw.split(",").map((n) => Number(n.trim()));
    else if (["dataset", "activation", "regularization"].includes(name)) out[name] = raw;
    else out[name] = Number(raw);
  }
  return out;
}

export class PushPanel {
  /** send({preset, locked}) pushes; lessons: GET /api/lessons' answer. */
  constructor({ send }) {
    this.send = send;
    this.preset = {};
    this.lessons = [];
    this.editor = document.getElementById("teach-editor");
    this.locks = document.getElementById("teach-locks");
    this.lessonSelect = document.getElementById("teach-lesson");
    document.getElementById("teach-push-open").addEventListener("click", () => this.toggle());
    document.getElementById("teach-push-send").addEventListener("click", () => this.push());
    this.lessonSelect.addEventListener("change", () => {
      const lesson = this.lessons.find((l) => l.id === this.lessonSelect.value);
      this.fill(lesson ? { ...this.preset, ...lesson.config } : this.preset, this.locked());
    });
  }

  setLessons(lessons) {
    this.lessons = lessons;
    for (const lesson of lessons) this.lessonSelect.add(new Option(text(lesson.title), lesson.id));
  }

  /** Show the class's current preset and locks in the editor. */
  fill(preset, locked) {
    this.editor.replaceChildren(...EDITED.map((name) => control(name, preset[name])));
    this.locks.replaceChildren(...LOCKABLE.map((name) => {
      const box = Object.assign(document.createElement("input"), { type: "checkbox", value: name,
        checked: locked.includes(name) });
      const label = document.createElement("label");
      label.append(box, " ", fieldLabel(name) || name);
      return label;
    }));
  }

  setPreset(preset, locked) {
    this.preset = preset;
    if (this.hidden()) this.fill(preset, locked);
  }

  locked() {
    return [...this.locks.querySelectorAll("input:checked")].map((b) => b.value);
  }

  hidden() {
    return document.getElementById("teach-push").hidden;
  }

  toggle() {
    const box = document.getElementById("teach-push");
    box.hidden = !box.hidden;
    document.getElementById("teach-push-open").setAttribute("aria-expanded", String(!box.hidden));
  }

  async push() {
    const lesson = this.lessons.find((l) => l.id === this.lessonSelect.value);
    const preset = { ...this.preset, ...(lesson ? lesson.config : {}), ...read(this.editor) };
    await this.send({ preset, locked: this.locked() });
    document.getElementById("teach-push").hidden = true;
  }
}

export const pushedText = () => t("New settings pushed to every learner.");
