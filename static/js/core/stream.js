// One run's event stream (docs/api.md "Event stream"): EventSource with the browser's own
// reconnect (Last-Event-ID), turned into callbacks and readable connection messages.
// Frames come as weights (`frames=weights`) and the grids are computed here (core/forward.js); a hidden
// tab asks for HIDDEN_RATE frames a second by reopening the stream where it stopped (docs/performance.md).

import { fillGrids } from "./forward.js";
import { t } from "./i18n.js";

const EVENTS = ["queued", "started", "frame", "state", "done", "error"];
export const HIDDEN_RATE = 2; // frames a second while nobody looks (Page Visibility API)

export class RunStream {
  /**
   * @param {string} url the run's events_url
   * @param {object} on handlers: queued, started, frame, state, done, error (server events),
   *   connection(text|null) (lost / restored), gone(text) (the stream cannot be reopened)
   */
  constructor(url, on) {
    this.on = on;
    this.url = url;
    this.closed = false;
    this.lost = false;
    this.frames = "weights"; // "grids" once a frame comes that the page cannot compute
    this.lastId = null;
    this.hidden = document.visibilityState === "hidden";
    this._visibility = () => this._setHidden(document.visibilityState === "hidden");
    document.addEventListener("visibilitychange", this._visibility);
    this._open();
  }

  /** The stream URL for the current wish: frame mode, rate while hidden, and where to resume. */
  streamUrl() {
    const url = new URL(this.url, location.href);
    url.searchParams.set("frames", this.frames);
    if (this.hidden) url.searchParams.set("rate", String(HIDDEN_RATE));
    if (this.lastId) url.searchParams.set("last_event_id", this.lastId);
    return url.pathname + url.search;
  }

  _open() {
    const source = new EventSource(this.streamUrl());
    this.source = source;
    for (const name of EVENTS) {
      source.addEventListener(name, (event) => source === this.source && this._event(name, event));
    }
    source.onopen = () => {
      if (this.lost) this.on.connection?.(null);
      this.lost = false;
    };
    source.onerror = () => source === this.source && this._error();
  }

  /** Reopen where the stream stopped (Last-Event-ID), asking for what is wanted now; nothing is lost. */
  _reopen() {
    if (this.closed) return;
    this.source.close();
    this._open();
  }

  _setHidden(hidden) {
    if (hidden === this.hidden) return;
    this.hidden = hidden;
    this._reopen();
  }

  _event(name, event) {
    if (this.closed) return;
    if (event.lastEventId) this.lastId = event.lastEventId;
    // A server "error" event carries data; a connection error arrives as a plain Event without it.
    if (name === "error" && !("data" in event && event.data)) return;
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      console.warn("ignored an event with malformed JSON:", name);
      return;
    }
    if (name === "frame" && !fillGrids(data) && this.frames === "weights") {
      this.frames = "grids"; // the server's grids from the next frame on; this one keeps the last picture
      this._reopen();
    }
    if (name === "done" || name === "error") this.close(); // every stream ends with one of them
    this.on[name]?.(data);
  }

  _error() {
    if (this.closed) return;
    if (this.source.readyState === EventSource.CONNECTING) {
      this.lost = true;
      this.on.connection?.(t("Connection to the server lost — reconnecting…"));
    } else {
      // CLOSED: the server refused the stream (run unknown after a restart, or an HTTP error).
      this.close();
      this.on.gone?.(t("The connection to this run was closed by the server. Press play to start a new run."));
    }
  }

  close() {
    this.closed = true;
    this.source.close();
    document.removeEventListener("visibilitychange", this._visibility);
  }
}
