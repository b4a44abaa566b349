// The top bar, the data column and the output options: built from the server's field description
// (core/fields.js), showing the current settings, and reporting every change as a partial settings object.

import { pointColor } from "../core/colors.js";
import { formatNumber, t } from "../core/i18n.js";
import { domain, offered, pageRange } from "../core/fields.js";
import { classColor } from "../core/palette.js";

const $ = (id) => document.getElementById(id);

// Message ids, marked for extraction with N_ and translated with t() when shown.
const N_ = (msgid) => msgid;
const OPTION_LABELS = {
  activation: { relu: "ReLU", tanh: "Tanh", sigmoid: "Sigmoid", linear: N_("Linear") },
  regularization: { none: N_("None"), l1: "L1", l2: "L2" },
  problem: { classification: N_("Classification"), regression: N_("Regression") },
  pace: { 60: N_("TF pace (60/s)"), 240: N_("Faster (240/s)"), max: N_("Max") },
  mode: { keras: "Keras", classic: N_("TF classic") },
  grid_resolution: { 50: "50 × 50", 100: "100 × 100" },
};
// The server's dataset titles (app/datasets.py), translated on the page.
export const DATASET_TITLES = [
  N_("Circle"), N_("Exclusive or"), N_("Gaussian"), N_("Spiral"), N_("Moons"), N_("Blobs (3–5 classes)"),
  N_("Spiral arms (3–5 classes)"), N_("Plane"), N_("Multi Gaussian"),
];
// The selects of the page; their values are the server's (offered() in core/fields.js).
const SELECTS = ["learning_rate", "activation", "regularization", "regularization_rate", "problem", "pace", "mode",
  "grid_resolution", "epochs"];
const SLIDERS = { train_ratio: (v) => `${v}%`, noise: (v) => `${v}`, n_classes: (v) => `${v}`, batch_size: (v) => `${v}` };

/** Zero-padded, grouped epoch as TF Playground shows it (000,123), grouped per the page's locale. */
export function formatEpoch(n) {
  return formatNumber(Math.max(0, Math.floor(n)), { minimumIntegerDigits: 6 });
}

const fmt = (v, digits = 3) => (v === null || v === undefined || !Number.isFinite(v) ? "—"
  : formatNumber(v, { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false }));
const percent = (v) => (v == null ? "—" : formatNumber(v, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }));

function parseValue(setting, raw) {
  if (setting === "pace") return raw === "max" ? "max" : Number(raw);
  if (["activation", "regularization", "problem", "mode"].includes(setting)) return raw;
  return Number(raw);
}

/** A slider's bounds and step from the field description (templates render them too; this keeps them in step). */
function setRange(input, range) {
  for (const key of ["min", "max", "step"]) if (range[key] != null) input[key] = String(range[key]);
}

function labelOf(setting, v) {
  const named = OPTION_LABELS[setting]?.[v];
  if (named) return t(named);
  return setting === "epochs" ? formatNumber(Number(v)) : String(v);
}

export class Controls {
  /** handlers: change(partial), play(), step(), reset(), regenerate(), addLayer(), removeLayer() */
  constructor(handlers) {
    this.handlers = handlers;
    this.datasets = [];
    this.thumbs = new Map(); // dataset name -> points, drawn once
    for (const setting of SELECTS) {
      const select = document.querySelector(`select[data-setting="${setting}"]`);
      for (const v of offered(setting)) select.add(new Option(labelOf(setting, v), String(v)));
      select.addEventListener("change", () => handlers.change({ [setting]: parseValue(setting, select.value) }));
    }
    for (const [setting, show] of Object.entries(SLIDERS)) {
      const input = document.querySelector(`input[data-setting="${setting}"]`);
      setRange(input, pageRange(setting));
      const out = $(`${input.id}-value`);
      input.addEventListener("input", () => (out.textContent = show(input.value)));
      input.addEventListener("change", () => handlers.change({ [setting]: Number(input.value) }));
    }
    for (const box of document.querySelectorAll('input[type="checkbox"][data-setting]')) {
      box.addEventListener("change", () => handlers.change({ [box.dataset.setting]: box.checked }));
    }
    $("play-pause-button").addEventListener("click", () => handlers.play());
    $("step-button").addEventListener("click", () => handlers.step());
    $("reset-button").addEventListener("click", () => handlers.reset());
    $("regenerate").addEventListener("click", () => handlers.regenerate());
    $("add-layer").addEventListener("click", () => handlers.addLayer());
    $("remove-layer").addEventListener("click", () => handlers.removeLayer());
  }

