// The feature panels beyond TF Playground's page. Each module exports `init(page)` and is
// started once by main.js after the page is built; `page` is the controller's API:
//   page.settings (a copy), page.change(partial), page.apply(settings), page.play(), page.pause(),
//   page.reset(), page.run ({id, state} or null), page.showError(text), page.setStatus(text),
//   page.boundary, page.curves, page.network (the drawing objects), page.draw(parts),
//   page.playFrom(create) (the next run comes from create(), e.g. a fork of a saved run).
// Add one import and one entry per panel.

import { init as announce } from "./announce.js";
import { init as classroom } from "./classroom.js";
import { init as classStart } from "./class-start.js";
import { init as classLearner } from "./class.js";
import { init as compare } from "./compare.js";
import { init as confusion } from "../views/confusion.js";
import { init as course } from "./course.js";
import { init as draw } from "./draw.js";
import { init as explain } from "./explain.js";
import { init as guess } from "./guess.js";
import { init as landscape } from "./landscape.js";
import { init as language } from "./language.js";
import { init as multiclass } from "../views/multiclass.js";
import { init as parity } from "./parity.js";
import { init as presenter } from "./presenter.js";
import { init as share } from "./share.js";
import { init as surface3d } from "../views/surface3d.js";
import { init as sweep } from "./sweep.js";
import { init as timeline } from "./timeline.js";
import { init as upload } from "./upload.js";
import { init as weights } from "./weights.js";

export const PANELS = [
  course,
  share,
  compare,
  sweep,
  presenter,
  parity,
  weights,
  classroom,
  classStart,
  classLearner,
  confusion,
  multiclass,
  upload,
  draw,
  guess,
  language,
  announce,
  explain,
  timeline,
  surface3d,
  landscape,
];
