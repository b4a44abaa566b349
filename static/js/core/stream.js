// One run's event stream (docs/api.md "Event stream"): EventSource with the browser's own
// reconnect (Last-Event-ID), turned into callbacks and readable connection messages.

import { t } from "./i18n.js";

const EVENTS = ["queued", "started", "frame", "state", "done", "error"];

export class RunStream {
  /**
   * @param {string} url the run's events_url
   * @param {object} on handlers: queued, started, frame, state, done, error (server events),
   *   connection(text|null) (lost / restored), gone(text) (the stream cannot be reopened)
   */
  constructor(url, on) {
    this.on = on;
    this.closed = false;
    this.lost = false;
    this.source = new EventSource(url);
    for (const name of EVENTS) {
      this.source.addEventListener(name, (event) => this._event(name, event));
    }
    this.source.onopen = () => {
      if (this.lost) on.connection?.(null);
      this.lost = false;
    };
    this.source.onerror = () => this._error();
  }

  _event(name, event) {
    if (this.closed) return;
    // A server "error" event carries data; a connection error arrives as a plain Event without it.
    if (name === "error" && !("data" in event && event.data)) return;
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      console.warn("ignored an event with malformed JSON:", name);
      return;
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
  }
}
