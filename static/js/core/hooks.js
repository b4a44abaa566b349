// A small event bus between the page controller (main.js) and the feature panels, so a panel
// can follow runs without main.js knowing about it.
//
// Events (detail):
//   "settings" {settings, kind}  after any setting changed (kind: none | view | live | restart)
//   "run"      {id, init_from, start}  a run was created on the server (start: the run whose initial weights
//                                it shares, itself unless made with init_from)
//   "state"    {id, state}       the run paused or resumed (the server's state event)
//   "show-snapshot" {epoch, frame, boundary}  draw a recorded frame again (the replay timeline asks)
//   "frame"    frame             every frame received (before drawing)
//   "done"     {id, ...done}     a run ended normally
//   "error"    {id, ...error}    a run failed
//   "reset"    {}                the view was reset (new run, reset button)
//   "playing"  {playing}         the learner pressed run or pause, or a run ended (panels/announce.js)
//   "language" {lang}            the page switched language: redraw text you composed (t() now gives the new one)
//   "compare-lesson" {lesson}    a lesson panel asks for the lesson's comparison runs (compare.js runs them)
//   "lesson"   {lesson}          the learner chose a lesson in the course panel (null: none); the compare bar's
//                                picker follows, so its "Run the comparison" runs the lesson at hand

const bus = new EventTarget();

export function emit(name, detail) {
  bus.dispatchEvent(new CustomEvent(name, { detail }));
}

export function on(name, fn) {
  const handler = (e) => fn(e.detail);
  bus.addEventListener(name, handler);
  return () => bus.removeEventListener(name, handler);
}
