// The sweeps API (docs/sweep.md) for the page: start a sweep or open one by id, follow its event stream,
// cancel it.
// Used by the sweep panel (sweep.js) and the lesson comparisons (compare.js).

import { request } from "./api.js";

const post = (url, body) => request("POST", url, body);

/**
 * Start a sweep and follow it.
 * @param {object} body a sweep spec ({base, mode, params, n_trials, repeats}) or {lesson, repeats}
 * @param {object} on handlers: progress(view), trial(trial), done(view), lost(text)
 * @returns {Promise<{id, csvUrl, cancel(), close()}>}
 */
export async function startSweep(body, on) {
  const created = await post("/api/sweeps", body);
  return followSweep(created.id, on, created.runs);
}

/** A sweep by id: its view now (running, or finished and stored on the server). */
export const getSweep = (id) => request("GET", `/api/sweeps/${encodeURIComponent(id)}`);

/**
 * Follow a sweep's events: a finished one replays its trials, its table and `done`.
 * @returns {{id, runs, csvUrl, cancel(), close()}}
 */
export function followSweep(id, on, runs = undefined) {
  const source = new EventSource(`/api/sweeps/${encodeURIComponent(id)}/events`);
  let closed = false;
  const close = () => {
    closed = true;
    source.close();
  };
  for (const name of ["progress", "trial", "done"]) {
    source.addEventListener(name, (event) => {
      if (closed) return;
      const data = JSON.parse(event.data);
      if (name === "done") close();
      on[name]?.(data);
    });
  }
  source.onerror = () => {
    if (!closed && source.readyState === EventSource.CLOSED) on.lost?.("The sweep's event stream closed.");
  };
  return {
    id,
    runs,
    csvUrl: `/api/sweeps/${encodeURIComponent(id)}/results.csv`,
    cancel: () => post(`/api/sweeps/${encodeURIComponent(id)}/cancel`),
    close,
  };
}
