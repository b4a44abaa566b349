// The confusion matrix of a classification run, under the output: rows are the true class,
// columns the predicted one, for the test and the training data (frame.confusion, any number
// of classes). Two classes are TF Playground's orange (−1) and blue (+1).

import { on } from "../core/hooks.js";
import { t } from "../core/i18n.js";
import { classColor } from "../core/palette.js";

const TWO = () => [t("orange"), t("blue")];

/** A class's header cell; beyond two classes with its colour on the map (palette.js). */
function label(name, i, k, scope) {
  const th = Object.assign(document.createElement("th"), { textContent: name, scope });
  if (k > 2) {
    const swatch = Object.assign(document.createElement("span"), { className: "class-swatch", textContent: "■ " });
    swatch.style.color = classColor(i);
    th.prepend(swatch);
  }
  return th;
}

function table(matrix, caption) {
  const k = matrix.length;
  const names = k === 2 ? TWO() : matrix.map((_, i) => t("class {n}", { n: i }));
  const total = matrix.flat().reduce((a, b) => a + b, 0) || 1;
  const el = document.createElement("table");
  el.className = "confusion-table";
  el.createCaption().textContent = caption;
  const head = el.createTHead().insertRow();
  head.appendChild(Object.assign(document.createElement("th"), { textContent: t("true ↓ / predicted →") }));
  names.forEach((name, i) => head.appendChild(label(name, i, k, "col")));
  const body = el.createTBody();
  matrix.forEach((row, i) => {
    const tr = body.insertRow();
    tr.appendChild(label(names[i], i, k, "row"));
    row.forEach((n, j) => {
      const td = tr.insertCell();
      td.textContent = String(n);
      td.className = i === j ? "hit" : n ? "miss" : "";
      td.style.setProperty("--share", String(n / total));
    });
  });
  return el;
}

export function init() {
  const box = document.getElementById("confusion");
  let key = "";
  const clear = () => {
    box.replaceChildren();
    box.hidden = true;
    key = "";
  };
  on("frame", (f) => {
    const c = f.confusion;
    if (!c?.test || !c?.train) return clear();
    const next = JSON.stringify(c);
    if (next === key) return;
    key = next;
    box.replaceChildren(table(c.test, t("Test data")), table(c.train, t("Training data")));
    box.hidden = false;
  });
  on("reset", clear);
  clear();
}
