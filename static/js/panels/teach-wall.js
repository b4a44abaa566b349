// The teacher's live wall: one tile per learner (boundary thumbnail, epoch, test loss, settings that
// differ from the preset), sorted by test loss or name, and the counts of who trains, is done or idle.

import { t } from "../core/i18n.js";
import { num, thumbnail, valueText } from "../views/thumbs.js";
import { decodeGrid, paintGrid } from "../views/grid.js";

const BUCKET = { training: "training", queued: "training", paused: "training", done: "done" };
export const bucket = (state) => BUCKET[state] || "idle";

/** The grid's resolution from its encoding (resolution² bytes, base64). */
function resolutionOf(b64) {
  const bytes = Math.floor((b64.length * 3) / 4) - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);
  return Math.round(Math.sqrt(bytes));
}

const STATE_TEXT = () => ({
  training: t("training"), queued: t("queued"), paused: t("paused"), done: t("done"), error: t("failed"),
  idle: t("idle"),
});

export class Wall {
  /** list: the <ol> of tiles; onSpotlight(learner_id) is called when the teacher picks a tile. */
  constructor(list, { onSpotlight, onChange }) {
    this.list = list;
    this.tiles = new Map(); // learner_id -> {data, el, painted}
    this.sort = "test_loss";
    this.hideNames = false;
    this.onSpotlight = onSpotlight;
    this.onChange = onChange || (() => {});
    this.frameTimes = new Map(); // learner_id -> when the tile last changed (bench and tests read it)
  }

  /** A `learner` event or snapshot tile: merge and redraw that tile. */
  update(data) {
    let tile = this.tiles.get(data.learner_id);
    if (!tile) {
      tile = { data: {}, el: this._make(data.learner_id) };
      this.tiles.set(data.learner_id, tile);
      this.list.appendChild(tile.el);
    }
    const name = data.name ?? tile.data.name;
    tile.data = { ...tile.data, ...data, name };
    this._fill(tile);
    this.frameTimes.set(data.learner_id, performance.now());
    this._order();
    this.onChange();
  }

  joined({ learner_id, name }) {
    if (!this.tiles.has(learner_id)) this.update({ learner_id, name, state: "idle", epoch: 0, differs: {} });
  }

  counts() {
    const out = { training: 0, done: 0, idle: 0 };
    for (const { data } of this.tiles.values()) out[bucket(data.state)]++;
    return out;
  }

  setSort(sort) {
    this.sort = sort;
    this._order();
  }

  setHideNames(hide) {
    this.hideNames = hide;
    for (const tile of this.tiles.values()) this._fill(tile);
  }

  /** The name a tile shows: hidden names become "Learner n" (join order). */
  label(learnerId) {
    const tile = this.tiles.get(learnerId);
    if (!tile) return "";
    const index = [...this.tiles.keys()].indexOf(learnerId) + 1;
    return this.hideNames || !tile.data.name ? t("Learner {n}", { n: index }) : tile.data.name;
  }

  relabel() {
    for (const tile of this.tiles.values()) this._fill(tile);
  }

  _make(learnerId) {
    const el = document.createElement("li");
    el.className = "tile";
    el.dataset.learner = learnerId;
    el.innerHTML = `<button type="button" class="tile-pick"><span class="tile-name"></span></button>
      <div class="tile-thumb"></div>
      <dl><div><dt></dt><dd class="tile-epoch"></dd></div><div><dt></dt><dd class="tile-loss"></dd></div></dl>
      <p class="tile-state"></p><p class="tile-differs"></p>`;
    el.querySelector(".tile-thumb").appendChild(thumbnail(null, 96));
    el.querySelector(".tile-pick").addEventListener("click", () => this.onSpotlight(learnerId));
    return el;
  }

  _fill(tile) {
    const { data, el } = tile;
    el.querySelector(".tile-name").textContent = this.label(data.learner_id);
    el.querySelector(".tile-pick").setAttribute("aria-label", t("Spotlight {name}", { name: this.label(data.learner_id) }));
    const [epochLabel, lossLabel] = el.querySelectorAll("dt");
    epochLabel.textContent = t("Epoch");
    lossLabel.textContent = t("Test loss");
    el.querySelector(".tile-epoch").textContent = String(data.epoch ?? 0);
    el.querySelector(".tile-loss").textContent = num(data.test_loss);
    el.querySelector(".tile-state").textContent = STATE_TEXT()[data.state] || data.state || "";
    el.dataset.state = bucket(data.state);
    el.classList.toggle("reached", Boolean(data.reached));
    const differs = Object.entries(data.differs || {});
    el.querySelector(".tile-differs").textContent = differs.map(([k, v]) => `${k}=${valueText(v)}`).join(" · ");
    if (data.thumbnail && data.thumbnail !== tile.painted) {
      const resolution = resolutionOf(data.thumbnail);
      try {
        paintGrid(el.querySelector("canvas"), decodeGrid(data.thumbnail, resolution), resolution);
        tile.painted = data.thumbnail;
      } catch {
        // a grid of several classes has its own encoding: the tile keeps its last picture
      }
    }
  }

  _order() {
    const tiles = [...this.tiles.values()];
    const loss = (x) => (x.data.test_loss ?? Infinity);
    const name = (x) => this.label(x.data.learner_id).toLowerCase();
    tiles.sort(this.sort === "name" ? (a, b) => name(a).localeCompare(name(b))
      : (a, b) => loss(a) - loss(b) || name(a).localeCompare(name(b)));
    tiles.forEach((tile, i) => {
      if (this.list.children[i] !== tile.el) this.list.insertBefore(tile.el, this.list.children[i] || null);
    });
  }
}
