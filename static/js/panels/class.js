// The learner's side of a live class (/c/<code>): a join box (a name, or an animal name), then the
// playground with the class's preset, its locked controls greyed (class-locks.js), a banner with the
// class and its challenge, and the class's stream (GET /api/classes/<code>/events): `preset` applies
// new settings, `freeze` pauses and disables the controls, `challenge` updates the banner, `ended` says so.

import { request } from "../core/api.js";
import { on } from "../core/hooks.js";
import { t } from "../core/i18n.js";
import { applyLocks, settingsFrom } from "./class-locks.js";
import { followRank, reportGuesses } from "./class-rank.js";

const $ = (id) => document.getElementById(id);
const state = { klass: null, me: null, frozen: false, best: false, source: null, style: null, rank: null };

function banner() {
  const { klass, me } = state;
  $("class-banner").hidden = !klass;
  if (!klass) return;
  $("class-banner-name").textContent = t("Class: {name}", { name: klass.name });
  $("class-banner-me").textContent = me ? t("You are {name}", { name: me.name }) : "";
  const c = klass.challenge;
  const goal = !c ? "" : c.metric === "test_accuracy" ? t("test accuracy ≥ {target}", { target: c.target })
    : t("test loss ≤ {target}", { target: c.target });
  const full = c?.title ? `${c.title} (${goal})` : goal;
  $("class-banner-challenge").textContent = c ? t("Challenge: {goal}", { goal: full }) : "";
  $("class-banner-reached").textContent = c ? (state.best ? t("Target reached ✓") : t("Not reached yet")) : "";
  $("class-banner-reached").classList.toggle("reached", state.best);
  state.rank?.render();
  const frozen = state.frozen ? t("Your teacher has paused the class for a discussion.") : "";
  $("class-banner-state").textContent = klass.state === "ended" ? t("This class has ended. Thank you!") : frozen;
  $("class-banner").classList.toggle("frozen", state.frozen);
}

function reachedBy(frame) {
  const c = state.klass?.challenge;
  if (!c) return false;
  if (c.metric === "test_accuracy") return frame.test_accuracy != null && frame.test_accuracy >= c.target;
  return frame.test_loss != null && frame.test_loss <= c.target;
}

function usePreset(page, preset, locked) {
  state.klass = { ...state.klass, preset, locked };
  page.apply(settingsFrom(page.settings, preset));
  applyLocks(state.style, locked);
}

function freeze(page, frozen) {
  state.frozen = frozen;
  document.body.classList.toggle("class-frozen", frozen);
  if (frozen) page.pause();
  banner();
}

function ended() {
  state.klass = { ...state.klass, state: "ended" };
  state.source?.close();
  applyLocks(state.style, []);
  freeze({ pause() {} }, false);
  banner();
}

function follow(page, code) {
  const source = new EventSource(`/api/classes/${encodeURIComponent(code)}/events`);
  state.source = source;
  state.rank = followRank(source, () => ({ learnerId: state.me?.learner_id }), (text) => {
    if ($("class-banner-rank").textContent !== text) $("class-banner-rank").textContent = text;
  });
  const handle = (name, fn) => source.addEventListener(name, (e) => fn(JSON.parse(e.data)));
  handle("class", (k) => {
    const changed = JSON.stringify([k.preset, k.locked]) !== JSON.stringify([state.klass.preset, state.klass.locked]);
    state.klass = { ...state.klass, ...k };
    if (changed) usePreset(page, k.preset, k.locked);
    if (k.frozen !== state.frozen) freeze(page, k.frozen);
    banner();
  });
  handle("preset", (d) => {
    usePreset(page, d.preset, d.locked);
    page.setStatus(t("Your teacher sent new settings."));
  });
  handle("freeze", (d) => freeze(page, d.frozen));
  handle("challenge", (d) => {
    state.klass = { ...state.klass, challenge: d.challenge };
    state.best = false;
    banner();
  });
  handle("ended", ended);
}

function enter(page, code, klass, me) {
  state.klass = klass;
  state.me = me;
  $("class-join").close?.();
  $("class-join").hidden = true;
  usePreset(page, klass.preset, klass.locked);
  state.frozen = false;
  if (klass.frozen) freeze(page, true);
  banner();
  follow(page, code);
  window.kpClass = { get state() { return { ...state, source: undefined, style: undefined, rank: undefined }; } }; // tests read it
}

function askName(page, code, klass) {
  const dialog = $("class-join");
  $("class-join-title").textContent = t("Join the class “{name}”", { name: klass.name });
  dialog.hidden = false;
  if (!dialog.open) dialog.showModal?.();
  const submit = async (name) => {
    $("class-join-error").textContent = "";
    try {
      const member = await request("POST", `/api/classes/${encodeURIComponent(code)}/join`, { name });
      enter(page, code, member.class, { learner_id: member.learner_id, name: member.name });
    } catch (err) {
      $("class-join-error").textContent = err.message;
    }
  };
  $("class-join-form").addEventListener("submit", (e) => {
    e.preventDefault();
    submit($("class-join-name").value.trim() || null);
  });
  $("class-join-animal").addEventListener("click", () => submit(null));
}

export function init(page) {
  const code = document.body.dataset.classCode;
  if (!code) return;
  state.style = document.head.appendChild(Object.assign(document.createElement("style"), { id: "class-locks" }));
  on("settings", () => state.klass && state.klass.state !== "ended" && applyLocks(state.style, state.klass.locked));
  on("frame", (f) => {
    if (!state.best && reachedBy(f)) {
      state.best = true;
      banner();
    }
  });
  on("language", banner);
  reportGuesses(() => ({ code, open: Boolean(state.me) && state.klass?.state === "open" }));
  request("GET", `/api/classes/code/${encodeURIComponent(code)}`)
    .then((klass) => (klass.me ? enter(page, code, klass, klass.me) : askName(page, code, klass)))
    .catch((err) => page.showError(err.status === 404 ? t("No open class with the code {code}: check the code on the board.", { code }) : err.message));
}
