// Compare runs side by side: pin finished runs (up to 6), or run a lesson's comparison as a sweep;
// either way the view shows small multiples (boundary thumbnails), the train/test curves of every
// run overlaid, and a table of only the settings that differ. A run's scored guess (issue 22) comes along.
// The parts: compare-state.js (what is held), compare-follow.js (the page's run, pinning),
// compare-lesson.js (lesson sweeps), compare-view.js (drawing).

import { on } from "../core/hooks.js";
import { follow, pin, updatePinButton } from "./compare-follow.js";
import { cancelOnLeave, lessonPicker, runLesson } from "./compare-lesson.js";
import { $, state } from "./compare-state.js";
import { render } from "./compare-view.js";

export { differingKeys } from "./compare-view.js";

export function init(page) {
  follow(page, render);
  lessonPicker();
  updatePinButton();
  $("compare-pin").addEventListener("click", () => pin(render));
  $("compare-clear").addEventListener("click", () => {
    state.pins = [];
    updatePinButton();
    render();
  });
  $("compare-show-pins").addEventListener("click", () => {
    state.showing = "pins";
    render();
  });
  $("compare-show-lesson").addEventListener("click", () => {
    state.showing = "lesson";
    render();
  });
  on("compare-lesson", ({ lesson }) => runLesson(page, lesson, render));
  cancelOnLeave();
  window.addEventListener("resize", () => $("compare-curves").data && Plotly.Plots.resize($("compare-curves")));
  render();
}
