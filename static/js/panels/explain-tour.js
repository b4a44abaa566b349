// The first-visit overlay "What am I looking at?": four callouts on the data, the network, the output
// and the curves. Dismissed with its button, Escape or a click outside, and remembered in localStorage;
// the "?" button in the header opens it again. An automated browser (navigator.webdriver: the test
// suite's Playwright) never gets it unasked, so no test finds a dialog over the controls; `?tour=1`
// asks for it (the tour's own test, the screenshot), `?tour=0` turns it off for anyone.

import { on } from "../core/hooks.js";
import { t } from "../core/i18n.js";

export const SEEN_KEY = "kp_tour_seen";
// [selector of the part, its callout text] in reading order; the texts are composed when shown.
const PARTS = [
  ["#datasets", () => t("The data: points of two classes, orange and blue. Choose a dataset, its noise and how many points are for training.")],
  ["#network", () => t("The network: the features on the left, the neurons in the middle. Hover or tap a neuron to see its equation.")],
  ["#boundary", () => t("The output: the network's answer over the whole plane, with the data points on top.")],
  ["#curves", () => t("The curves: training and test loss per epoch. Lower is better; a growing gap means overfitting.")],
];

function seen() {
  try {
    return localStorage.getItem(SEEN_KEY) === "1";
  } catch {
    return true; // no storage (private mode): never pester
  }
}

function remember() {
  try {
    localStorage.setItem(SEEN_KEY, "1");
  } catch {
    /* nothing to remember it in */
  }
}

/** Whether this visit opens the tour by itself. */
export function showsByItself(search = location.search, automated = navigator.webdriver) {
  const asked = new URLSearchParams(search).get("tour");
  if (asked === "0" || seen()) return false;
  return asked === "1" || !automated;
}

function el(tag, className, text, parent) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  parent?.append(node);
  return node;
}

class Tour {
  constructor() {
    this.root = null;
    this.returnFocus = null;
    this.onKey = (e) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        this.close();
      }
    };
    this.onResize = () => this.place();
  }

  open() {
    if (this.root) return;
    this.returnFocus = document.activeElement;
    window.scrollTo(0, 0);
    const root = (this.root = el("div", "tour", "", document.body));
    root.id = "tour";
    root.setAttribute("role", "dialog");
    root.setAttribute("aria-modal", "true");
    root.setAttribute("aria-labelledby", "tour-title");
    root.addEventListener("click", (e) => e.target === root && this.close());
    this.callouts = PARTS.map(([selector, text], i) => {
      const ring = el("div", "tour-ring", "", root);
      const note = el("p", "tour-callout", "", root);
      el("span", "tour-number", String(i + 1), note);
      note.append(" ", text());
      return { selector, ring, note };
    });
    const panel = el("div", "tour-panel", "", root);
    el("h2", "", t("What am I looking at?"), panel).id = "tour-title";
    el("p", "", t("Press ▶ to train, then watch these four parts change. Hover, focus or tap any control to see what it does."), panel);
    const done = el("button", "tour-close", t("Got it"), panel);
    done.type = "button";
    done.addEventListener("click", () => this.close());
    document.addEventListener("keydown", this.onKey, true);
    window.addEventListener("resize", this.onResize);
    this.place();
    done.focus();
  }

  /** Rings around the four parts, each callout under (or over) its ring. */
  place() {
    for (const { selector, ring, note } of this.callouts || []) {
      const at = document.querySelector(selector)?.getBoundingClientRect();
      ring.hidden = note.hidden = !at || !at.width;
      if (ring.hidden) continue;
      Object.assign(ring.style, { left: `${at.left - 4}px`, top: `${at.top - 4}px`, width: `${at.width + 8}px`,
        height: `${at.height + 8}px` });
      const width = Math.min(280, Math.max(180, at.width));
      const top = at.top + 12 + note.offsetHeight < window.innerHeight ? at.top + 12 : Math.max(8, at.bottom - note.offsetHeight);
      Object.assign(note.style, { left: `${Math.min(at.left + 8, window.innerWidth - width - 8)}px`, top: `${top}px`,
        width: `${width}px` });
    }
  }

  close() {
    if (!this.root) return;
    remember();
    document.removeEventListener("keydown", this.onKey, true);
    window.removeEventListener("resize", this.onResize);
    this.root.remove();
    this.root = null;
    this.returnFocus?.focus?.();
  }
}

/** The "?" button in the header, and the tour itself on a first visit. */
export function initTour() {
  const tour = new Tour();
  const button = el("button", "tour-open", "?");
  button.type = "button";
  button.id = "tour-open";
  const label = () => button.setAttribute("aria-label", t("What am I looking at?"));
  label();
  button.title = t("What am I looking at?");
  button.addEventListener("click", () => tour.open());
  document.querySelector(".site-header")?.append(button);
  on("language", () => {
    label();
    button.title = t("What am I looking at?");
  });
  if (showsByItself()) tour.open();
  return tour;
}
