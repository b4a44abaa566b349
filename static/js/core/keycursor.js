// A keyboard cursor on the map, shared by the panels that draw on it (panels/draw.js places points,
// panels/guess.js adds polygon vertices): arrow keys move it (Shift: fine steps), it stays on the map,
// and it is drawn as a cross with an optional dashed ring.

import { domain } from "./fields.js";

export const STEP = 0.5; // map units an arrow key moves the cursor
export const FINE_STEP = 0.1; // with Shift

const MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };

/** The cursor moved by an arrow key, kept inside the map's domain; null when the key is not an arrow. */
export function moveCursor(cursor, event) {
  const move = MOVES[event.key];
  if (!move) return null;
  const [lo, hi] = domain();
  const step = event.shiftKey ? FINE_STEP : STEP;
  const clamp = (v) => Math.max(lo, Math.min(hi, v));
  return [clamp(cursor[0] + move[0] * step), clamp(cursor[1] + move[1] * step)];
}

/** Draw the cursor on an overlay's context: a cross, and a dashed ring of `ringPx` pixels when given. */
export function paintCursor(ctx, overlay, cursor, ringPx = 0) {
  const [cx, cy] = overlay.toPixels(...cursor);
  ctx.strokeStyle = "#222";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(cx - 8, cy);
  ctx.lineTo(cx + 8, cy);
  ctx.moveTo(cx, cy - 8);
  ctx.lineTo(cx, cy + 8);
  ctx.stroke();
  if (ringPx > 0) {
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.arc(cx, cy, ringPx, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.setLineDash([]);
  }
}