  /** Show the settings in every control (values outside the offered lists get an option of their own). */
  show(s, limits) {
    for (const setting of SELECTS) {
      const select = document.querySelector(`select[data-setting="${setting}"]`);
      const value = String(s[setting]);
      if (![...select.options].some((o) => o.value === value)) select.add(new Option(labelOf(setting, value), value));
      select.value = value;
    }
    for (const [setting, show] of Object.entries(SLIDERS)) {
      if (setting === "n_classes") continue; // _showClasses: it depends on the dataset
      const input = document.querySelector(`input[data-setting="${setting}"]`);
      if (Number(s[setting]) > Number(input.max)) input.max = s[setting]; // as TF does for a URL noise above 50
      input.value = s[setting];
      $(`${input.id}-value`).textContent = show(s[setting]);
    }
    this._showClasses(s);
    for (const box of document.querySelectorAll('input[type="checkbox"][data-setting]')) {
      box.checked = Boolean(s[box.dataset.setting]);
    }
    const n = s.hidden_layers.length;
    $("layer-count").textContent = n === 1 ? t("1 hidden layer") : t("{n} hidden layers", { n });
    $("add-layer").disabled = n >= limits.layers;
    $("remove-layer").disabled = n <= 0;
    $("regularization-rate").disabled = s.regularization === "none";
    document.querySelectorAll(".accuracy").forEach((e) => (e.hidden = s.problem !== "classification"));
    this._showDatasets(s);
  }

  /** Every label this module composes, again in the page's (new) language. */
  relabel(s, limits) {
    for (const setting of SELECTS) {
      for (const option of document.querySelector(`select[data-setting="${setting}"]`).options) {
        option.text = labelOf(setting, option.value);
      }
    }
    const box = $("datasets");
    delete box.dataset.key; // rebuilt with translated captions (thumbnails are cached)
    this.setPlaying(this.playing);
    this.show(s, limits);
  }

  /** The datasets of /api/config; thumbnails are drawn from their real generator points. */
  setDatasets(list, fetchPoints, current) {
    this.datasets = list;
    this.fetchPoints = fetchPoints;
    this._showDatasets(current);
    this._showClasses(current);
  }

  /** The class-count slider: shown for multi-class datasets only, at the chosen count or the dataset's own. */
  _showClasses(s) {
    const dataset = this.datasets.find((d) => d.name === s.dataset);
    const value = s.n_classes ?? dataset?.n_classes ?? 3;
    $("n-classes-row").hidden = !dataset?.multiclass;
    $("n-classes").value = value;
    $("n-classes-value").textContent = String(value);
  }

  _showDatasets(s) {
    const box = $("datasets");
    const shown = this.datasets.filter((d) => d.problem === s.problem);
    const key = shown.map((d) => d.name).join();
    if (box.dataset.key !== key) {
      box.dataset.key = key;
      box.replaceChildren(...shown.map((d) => this._thumb(d)));
    }
    for (const button of box.children) {
      const on = button.dataset.dataset === s.dataset;
      button.classList.toggle("selected", on);
      button.setAttribute("aria-pressed", String(on));
    }
  }

  _thumb(d) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "dataset";
    button.dataset.dataset = d.name;
    const title = t(d.title);
    button.title = title;
    button.setAttribute("aria-label", t("Dataset: {title}", { title }));
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 100;
    canvas.setAttribute("aria-hidden", "true");
    button.append(canvas);
    const caption = document.createElement("span");
    caption.className = "dataset-name";
    caption.textContent = title.replace(/\s*[(（].*[)）]$/, "");
    button.append(caption);
    button.addEventListener("click", () => this.handlers.change({ dataset: d.name }));
    const draw = (points) => drawThumb(canvas, points, d.problem);
    if (this.thumbs.has(d.name)) draw(this.thumbs.get(d.name));
    else {
      this.fetchPoints(d.name).then((points) => {
        this.thumbs.set(d.name, points);
        draw(points);
      }).catch(() => canvas.classList.add("failed"));
    }
    return button;
  }

  setPlaying(playing) {
    this.playing = playing;
    const b = $("play-pause-button");
    b.classList.toggle("playing", playing);
    b.setAttribute("aria-label", playing ? t("Pause training") : t("Run training"));
    b.setAttribute("aria-pressed", String(playing));
  }

  setEpoch(n) {
    $("epoch").textContent = formatEpoch(n);
  }

  setMetrics(f) {
    $("test-loss").textContent = fmt(f?.test_loss);
    $("train-loss").textContent = fmt(f?.train_loss);
    $("test-accuracy").textContent = percent(f?.test_accuracy);
    $("train-accuracy").textContent = percent(f?.train_accuracy);
  }

  /** Learning rate as the server reports it (a schedule may move it). */
  showLearningRate(lr) {
    const select = $("learning-rate");
    if (document.activeElement !== select && Number(select.value) !== lr && offered("learning_rate").includes(lr)) {
      select.value = String(lr);
    }
  }
}

/** TF Playground's 100×100 dataset thumbnail, from the real generator's points (y up). */
function drawThumb(canvas, data, problem) {
  const [lo, hi] = domain();
  const px = (v) => ((v - lo) / (hi - lo)) * 100;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, 100, 100);
  for (const part of [data.train, data.test]) {
    for (let i = 0; i < part.x1.length; i++) {
      const v = problem === "classification" ? 2 * part.label[i] - 1 : part.label[i];
      ctx.fillStyle = data.n_classes > 2 ? classColor(part.label[i]) : pointColor(v);
      ctx.fillRect(px(part.x1[i]) - 2, 100 - px(part.x2[i]) - 2, 4, 4);
    }
  }
}
