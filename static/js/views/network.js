// The network diagram: input features (toggle buttons with client-side thumbnails), hidden
// neurons (canvas thumbnails of frame.neurons), the output, and links as SVG paths coloured by
// the weight's sign and sized by |weight| (TF Playground's scales), dashed, the dashes moving
// with the epoch. Hovering (or focusing) a node shows its output in the main heatmap; a hidden or
// the output neuron also shows its equation with the current weights (tap toggles, Escape closes).

import { weightColor } from "../core/colors.js";
import { EquationCard } from "./equation-card.js";
import { decodeGrid, featureGrid, paintGrid } from "./grid.js";
import { formatNumber, t } from "../core/i18n.js";
import { FEATURES, LIMITS } from "../core/state.js";

const SVG = "http://www.w3.org/2000/svg";
const HEADER = 64; // room for each layer's +/- buttons
const FEATURE_RES = 20;
const BIAS = 5;

function el(tag, attrs = {}, parent = null, ns = null) {
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  if (parent) parent.appendChild(node);
  return node;
}

const linkWidth = (w) => Math.min(10, Math.max(1, 1 + (9 * Math.abs(w)) / 5)); // d3 linear [0,5]→[1,10], clamped

/** Set attributes only when their value changes: hundreds of links, most of them steady between frames. */
function setIfChanged(node, ...pairs) {
  const seen = (node._kp ??= {});
  for (let i = 0; i < pairs.length; i += 2) {
    if (seen[pairs[i]] !== pairs[i + 1]) {
      seen[pairs[i]] = pairs[i + 1];
      node.setAttribute(pairs[i], pairs[i + 1]);
    }
  }
}

