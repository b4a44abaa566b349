// "Start a class" on the playground: the page's current settings become the class's preset; the
// teacher picks the locked controls (the dataset by default), a ready-made challenge or none, and
// anonymity; POST /api/classes, then the teacher's wall opens (/teach/<id>#token=..., the token kept
// in sessionStorage so a reload keeps working).

import { request } from "../core/api.js";
import { fieldLabel } from "../core/fields.js";
import { t } from "../core/i18n.js";
import { runConfig } from "../core/state.js";
import { LOCKABLE } from "./teach-push.js";

const $ = (id) => document.getElementById(id);

function lockBoxes() {
  return LOCKABLE.map((name) => {
    const box = Object.assign(document.createElement("input"), { type: "checkbox", value: name,
      checked: name === "dataset" });
    const label = document.createElement("label");
    label.append(box, " ", fieldLabel(name) || name);
    return label;
  });
}

export function init(page) {
  const button = $("class-start-button");
  if (!button) return;
  if (document.body.dataset.classCode) { // a learner's page: no class inside a class
    button.hidden = true;
    return;
  }
  const dialog = $("class-start");
  let challenges = [];
  button.addEventListener("click", async () => {
    $("class-start-locks").replaceChildren(...lockBoxes());
    $("class-start-error").textContent = "";
    dialog.showModal();
    if (!challenges.length) {
      try {
        challenges = await request("GET", "/api/classes/challenges");
        for (const c of challenges) $("class-start-challenge").add(new Option(c.title, c.id));
      } catch (err) {
        $("class-start-error").textContent = err.message;
      }
    }
  });
  $("class-start-cancel").addEventListener("click", () => dialog.close());
  $("class-start-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const chosen = challenges.find((c) => c.id === $("class-start-challenge").value);
    const locked = [...$("class-start-locks").querySelectorAll("input:checked")].map((b) => b.value);
    const body = {
      name: $("class-start-name").value.trim(),
      preset: { ...runConfig(page.settings), ...(chosen?.preset || {}) },
      locked: [...new Set([...locked, ...(chosen?.locked || [])])],
      anonymous: $("class-start-anonymous").checked,
      ...(chosen ? { challenge: { ...chosen.challenge, title: chosen.title } } : {}),
    };
    try {
      const made = await request("POST", "/api/classes", body);
      sessionStorage.setItem(`kp-teach-${made.id}`, made.teacher_token);
      page.reset();
      location.assign(made.teacher_url);
    } catch (err) {
      $("class-start-error").textContent = err.message;
    }
  });
}
