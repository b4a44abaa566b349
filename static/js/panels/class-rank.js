// What a learner sees of the class's challenge and sends back to it: their own rank, from the `standings`
// event the class stream already carries (every learner's rank by id, no names, at most once a second), and
// their scored guess (the guess panel's "prediction" event), posted once per scored run so the teacher's wall
// shows the class's average.

import { request } from "../core/api.js";
import { on } from "../core/hooks.js";
import { formatNumber, t } from "../core/i18n.js";

/** The rank line for a learner: "You are #3 of 27 on test loss", or how to get on the board. */
export function rankText(standings, learnerId) {
  if (!standings || !standings.total) return "";
  const metric = standings.metric === "test_accuracy" ? t("test accuracy") : t("test loss");
  const rank = standings.ranks?.[learnerId];
  if (!rank) return t("{total} on the leaderboard: train a network to join them", { total: formatNumber(standings.total) });
  return t("You are #{rank} of {total} on {metric}", { rank: formatNumber(rank), total: formatNumber(standings.total), metric });
}

/** A score from the page as the server takes it: numbers from 0 to 1 (or null for a missing test share). */
function unit(value) {
  return typeof value === "number" && Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : null;
}

/**
 * Follow the standings on `source` (the class's EventSource) and report guesses while the learner is in the class.
 * `who()` gives {code, learnerId, open}; `show(text)` puts the rank on the banner.
 */
export function followRank(source, who, show) {
  let standings = null;
  const render = () => show(rankText(standings, who().learnerId));
  source.addEventListener("standings", (e) => {
    standings = JSON.parse(e.data);
    render();
  });
  source.addEventListener("challenge", () => {
    standings = null;
    render();
  });
  return { render, get standings() { return standings; } };
}

/** Post each scored guess of the learner's runs to the class (once per run and score). */
export function reportGuesses(who) {
  const sent = new Set();
  on("prediction", (p) => {
    const { code, open } = who();
    const iou = unit(p.iou);
    const key = `${p.id}:${iou}:${p.accuracy}`;
    if (!open || !p.id || iou === null || sent.has(key)) return;
    sent.add(key);
    request("POST", `/api/classes/${encodeURIComponent(code)}/guess`, { run_id: p.id, iou, test_share: unit(p.accuracy) })
      .catch(() => sent.delete(key)); // best effort: the learner's own score stays on their page
  });
}
