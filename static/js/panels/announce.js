// The run announcer: one polite live region (#announcer) that tells a screen-reader user what the run
// is doing — started, paused, resumed, done, failed, reset — and, while it trains, the epoch and the test
// loss at most once every ANNOUNCE_EVERY_MS, so a run streaming 30 frames a second does not flood them.

import { on } from "../core/hooks.js";
import { formatNumber, t } from "../core/i18n.js";

/** At most one progress announcement this often while a run trains (state changes are said at once). */
export const ANNOUNCE_EVERY_MS = 10_000;
/** A pause is said once the frames already on their way have come, so it tells the epoch it stopped at. */
const SETTLE_MS = 500;

const ACTIVE = ["starting", "queued", "running", "paused"];
const loss = (v) => (Number.isFinite(v)
  ? formatNumber(v, { minimumFractionDigits: 3, maximumFractionDigits: 3, useGrouping: false }) : "—");

/** The sentence for a frame: epoch, test loss, training loss. */
export function progress(frame) {
  return t("Epoch {epoch}: test loss {test}, training loss {train}.", {
    epoch: formatNumber(frame.epoch), test: loss(frame.test_loss), train: loss(frame.train_loss),
  });
}

/** Decide whether a frame at `now` is announced, given the time of the last announcement. */
export function due(now, last, every = ANNOUNCE_EVERY_MS) {
  return last === null || now - last >= every;
}

export function init(page) {
  const region = document.getElementById("announcer");
  if (!region) return;
  let latest = null;
  let last = null;
  let playing = false;
  let pending = null;
  const later = (fn) => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      pending = null;
      fn();
    }, SETTLE_MS);
  };
  const cancel = () => {
    clearTimeout(pending);
    pending = null;
  };
  const say = (text) => {
    // Replacing the text (not appending) keeps the region one sentence long; aria-atomic reads it whole.
    region.textContent = text;
    last = performance.now();
  };
  const withProgress = (text) => (latest ? `${text} ${progress(latest)}` : text);
  const sayPaused = () => say(withProgress(t("Training paused.")));

  on("playing", (d) => {
    const running = ACTIVE.includes(page.run?.state);
    playing = d.playing;
    cancel();
    if (playing) say(running && latest ? withProgress(t("Training resumed.")) : t("Training started."));
    else if (running) later(sayPaused);
  });
  on("reset", () => {
    cancel();
    if (latest && !playing) say(t("The network was reset.")); // not when ▶ starts a finished run again
    latest = null;
  });
  on("frame", (frame) => {
    latest = frame;
    if (!playing) return void later(sayPaused); // a step, or the last frames after a pause
    if (page.run?.state === "running" && due(performance.now(), last)) say(progress(frame));
  });
  on("done", (d) => {
    cancel();
    const frame = latest ? { ...latest, ...d } : d;
    say(`${t("Training finished.")} ${progress({ ...frame, epoch: d.epochs ?? frame.epoch })}`);
  });
  on("error", (d) => {
    cancel();
    say(`${t("Training failed.")} ${d.message || ""}`.trim());
  });
}
