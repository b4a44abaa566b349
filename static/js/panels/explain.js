// Explanations on hover, focus and tap: every control of the main page says what it does and what
// to expect (the RunConfig field's help and "expect" line from /api/config — core/fields.js — never
// a copy here), every neuron shows its equation with the current weights (views/equation-card.js),
// the loss is shown as a formula, and a lesson can point at these views. Escape closes a card.

import { field, fieldHelp, fieldLabel } from "../core/fields.js";
import { on } from "../core/hooks.js";
import { t } from "../core/i18n.js";
import { equationLines } from "../core/equation.js";
import { equationContext, lossOf } from "../core/equation-context.js";
import { initTour } from "./explain-tour.js";

const SCOPE = ".topbar, #main, #course";
// Layer-table columns (panels/course.js data-key) -> the top-level field whose help they share.
const LAYER_FIELD = { units: "hidden_layers", activity_regularization: "layers", activity_regularization_rate: "layers" };
// Where a control's field is written, most specific first: [selector, element -> field name].
const RULES = [
  ["#loss-formula-button", () => "loss"],
  ["#layer-rows [data-key]", (n) => LAYER_FIELD[n.dataset.key] ?? n.dataset.key],
  ["[data-setting]", (n) => n.dataset.setting],
  ["[data-course]", (n) => n.dataset.course],
  ["[data-cb]", (n) => n.dataset.cb.split(".")[0]],
  ["[data-field]", (n) => n.dataset.field.split(".")[0]],
  ["[data-callback]", (n) => n.dataset.callback],
  [".control, .slider", (n) => n.querySelector("[data-setting]")?.dataset.setting],
  [".node.input", () => "features"],
  ["#datasets", () => "dataset"],
  ["#regenerate", () => "seed"],
  [".layers-control, .layer-head", () => "hidden_layers"],
];
const LOSS_FIELDS = new Set(["loss", "regularization", "regularization_rate"]);

/** The control under `target` and the RunConfig field it sets, or null. */
function anchorOf(target) {
  if (!(target instanceof Element) || !target.closest(SCOPE) || target.closest("#explain-card")) return null;
  for (const [selector, name] of RULES) {
    const anchor = target.closest(selector);
    const fieldName = anchor && name(anchor);
    if (fieldName && field(fieldName)?.help) return { anchor, name: fieldName };
  }
  return null;
}

function add(parent, tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  parent.append(node);
  return node;
}

/** The loss as it is trained now: its name and formula (with the penalty), for a card. */
function lossLines(card, settings) {
  const loss = lossOf(settings);
  add(card, "span", "explain-loss-name", t("Loss in use: {name}", { name: loss.name }));
  if (loss.formula) add(card, "code", "equation", loss.formula);
  if (loss.formula?.includes("λ")) add(card, "span", "equation-note", t("λ is the regularization rate; w runs over every weight."));
}

/** Fill the card for a field: label, what it does, what to expect (and the loss formula where it helps). */
function fill(card, name, settings) {
  const f = field(name);
  card.replaceChildren();
  add(card, "strong", "", fieldLabel(name) || name);
  add(card, "p", "explain-help", fieldHelp(name));
  const expect = f?.msgid?.expect ? t(f.msgid.expect) : "";
  if (expect) {
    const p = add(card, "p", "explain-expect");
    add(p, "em", "", t("What to expect:"));
    p.append(" ", expect);
  }
  if (LOSS_FIELDS.has(name)) lossLines(card, settings);
}

/** {lines, notes} of a neuron for the network's equation card. */
function describeNeuron(page, weights, layer, index) {
  if (!weights) return { lines: [], notes: [t("Its equation appears with the first epoch: press ▶.")] };
  const ctx = equationContext(page.settings, weights);
  const lines = equationLines(weights, layer, index, ctx);
  const notes = [];
  const last = layer === weights.length - 1;
  if (!last && ctx.batchNorm[layer]) {
    notes.push(t("BN: batch normalization rescales the sum with the batch's mean and spread before the activation."));
  }
  notes.push(last ? t("The output neuron: its value over the plane is the big map.")
    : t("Its value over the plane is its thumbnail; hover it to see it in the big map."));
  return { lines, notes };
}

