// "Use it in classroom", as TF Playground has it: the teacher ticks the controls to hide and copies
// a link that opens the page with only the rest. The link carries `<name>_hide=true` keys in the
// hash (state.js reads them, TF Playground's names too), so hidden controls survive every change.

import { on } from "../core/hooks.js";
import { fieldLabel } from "../core/fields.js";
import { t } from "../core/i18n.js";
import { HIDABLE, toHash } from "../core/state.js";

// What each hidable name hides on the page (CSS selectors; rebuilt parts are matched again by CSS).
const TARGETS = {
  play_button: ["#play-pause-button"], step_button: ["#step-button"], reset_button: ["#reset-button"],
  learning_rate: [".control:has(#learning-rate)"], activation: [".control:has(#activation)"],
  regularization: [".control:has(#regularization)"], regularization_rate: [".control:has(#regularization-rate)"],
  problem: [".control:has(#problem)"], pace: [".control:has(#pace)"], mode: [".control:has(#mode)"],
  dataset: ["#datasets", "#datasets-help"], train_ratio: [".slider:has(#train-ratio)"], noise: [".slider:has(#noise)"],
  batch_size: [".slider:has(#batch-size)"], regenerate: ["#regenerate"],
  hidden_layers: ["#add-layer", "#remove-layer", ".layer-head .mini"],
  show_test: ["label:has(#show-test)"], discretize: ["label:has(#discretize)"],
  grid_resolution: [".control:has(#grid-resolution)"], epochs: [".control:has(#epochs)"],
  target_loss: [".control:has(#target-loss)"], text: [".site-header", ".site-footer"],
};
// The controls a classroom link can hide: settings are named by the server's labels (core/fields.js).
const CONTROLS = () => ({
  play_button: t("Play / pause button"), step_button: t("Step button"), reset_button: t("Reset button"),
  regenerate: t("Regenerate"), hidden_layers: t("Number of layers and neurons"),
  show_test: t("Show test data"), discretize: t("Discretize output"), text: t("Title and page text"),
});
const SETTINGS = ["learning_rate", "activation", "regularization", "regularization_rate", "problem", "pace", "mode",
  "dataset", "train_ratio", "noise", "batch_size", "grid_resolution", "epochs", "target_loss"];
const LABELS = () => ({ ...Object.fromEntries(SETTINGS.map((name) => [name, fieldLabel(name)])), ...CONTROLS() });

function selectorsOf(name) {
  return TARGETS[name] || [`.node.input[data-feature="${name}"]`]; // an input feature
}

/** A style sheet hiding the named controls (rules, not element flags: the network is rebuilt often). */
function applyHidden(style, names) {
  const selectors = names.flatMap(selectorsOf);
  style.textContent = selectors.length ? `${selectors.join(",\n")} { display: none !important; }` : "";
}

export function init(page) {
  const style = document.createElement("style");
  style.id = "classroom-hidden";
  document.head.appendChild(style);
  applyHidden(style, page.settings.hide || []);
  on("settings", ({ settings }) => applyHidden(style, settings.hide || []));

  const dialog = document.getElementById("classroom-dialog");
  const list = document.getElementById("classroom-controls");
  const link = document.getElementById("classroom-link");
  const labels = LABELS();
  const features = Object.fromEntries([...document.querySelectorAll(".node.input")].map((n) => [n.dataset.feature,
    n.querySelector(".node-label")?.textContent || n.dataset.feature]));
  for (const name of HIDABLE) {
    const label = document.createElement("label");
    const box = Object.assign(document.createElement("input"), { type: "checkbox", value: name });
    label.append(box, " ", labels[name] || t("Feature {name}", { name: features[name] || name }));
    list.appendChild(label);
  }
  const boxes = () => [...list.querySelectorAll("input[type=checkbox]")];
  const update = () => {
    const hide = boxes().filter((b) => b.checked).map((b) => b.value);
    link.value = `${location.origin}${location.pathname}${toHash({ ...page.settings, hide })}`;
  };
  list.addEventListener("change", update);
  document.getElementById("classroom-button").addEventListener("click", () => {
    const hidden = page.settings.hide || [];
    for (const box of boxes()) box.checked = hidden.includes(box.value);
    update();
    dialog.showModal();
  });
  document.getElementById("classroom-copy").addEventListener("click", async () => {
    link.select();
    const status = document.getElementById("classroom-copied");
    try {
      await navigator.clipboard.writeText(link.value);
      status.textContent = t("Copied.");
    } catch {
      status.textContent = t("Select the link and copy it (Ctrl+C).");
    }
  });
  document.getElementById("classroom-close").addEventListener("click", () => dialog.close());
}