function curve(x1, y1, x2, y2) {
  const mx = (x1 + x2) / 2;
  return `M${x1},${y1}C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
}

export class Network {
  /** handlers: toggleFeature(id), addNeuron(l), removeNeuron(l), hover(node | null),
   * describeNeuron(weights, layer, index) -> {lines, notes} (set by panels/explain.js) */
  constructor(container, handlers) {
    this.container = container;
    this.handlers = handlers;
    this.featureGrids = Object.fromEntries(FEATURES.map((f) => [f.id, featureGrid(f.f, FEATURE_RES)]));
    this.neuronGrids = [];
    this.outputGrid = null;
    this.weights = null;
    this.settings = null;
    new ResizeObserver(() => {
      if (this.settings && Math.abs(this.container.clientWidth - this.width) > 4) this.build(this.settings);
    }).observe(container);
  }

  /** Rebuild the diagram for the features and hidden layers of these settings (no weights yet). */
  build(settings) {
    this.settings = settings;
    const active = FEATURES.filter((f) => settings.features.includes(f.id));
    const shape = settings.hidden_layers;
    const W = (this.width = Math.max(260, this.container.clientWidth));
    const tallest = Math.max(FEATURES.length, ...shape, 1);
    const pitch = tallest > 8 ? Math.max(10, 360 / tallest) : 44;
    const size = Math.min(30, pitch - 6);
    const H = HEADER + tallest * pitch + 8;
    const xIn = 64;
    const xOut = W - size - 12;
    const colX = (l) => xIn + ((l + 1) * (xOut - xIn)) / (shape.length + 1);
    const rowY = (i) => HEADER + i * pitch;

    const focused = document.activeElement;
    const focusKey = this.container.contains(focused) ? focused.dataset.focusKey : null;
    this.container.replaceChildren();
    this.container.style.height = `${H}px`;
    this.container.style.setProperty("--node", `${size}px`);
    const svg = (this.svg = el("svg", { width: W, height: H, class: "links", "aria-hidden": "true" }, this.container, SVG));
    const lines = el("g", {}, svg, SVG);
    const hits = el("g", { class: "link-hits" }, svg, SVG);
    const biases = el("g", {}, svg, SVG);

    // Node positions: columns of {x, y} (left edge, top edge) — inputs, hidden layers, output.
    const inputs = active.map((f) => ({ x: xIn, y: rowY(FEATURES.indexOf(f)) }));
    const hidden = shape.map((n, l) => Array.from({ length: n }, (_, k) => ({ x: colX(l), y: rowY(k) })));
    const output = { x: xOut, y: HEADER + ((tallest - 1) * pitch) / 2 };
    const columns = [inputs, ...hidden, [output]];

    this.links = [];
    for (let l = 0; l + 1 < columns.length; l++) {
      const row = [];
      columns[l].forEach((a, i) => {
        const targets = [];
        columns[l + 1].forEach((b, k) => {
          const d = curve(a.x + size, a.y + size / 2, b.x, b.y + size / 2);
          const path = el("path", { d, class: "link" }, lines, SVG);
          el("path", { d, class: "link-hit", "data-l": l, "data-i": i, "data-k": k }, hits, SVG);
          targets.push(path);
        });
        row.push(targets);
      });
      this.links.push(row);
    }
    this.biasRects = columns.slice(1).map((col, l) =>
      col.map((p, k) => el("rect", {
        x: p.x - BIAS - 2, y: p.y + size - BIAS + 3, width: BIAS, height: BIAS, class: "bias",
        "data-l": l, "data-k": k,
      }, biases, SVG)),
    );

    this._buildInputs(settings, rowY, xIn);
    this._buildHidden(shape, colX, rowY);
    this.outputCanvas = this._node("div", output, "node output", t("Output of the network"), { kind: "output" })
      .querySelector("canvas");
    el("span", { class: "node-caption", text: t("Output") }, this.outputCanvas.parentNode);

    this.card = el("div", { class: "hovercard", role: "tooltip", hidden: "" }, this.container);
    this.equation = new EquationCard(this.container, (...args) => this.handlers.describeNeuron?.(...args));
    svg.addEventListener("pointerover", (e) => this._showCard(e));
    svg.addEventListener("pointerout", () => (this.card.hidden = true));
    this.neuronGrids = shape.map((n) => new Array(n).fill(null));
    this.outputGrid = null;
    this.weights = null;
    this.clear();
    if (focusKey) this.container.querySelector(`[data-focus-key="${focusKey}"]`)?.focus({ preventScroll: true });
  }

  _node(tag, pos, cls, label, info) {
    const node = el(tag, { class: cls, style: `left:${pos.x}px;top:${pos.y}px`, "aria-label": label }, this.container);
    el("canvas", { width: FEATURE_RES, height: FEATURE_RES, "aria-hidden": "true" }, node);
    if (tag === "div") {
      node.tabIndex = 0;
      node.setAttribute("role", "img");
    }
    const show = () => {
      this.handlers.hover?.({ ...info, label });
      this._showEquation(node, info);
    };
    const hide = () => {
      this.handlers.hover?.(null);
      this._hideEquation(node);
    };
    node.addEventListener("mouseenter", show);
    node.addEventListener("focus", show);
    node.addEventListener("mouseleave", hide);
    node.addEventListener("blur", hide);
    if (info.kind !== "input") {
      node.setAttribute("aria-describedby", "neuron-equation");
      let tapOpen = null; // a tap toggles the card; a mouse's hover already shows it
      node.addEventListener("pointerdown", (e) => {
        tapOpen = e.pointerType === "mouse" ? null : this.equation?.node === node;
      });
      node.addEventListener("click", () => (tapOpen ? this._hideEquation(node) : tapOpen === false && show()));
      node.addEventListener("keydown", (e) => e.key === "Escape" && this._hideEquation(node));
    }
    return node;
  }

  _buildInputs(settings, rowY, xIn) {
    FEATURES.forEach((f, i) => {
      const on = settings.features.includes(f.id);
      const node = this._node("button", { x: xIn, y: rowY(i) }, `node input${on ? " active" : ""}`,
        t("Feature {name}", { name: f.label }), { kind: "input", id: f.id });
      node.type = "button";
      node.dataset.feature = f.id;
      node.dataset.focusKey = `feature-${f.id}`;
      node.setAttribute("aria-pressed", String(on));
      node.title = on ? t("{name}: click to remove this input", { name: f.label })
        : t("{name}: click to use this input", { name: f.label });
      paintGrid(node.querySelector("canvas"), this.featureGrids[f.id], FEATURE_RES);
      el("span", { class: "node-label", text: f.label }, node);
      node.addEventListener("click", () => this.handlers.toggleFeature(f.id));
    });
  }

  _buildHidden(shape, colX, rowY) {
    this.hiddenCanvases = shape.map(() => []);
    shape.forEach((n, l) => {
      const head = el("div", { class: "layer-head", style: `left:${colX(l)}px` }, this.container);
      const add = el("button", { type: "button", class: "mini", "aria-label": t("Add a neuron to layer {n}", { n: l + 1 }),
        text: "+" }, head);
      const remove = el("button", { type: "button", class: "mini", "aria-label": t("Remove a neuron from layer {n}", { n: l + 1 }),
        text: "−" }, head);
      add.dataset.focusKey = `add-${l}`;
      remove.dataset.focusKey = `remove-${l}`;
      add.disabled = n >= LIMITS.neurons;
      remove.disabled = n <= 1;
      add.addEventListener("click", () => this.handlers.addNeuron(l));
      remove.addEventListener("click", () => this.handlers.removeNeuron(l));
      el("div", { class: "layer-count", text: n === 1 ? t("1 neuron") : t("{n} neurons", { n }) }, head);
      for (let k = 0; k < n; k++) {
        const node = this._node("div", { x: colX(l), y: rowY(k) }, "node hidden",
          t("Layer {layer}, neuron {neuron}", { layer: l + 1, neuron: k + 1 }), { kind: "hidden", layer: l, index: k });
        node.dataset.layer = l;
        node.dataset.index = k;
        this.hiddenCanvases[l].push(node.querySelector("canvas"));
      }
    });
  }

  /** No network yet: blank thumbnails, thin grey links. */
  clear() {
    for (const canvas of this.container.querySelectorAll(".node.hidden canvas, .node.output canvas")) {
      canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    }
    for (const row of this.links || []) {
      for (const targets of row) {
        for (const path of targets) setIfChanged(path, "stroke", "#c9cccd", "stroke-width", "1");
      }
    }
    for (const rect of (this.biasRects || []).flat()) setIfChanged(rect, "fill", "#c9cccd");
    this.svg?.style.setProperty("--dash", "0");
  }

  /** Draw a frame: thumbnails, link colours and widths, biases, moving dashes. */
  update(frame, boundaryValues) {
    const layers = frame.neurons?.layers || [];
    const res = frame.neurons?.resolution;
    layers.forEach((layer, l) => {
      layer.forEach((b64, k) => {
        const canvas = this.hiddenCanvases[l]?.[k];
        if (!canvas) return;
        const grid = decodeGrid(b64, res);
        this.neuronGrids[l][k] = { values: grid, resolution: res };
        paintGrid(canvas, grid, res);
      });
    });
    if (boundaryValues) {
      this.outputGrid = boundaryValues;
      paintGrid(this.outputCanvas, boundaryValues.values, boundaryValues.resolution, boundaryValues.discretize);
    }
    this.weights = frame.weights || null;
    (frame.weights || []).forEach((layer, l) => {
      const row = this.links[l];
      if (!row) return;
      layer.kernel.forEach((weights, i) => {
        const targets = row[i];
        if (!targets) return;
        weights.forEach((w, k) => {
          const path = targets[k];
          if (path) setIfChanged(path, "stroke", weightColor(w), "stroke-width", linkWidth(w).toFixed(1));
        });
      });
      (layer.bias || []).forEach((b, k) => {
        const rect = this.biasRects[l]?.[k];
        if (rect) setIfChanged(rect, "fill", weightColor(b));
      });
    });
    this.svg.style.setProperty("--dash", String(-frame.epoch / 3));
    this.equation?.refresh(this.weights); // a shown equation follows every frame
  }

  // A neuron's equation beside it (views/equation-card.js; its text from handlers.describeNeuron).
  _showEquation(node, info) {
    if (info.kind !== "input") this.equation?.show(node, info, this.weights);
  }

  _hideEquation(node) {
    this.equation?.hide(node);
  }

  /** Close a shown equation (Escape anywhere on the page). */
  closeEquation() {
    this.equation?.hide();
  }

  /** The grid of a hovered node: {values, resolution} or null. */
  gridOf(node) {
    if (node.kind === "input") return { values: this.featureGrids[node.id], resolution: FEATURE_RES };
    if (node.kind === "hidden") return this.neuronGrids[node.layer]?.[node.index] || null;
    return null;
  }

  _showCard(event) {
    const target = event.target;
    const isBias = target.classList.contains("bias");
    if (!this.weights || !(target.classList.contains("link-hit") || isBias)) return;
    const l = Number(target.dataset.l);
    const k = Number(target.dataset.k);
    const layer = this.weights[l];
    if (!layer) return;
    const value = isBias ? layer.bias[k] : layer.kernel[Number(target.dataset.i)]?.[k];
    if (value === undefined) return;
    const shown = formatNumber(Number(value), { maximumSignificantDigits: 2 });
    this.card.textContent = isBias ? t("Bias is {value}", { value: shown }) : t("Weight is {value}", { value: shown });
    const box = this.container.getBoundingClientRect();
    this.card.style.left = `${event.clientX - box.left + 12}px`;
    this.card.style.top = `${event.clientY - box.top + 12}px`;
    this.card.hidden = false;
  }
}
