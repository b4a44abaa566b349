// A class's locked settings on the learner's page: the controls greyed and disabled, with a note
// ("locked by your teacher"), and the class preset turned into the page's settings.

import { t } from "../core/i18n.js";

// Page settings a class preset sets (RunConfig's names; the advanced course options stay the learner's).
export const PRESET_KEYS = ["problem", "dataset", "noise", "n_classes", "train_ratio", "seed", "features",
  "hidden_layers", "activation", "learning_rate", "batch_size", "regularization", "regularization_rate", "epochs",
  "pace", "grid_resolution", "mode", "target_loss"];
// Controls that are not one `[data-setting]` element: the dataset list and the network's own buttons.
const EXTRA = {
  dataset: ["#datasets"],
  problem: ["#datasets"],
  hidden_layers: ["#add-layer", "#remove-layer", ".layer-head .mini"],
  features: [".node.input"],
};

/** The page's settings with the preset's values in place (keys the page knows only). */
export function settingsFrom(current, preset) {
  const next = { ...current };
  for (const key of PRESET_KEYS) {
    if (!(key in preset)) continue;
    const value = preset[key];
    next[key] = Array.isArray(value) ? [...value] : value;
  }
  return next;
}

/** Grey the locked controls: a style sheet for parts the page rebuilds, `disabled` and a note for the rest. */
export function applyLocks(style, locked) {
  document.querySelectorAll(".class-lock-note").forEach((n) => n.remove());
  document.querySelectorAll("[data-class-locked]").forEach((el) => {
    el.disabled = false;
    el.removeAttribute("data-class-locked");
  });
  const selectors = locked.flatMap((name) => [...(EXTRA[name] || []),
    `.control:has([data-setting="${name}"])`, `.slider:has([data-setting="${name}"])`]);
  style.textContent = selectors.length
    ? `${selectors.join(",\n")} { opacity: 0.45; pointer-events: none; }` : "";
  for (const name of locked) {
    for (const input of document.querySelectorAll(`[data-setting="${name}"]`)) {
      if (input.closest(".class-banner")) continue;
      input.disabled = true;
      input.dataset.classLocked = "true";
      const box = input.closest(".control, .slider") || input.parentElement;
      box.after(note());
    }
    for (const selector of name === "dataset" ? EXTRA.dataset : []) {
      document.querySelector(selector)?.before(note());
    }
  }
}

function note() {
  const span = document.createElement("span");
  span.className = "class-lock-note";
  span.textContent = t("locked by your teacher");
  return span;
}
