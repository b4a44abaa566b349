// More than two classes on the page: the boundary coloured by the winning class (argmax of the
// softmax, sent as `boundary.classes` in frames) and the confusion matrix of every classification run.

import { on } from "./hooks.js";
import { t } from "./i18n.js";
import { classColor } from "./palette.js";

const $ = (id) => document.getElementById(id);

function decodeClasses(b64) {
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function cell(tag, text, className) {
  const el = document.createElement(tag);
  el.textContent = text;
  if (className) el.className = className;
  return el;
}

function swatch(k, n) {
  const span = cell("span", n > 2 ? "■ " : "", "class-swatch");
  span.style.color = classColor(k);
  return span;
}

/** Rows: true class, columns: predicted; the diagonal (correct) in bold. */
function renderConfusion(matrix, which) {
  const n = matrix.length;
  const table = $("confusion-table");
  const head = document.createElement("tr");
  head.append(cell("th", t("true ↓ / predicted →")));
  for (let k = 0; k < n; k++) {
    const th = cell("th", t("class {k}", { k }));
    th.prepend(swatch(k, n));
    head.append(th);
  }
  const rows = matrix.map((row, i) => {
    const tr = document.createElement("tr");
    const th = cell("th", t("class {k}", { k: i }));
    th.prepend(swatch(i, n));
    tr.append(th, ...row.map((v, j) => cell("td", String(v), i === j ? "hit" : v ? "miss" : "")));
    return tr;
  });
  table.replaceChildren(head, ...rows);
  $("confusion-caption").textContent = t("Confusion matrix ({which} data)", { which: t(which) });
  $("confusion").hidden = false;
}

export function init(page) {
  let which = "test";
  let last = null;
  $("confusion-which").addEventListener("change", (e) => {
    which = e.target.value;
    if (last) renderConfusion(last[which], which);
  });
  on("frame", (f) => {
    const b = f.boundary;
    page.boundary.setClasses(b?.classes ? decodeClasses(b.classes) : null, b?.n_classes || 0);
    if (f.confusion) {
      last = f.confusion;
      renderConfusion(last[which], which);
    }
  });
  on("reset", () => {
    page.boundary.setClasses(null);
    last = null;
    $("confusion").hidden = true;
  });
}
