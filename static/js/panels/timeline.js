// The replay timeline: a finished or paused run's thinned history (core/history.js), scrubbed with a slider
// (arrow keys step one snapshot, Home/End jump) or played at 0.5×–4×; boundary, network, numbers and a cut
// on the curves show that epoch. Scrubbing never changes the run; ▶ (train) returns to live.
// "Same start" trains again from the last run's initial weights and data (POST /api/runs with init_from).

import { api } from "../core/api.js";
import { sameStartData } from "../core/fields.js";
import { add, createHistory, indexAt, snapshots } from "../core/history.js";
import { emit, on } from "../core/hooks.js";
import { formatNumber, t } from "../core/i18n.js";
import { runConfig } from "../core/state.js";

const PLAY_SECONDS = 8; // the whole run at 1×
const CUT_COLOR = "#e67e22";
const $ = (id) => document.getElementById(id);

const state = {
  history: createHistory(),
  list: [], // snapshots(history), refreshed on each change
  index: -1, // the snapshot on screen while replaying
  replaying: false,
  ended: false,
  paused: false,
  player: null, // {pos, at} while playing
  lastRun: null, // the id "Same start" restarts from
};

let page = null;

function visible() {
  return (state.ended || state.paused) && state.list.length >= 2;
}

function label(i) {
  const list = state.list;
  return t("Epoch {epoch} of {last}", { epoch: formatNumber(list[i]?.epoch ?? 0),
    last: formatNumber(list[list.length - 1]?.epoch ?? 0) });
}

/** The slider, its label and whether the bar shows, from the history. */
function refresh() {
  state.list = snapshots(state.history);
  const slider = $("timeline-slider");
  const last = state.list.length - 1;
  slider.max = String(Math.max(last, 0));
  const i = state.replaying ? state.index : last;
  slider.value = String(Math.max(i, 0));
  slider.setAttribute("aria-valuetext", label(i));
  $("timeline-epoch").textContent = label(i);
  $("timeline").hidden = !visible();
  if (!visible()) leave();
}

function cut(epoch) {
  const el = page.curves.el;
  if (!el?.data) return;
  const shapes = epoch === null ? [] : [{ type: "line", xref: "x", yref: "paper", x0: epoch, x1: epoch, y0: 0, y1: 1,
    line: { color: CUT_COLOR, width: 2, dash: "dot" } }];
  Plotly.relayout(el, { shapes });
}

/** Show snapshot i (the views, the numbers, the cut on the curves). */
function showIndex(i) {
  const snap = state.list[i];
  if (!snap) return;
  state.replaying = true;
  state.index = i;
  emit("show-snapshot", snap);
  cut(snap.epoch);
  const slider = $("timeline-slider");
  slider.value = String(i);
  slider.setAttribute("aria-valuetext", label(i));
  $("timeline-epoch").textContent = label(i);
  $("timeline").dataset.epoch = String(snap.epoch);
}

/** Back to the newest snapshot (live), the cut removed. */
function leave() {
  stopPlaying();
  if (!state.replaying) return;
  state.replaying = false;
  const newest = state.list[state.list.length - 1];
  if (newest) emit("show-snapshot", newest);
  cut(null);
  delete $("timeline").dataset.epoch;
}

function stopPlaying() {
  state.player = null;
  const button = $("timeline-play");
  button.textContent = "▶";
  button.setAttribute("aria-label", t("Play the replay"));
}

function tick(now) {
  const player = state.player;
  if (!player) return;
  const list = state.list;
  const first = list[0].epoch;
  const last = list[list.length - 1].epoch;
  const speed = Number($("timeline-speed").value) || 1;
  player.pos += ((last - first) / PLAY_SECONDS) * speed * ((now - player.at) / 1000);
  player.at = now;
  const i = indexAt(list, player.pos);
  if (i !== state.index) showIndex(i);
  if (player.pos >= last) return stopPlaying();
  requestAnimationFrame(tick);
}

function togglePlaying() {
  if (state.player) return stopPlaying();
  const list = state.list;
  if (list.length < 2) return;
  const from = state.replaying && state.index < list.length - 1 ? state.index : 0;
  showIndex(from);
  state.player = { pos: list[from].epoch, at: performance.now() };
  const button = $("timeline-play");
  button.textContent = "❚❚";
  button.setAttribute("aria-label", t("Pause the replay"));
  requestAnimationFrame(tick);
}

/** Train again from the last run's initial weights; the page first takes its data settings (the server will). */
async function sameStart() {
  const source = state.lastRun;
  if (!source) return;
  try {
    const { config } = await api.status(source);
    const data = Object.fromEntries(sameStartData().filter((k) => k in config).map((k) => [k, config[k]]));
    if (Object.entries(data).some(([k, v]) => page.settings[k] !== v)) page.apply({ ...page.settings, ...data });
  } catch {
    // an expired source: the create below says so
  }
  page.playFrom(() => api.createRun({ ...runConfig(page.settings), init_from: source }));
}

function clear() {
  stopPlaying();
  state.history = createHistory();
  state.replaying = false;
  state.index = -1;
  state.ended = state.paused = false;
  refresh();
}

export function init(pageApi) {
  page = pageApi;
  // Every received frame, drawn or not: at pace "max" the page may draw only the newest of several frames
  // (page/render.js), and a short run would then have nothing to replay. The grid is decoded when shown.
  on("frame", (f) => {
    if (state.replaying) { // a new frame (a step, a resume) is live again
      state.replaying = false;
      stopPlaying();
      cut(null);
    }
    const boundary = f.boundary ?? state.history.last?.boundary ?? null; // a frame without one keeps the last
    add(state.history, { epoch: f.epoch, frame: f, boundary });
    refresh();
  });
  on("reset", clear);
  on("run", (d) => {
    clear();
    state.lastRun = d.id;
    $("same-start").hidden = false;
  });
  on("done", () => {
    state.ended = true;
    refresh();
  });
  on("error", () => {
    state.ended = true;
    refresh();
  });
  on("state", (d) => {
    state.paused = d.state === "paused";
    refresh();
  });
  on("language", () => refresh());
  $("timeline-slider").addEventListener("input", (e) => {
    stopPlaying();
    showIndex(Number(e.target.value));
  });
  $("timeline-play").addEventListener("click", togglePlaying);
  $("timeline-live").addEventListener("click", () => {
    leave();
    refresh();
  });
  $("same-start").addEventListener("click", sameStart);
  refresh();
}
