// The sweeps API (docs/sweep.md) for the page: start a sweep, follow its event stream, cancel it.
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
  const source = new EventSource(created.events_url);
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
    id: created.id,
    runs: created.runs,
    csvUrl: `/api/sweeps/${encodeURIComponent(created.id)}/results.csv`,
    cancel: () => post(`/api/sweeps/${encodeURIComponent(created.id)}/cancel`),
    close,
  };
}
