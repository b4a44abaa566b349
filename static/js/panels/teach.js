// The teacher's page /teach/<id>: the code, link and QR code for the projector, the live wall of
// learners (teach-wall.js), the leaderboard, and the class's buttons: push, freeze, spotlight
// (teach-spot.js), hide names, end. The teacher token comes in the URL's fragment (#token=...) and
// is kept in sessionStorage, so a reload keeps working; every teacher call sends it as X-Teacher-Token.

import { ApiError, request } from "../core/api.js";
import { loadFields } from "../core/fields.js";
import { formatNumber, loadEmbedded, t } from "../core/i18n.js";
import { num } from "../views/thumbs.js";
import { PushPanel, pushedText } from "./teach-push.js";
import { Spotlight } from "./teach-spot.js";
import { Wall } from "./teach-wall.js";

const $ = (id) => document.getElementById(id);
const classId = document.querySelector("main").dataset.classId;
const storeKey = `kp-teach-${classId}`;
let klass = null;
let wall = null;
let boardTimer = null;

/** The token from #token=... (then kept in sessionStorage) or from an earlier visit of this tab. */
function token() {
  const fromHash = new URLSearchParams(location.hash.replace(/^#/, "")).get("token");
  if (fromHash) sessionStorage.setItem(storeKey, fromHash);
  return fromHash || sessionStorage.getItem(storeKey);
}

async function teacher(method, path, body) {
  const init = { method, headers: { Accept: "application/json", "X-Teacher-Token": token() || "" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/api/classes/${encodeURIComponent(classId)}${path}`, init);
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data?.errors || [{ field: "", message: response.statusText }]);
  return data;
}

function showError(text) {
  $("teach-error").textContent = text || "";
  $("teach-error").hidden = !text;
}

function notice(text) {
  $("teach-notice").textContent = text || "";
  $("teach-notice").hidden = !text;
}

function counts() {
  const c = wall.counts();
  for (const key of ["training", "done", "idle"]) $(`count-${key}`).textContent = String(c[key]);
  $("teach-empty").hidden = wall.tiles.size > 0;
  scheduleBoard();
}

function showClass(data) {
  klass = { ...klass, ...data };
  $("teach-name").textContent = klass.name;
  $("teach-code").textContent = klass.code;
  const link = `${location.origin}/c/${klass.code}`;
  $("teach-link").href = link;
  $("teach-link").textContent = link.replace(/^https?:\/\//, "");
  $("teach-qr").src = `/api/classes/${encodeURIComponent(classId)}/qr.svg`;
  $("teach-qr").hidden = false;
  showFrozen(Boolean(klass.frozen));
  showChallenge(klass.challenge);
  showGuesses(klass.guesses);
  if (klass.state === "ended") showEnded(`/api/classes/${encodeURIComponent(classId)}/leaderboard.csv`);
}

/** The class's guesses before training (issue 22): how many guessed, mean IoU and mean test-point share. */
function showGuesses(average) {
  const box = $("teach-guesses");
  box.hidden = !average?.count;
  if (!average?.count) return;
  const parts = [t("{n} guessed", { n: formatNumber(average.count) }),
    t("mean IoU {iou}", { iou: formatNumber(Math.round(average.iou * 100) / 100) })];
  if (average.test_share != null) {
    parts.push(t("mean test share {p} %", { p: formatNumber(Math.round(average.test_share * 100)) }));
  }
  box.textContent = parts.join(" · ");
  box.dataset.iou = String(average.iou);
}

function showFrozen(frozen) {
  klass.frozen = frozen;
  const button = $("teach-freeze");
  button.textContent = frozen ? t("Unfreeze the class") : t("Freeze the class");
  button.setAttribute("aria-pressed", String(frozen));
  document.body.classList.toggle("frozen", frozen);
  notice(frozen ? t("The class is frozen: every learner's run is paused.") : null);
}

function showChallenge(challenge) {
  $("teach-board-wrap").hidden = !challenge;
  if (!challenge) return;
  const metric = challenge.metric === "test_accuracy" ? t("test accuracy ≥ {target}", { target: challenge.target })
    : t("test loss ≤ {target}", { target: challenge.target });
  $("teach-challenge").textContent = challenge.title ? `${challenge.title} (${metric})` : metric;
  scheduleBoard();
}

function showEnded(csvUrl) {
  klass.state = "ended";
  const link = $("teach-csv");
  link.href = `${csvUrl}?token=${encodeURIComponent(token() || "")}`;
  link.hidden = false;
  for (const id of ["teach-freeze", "teach-push-open", "teach-end"]) $(id).disabled = true;
  notice(t("The class has ended. The results stay downloadable."));
}

/** The leaderboard, fetched at most once a second while tiles change. */
function scheduleBoard() {
  if (!klass?.challenge || boardTimer) return;
  boardTimer = setTimeout(async () => {
    boardTimer = null;
    try {
      const board = await teacher("GET", "/leaderboard");
      $("teach-board").replaceChildren(...board.rows.map((row) => {
        const li = document.createElement("li");
        li.dataset.learner = row.learner_id;
        li.classList.toggle("reached", row.reached);
        const name = wall.tiles.has(row.learner_id) ? wall.label(row.learner_id) : row.name;
        const guess = row.guess_iou == null ? "" : `, ${t("guess IoU {iou}", { iou: num(row.guess_iou) })}`;
        li.textContent = `${name} — ${row.reached ? "✓" : "✗"} ${t("{n} weights", { n: row.weights_count ?? "—" })}, `
          + `${t("epoch {n}", { n: row.epoch ?? "—" })}, ${t("test loss {loss}", { loss: num(row.test_loss) })}${guess}`;
        return li;
      }));
    } catch (err) {
      showError(err.message);
    }
  }, 1000);
}

async function spotlight(spot, learnerId) {
  try {
    await teacher("POST", "/spotlight", { learner_id: learnerId });
  } catch (err) {
    showError(err.message);
  }
}

function listen(spot, push) {
  const source = new EventSource(`/api/classes/${encodeURIComponent(classId)}/wall/events?token=`
    + encodeURIComponent(token() || ""));
  const on = (name, fn) => source.addEventListener(name, (e) => fn(JSON.parse(e.data)));
  on("learner", (d) => {
    wall.update(d);
    if (spot.learnerId === d.learner_id && d.run_id && d.run_id !== spot.runId) spot.show(d.run_id, wall.label(d.learner_id), d.learner_id);
  });
  on("joined", (d) => wall.joined(d));
  on("left", (d) => wall.update({ learner_id: d.learner_id, state: "idle" }));
  on("freeze", (d) => showFrozen(d.frozen));
  on("preset", (d) => {
    push.setPreset(d.preset, d.locked);
    klass = { ...klass, preset: d.preset, locked: d.locked };
  });
  on("challenge", (d) => showChallenge(d.challenge));
  on("guesses", (d) => {
    klass.guesses = d;
    showGuesses(d);
    scheduleBoard();
  });
  on("spotlight", (d) => spot.show(d.run_id, d.learner_id ? wall.label(d.learner_id) : null, d.learner_id));
  on("ended", (d) => {
    showEnded(d.csv_url);
    source.close();
  });
  source.onerror = () => source.readyState === EventSource.CLOSED && showError(
    t("The wall lost its connection to the server. Reload the page."));
  window.kpTeach = { wall, source, get class() { return klass; } }; // read by the browser tests and bench
}

function wire(spot, push) {
  $("teach-sort").addEventListener("change", (e) => wall.setSort(e.target.value));
  $("teach-hide-names").addEventListener("change", (e) => {
    wall.setHideNames(e.target.checked);
    scheduleBoard();
  });
  $("teach-freeze").addEventListener("click", async () => {
    try {
      const data = await teacher("POST", "/freeze", { frozen: !klass.frozen });
      showFrozen(data.frozen);
    } catch (err) {
      showError(err.message);
    }
  });
  $("teach-end").addEventListener("click", async () => {
    if (!confirm(t("End the class for everyone? Learners are told; the results stay downloadable."))) return;
    try {
      const data = await teacher("POST", "/end");
      showEnded(data.csv_url);
    } catch (err) {
      showError(err.message);
    }
  });
  $("spot-close").addEventListener("click", () => spotlight(spot, null));
}

async function init() {
  loadEmbedded();
  if (!token()) {
    showError(t("This page needs the teacher's link (it ends in #token=…). Open it from where you started the class."));
    return;
  }
  try {
    await loadFields();
    const data = await teacher("GET", "");
    const spot = new Spotlight();
    wall = new Wall($("teach-wall"), { onSpotlight: (id) => spotlight(spot, id), onChange: counts });
    const push = new PushPanel({
      send: async (body) => {
        try {
          const updated = await teacher("PUT", "/preset", body);
          push.setPreset(updated.preset, updated.locked);
          notice(pushedText());
        } catch (err) {
          showError(err.message);
        }
      },
    });
    showClass(data);
    push.fill(data.preset, data.locked);
    push.preset = data.preset;
    request("GET", "/api/lessons").then((lessons) => push.setLessons(lessons)).catch(() => {});
    wire(spot, push);
    listen(spot, push);
    counts();
  } catch (err) {
    showError(err.status === 403 ? t("This teacher link is not valid for this class.") : err.message);
  }
}

init();
