// More than two classes on the page: the boundary coloured by the winning class (argmax of the
// softmax, sent as `boundary.classes` in frames). The confusion matrix is confusion.js's.

import { on } from "../core/hooks.js";

function decodeClasses(b64) {
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

export function init(page) {
  on("frame", (f) => {
    const b = f.boundary;
    page.boundary.setClasses(b?.classes ? decodeClasses(b.classes) : null, b?.n_classes || 0);
  });
  on("reset", () => page.boundary.setClasses(null));
}
