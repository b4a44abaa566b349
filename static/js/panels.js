// The feature panels beyond TF Playground's page. Each module exports `init(page)` and is
// started once by main.js after the page is built; `page` is the controller's API:
//   page.settings (a copy), page.change(partial), page.apply(settings), page.play(), page.pause(),
//   page.reset(), page.run ({id, state} or null), page.showError(text), page.setStatus(text),
//   page.boundary, page.curves, page.network (the drawing objects), page.draw(parts).
// Add one import and one entry per panel.

import { init as course } from "./course.js";

export const PANELS = [course];