/** Hover, focus and tap explanations of the controls; one card for the whole page. */
function explainControls(page) {
  const card = add(document.body, "div", "explain-card");
  Object.assign(card, { id: "explain-card", hidden: true });
  card.setAttribute("role", "tooltip");
  let shown = null; // {anchor, name}
  let described = null; // the control that points at the card with aria-describedby
  let tapClosed = null; // an anchor a tap or Escape just closed: its focus or hover must not reopen it

  const hide = () => {
    shown = null;
    card.hidden = true;
    if (described) {
      const rest = (described.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== card.id);
      if (rest.length) described.setAttribute("aria-describedby", rest.join(" "));
      else described.removeAttribute("aria-describedby");
      described = null;
    }
  };
  const show = (hit, focused = null) => {
    shown = hit;
    fill(card, hit.name, page.settings);
    card.hidden = false;
    const at = hit.anchor.getBoundingClientRect();
    const left = Math.min(Math.max(8, at.left), Math.max(8, window.innerWidth - card.offsetWidth - 8));
    const below = at.bottom + 6 + card.offsetHeight <= window.innerHeight || at.top < card.offsetHeight + 6;
    card.style.left = `${left + window.scrollX}px`;
    card.style.top = `${(below ? at.bottom + 6 : at.top - card.offsetHeight - 6) + window.scrollY}px`;
    if (focused && focused !== described) {
      const ids = (focused.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      focused.setAttribute("aria-describedby", [...ids.filter((id) => id !== card.id), card.id].join(" "));
      described = focused;
    }
  };

  document.addEventListener("pointerover", (e) => {
    if (e.pointerType !== "mouse") return;
    const hit = anchorOf(e.target);
    if (hit?.anchor === tapClosed) return; // closed by Escape: stays closed until the pointer moves on
    tapClosed = null;
    if (hit && hit.anchor !== shown?.anchor) show(hit);
  });
  document.addEventListener("pointerout", (e) => {
    if (e.pointerType !== "mouse" || !shown || described) return;
    if (!(e.relatedTarget instanceof Node && shown.anchor.contains(e.relatedTarget))) hide();
  });
  document.addEventListener("pointerdown", (e) => { // a tap toggles
    if (e.pointerType === "mouse") return;
    const hit = anchorOf(e.target);
    tapClosed = null;
    if (hit && shown?.anchor === hit.anchor) {
      hide();
      tapClosed = hit.anchor;
    } else if (hit) show(hit);
  });
  document.addEventListener("focusin", (e) => {
    const hit = anchorOf(e.target);
    if (hit && hit.anchor === tapClosed) return;
    tapClosed = null;
    if (hit) show(hit, e.target);
    else if (described) hide();
  });
  document.addEventListener("focusout", (e) => {
    if (e.target === described && !anchorOf(e.relatedTarget)) hide();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    page.network.closeEquation?.();
    if (shown) {
      tapClosed = shown.anchor;
      hide();
    }
  });
  on("language", () => shown && fill(card, shown.name, page.settings));
  on("settings", () => shown && fill(card, shown.name, page.settings));
  // The native tooltips said only the help: the card says it, and more.
  for (const node of document.querySelectorAll(`:is(${SCOPE}) :is([data-setting], .slider, [data-course])[title]`)) {
    if (anchorOf(node)) node.removeAttribute("title");
  }
}

/** The button beside the curves that shows the loss as a formula (its card: the loss field's). */
function lossButton() {
  const button = document.createElement("button");
  Object.assign(button, { type: "button", id: "loss-formula-button", className: "explain-chip", textContent: "L(ŷ, y)" });
  button.setAttribute("aria-label", t("The loss as a formula"));
  document.getElementById("output-heading")?.after(button);
  on("language", () => button.setAttribute("aria-label", t("The loss as a formula")));
  return button;
}

/** A lesson's pointer at these views ("hover a neuron to see its equation"), under its text. */
function lessonPointers(lossChip) {
  const box = document.createElement("p");
  Object.assign(box, { id: "lesson-see", className: "lesson-see", hidden: true });
  const button = add(box, "button", "text-button");
  button.type = "button";
  document.getElementById("lesson-text")?.after(box);
  let view = null;
  let shownLesson = null;
  button.addEventListener("click", () => {
    const target = view === "loss" ? lossChip
      : document.querySelector("#network .node.hidden") || document.querySelector("#network .node.output");
    target?.scrollIntoView({ block: "center" });
    target?.focus();
  });
  const render = () => {
    const see = shownLesson?.see;
    box.hidden = !see;
    if (!see) return;
    view = see.view;
    const lang = document.documentElement.lang.startsWith("zh") ? "zh-TW" : "en";
    button.textContent = see.text?.[lang] ?? see.text?.en ?? "";
  };
  on("lesson", ({ lesson }) => {
    shownLesson = lesson;
    render();
  });
  on("language", render);
}

export function init(page) {
  page.network.handlers.describeNeuron = (weights, layer, index) => describeNeuron(page, weights, layer, index);
  const chip = lossButton();
  explainControls(page);
  lessonPointers(chip);
  initTour();
}
