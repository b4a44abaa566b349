// The card beside a hovered, focused or tapped neuron of the network diagram: its name, its equation
// with the current weights (one line, or one per class for a softmax output) and a note. The text
// comes from `describe(weights, layer, index)` -> {lines, notes} (panels/explain.js supplies it), so
// this module only places the card and refreshes it on every frame while it is shown.

export class EquationCard {
  constructor(container, describe) {
    this.container = container;
    this.describe = describe;
    this.node = null;
    this.info = null;
    this.weights = null;
    this.card = document.createElement("div");
    Object.assign(this.card, { className: "hovercard equation-card", id: "neuron-equation", hidden: true });
    this.card.setAttribute("role", "tooltip");
    container.appendChild(this.card);
  }

  /** Show the card for `node` (info: {kind, layer, index}) with these weights. */
  show(node, info, weights) {
    this.node = node;
    this.info = info;
    this.weights = weights;
    this._fill();
    const box = this.container.getBoundingClientRect();
    const at = node.getBoundingClientRect();
    this.card.hidden = false;
    const width = this.card.offsetWidth;
    const right = at.right - box.left + 8;
    const left = at.left - box.left - width - 8;
    let x = right;
    let y = at.top - box.top;
    if (right + width > this.container.clientWidth) { // beside it on the left, else under it
      if (left >= 0) x = left;
      else {
        x = Math.max(0, Math.min(at.left - box.left, this.container.clientWidth - width));
        y = at.bottom - box.top + 6;
      }
    }
    this.card.style.left = `${x}px`;
    this.card.style.top = `${y}px`;
  }

  /** Hide the card (only if it is `node`'s, when one is given). */
  hide(node = null) {
    if (node && node !== this.node) return;
    this.node = null;
    this.card.hidden = true;
  }

  /** New weights (a frame): redraw the shown equation. */
  refresh(weights) {
    this.weights = weights;
    if (this.node) this._fill();
  }

  _fill() {
    const { kind, layer, index } = this.info;
    const dense = kind === "output" ? (this.weights?.length ?? 1) - 1 : layer;
    const text = this.describe(this.weights, dense, index ?? 0) ?? { lines: [], notes: [] };
    const parts = [Object.assign(document.createElement("strong"), { textContent: this.node.getAttribute("aria-label") })];
    for (const line of text.lines) parts.push(Object.assign(document.createElement("code"), { className: "equation", textContent: line }));
    for (const note of text.notes) parts.push(Object.assign(document.createElement("span"), { className: "equation-note", textContent: note }));
    this.card.replaceChildren(...parts);
  }
}
