// The page controller's shared state (one object, read by page/run.js, page/render.js and
// page/changes.js) and the two message boxes every part of the controller writes to.

export const app = {
  settings: null,
  datasets: [], // /api/config's datasets (core/fields.js)
  run: null, // {id, stream, token, state, step}
  playing: false, // what the learner asked for
  latest: null, // newest frame not yet drawn
  shown: null, // the frame on screen
  hover: null, // the node shown in the main heatmap
  stats: { framesReceived: 0, framesRendered: 0 },
  nextCreate: null, // a panel's one-shot way to create the next run (share.js: fork a saved run)
  views: { controls: null, network: null, boundary: null, curves: null },
};

export const $ = (id) => document.getElementById(id);

/** The status banner (null hides it). */
export function setStatus(text) {
  const box = $("status");
  box.textContent = text || "";
  box.hidden = !text;
}

/** The error banner (null hides it). */
export function showError(text) {
  $("error-text").textContent = text;
  $("error").hidden = !text;
}
