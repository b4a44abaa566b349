// What the compare view holds (shared by its modules): the pinned runs, a lesson's comparison, which of the two
// is shown, and the page's run being followed.

export const MAX_PINS = 6;
export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
export const $ = (id) => document.getElementById(id);

export const state = {
  pins: [], // {id, label, settings, thumbnail, curves, metrics, guess}
  lesson: null, // {lesson, items, sweep, done}
  showing: "pins", // or "lesson"
  current: null, // the page's run being followed: {id, settings, boundary, curves, metrics, ended, guess}
};

export function emptyCurves() {
  return { epoch: [], train_loss: [], test_loss: [] };
}

/** The items on show: the lesson's runs or the pinned ones. */
export function items() {
  return state.showing === "lesson" && state.lesson ? state.lesson.items : state.pins;
}
