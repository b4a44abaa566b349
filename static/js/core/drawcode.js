// The compact link encoding of a drawn set: each point as three base64url characters, its coordinates
// quantised to 0.1 over the map's domain (served by /api/config) and its class 0..4. 200 points take 600 characters.
import { domain } from "./fields.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const CLASSES = 5;
export const MAX_IN_LINK = 200; // more points go by the stored id only

/** The quantisation grid: the domain's low end and its number of 0.1 steps (121 for the usual 12 units). */
function grid() {
  const [low, high] = domain();
  return { low, steps: Math.round((high - low) * 10) + 1 };
}

const quantise = (v, { low, steps }) => Math.min(steps - 1, Math.max(0, Math.round((v - low) * 10)));

/** The points [{x1, x2, label}] as a string for the link. */
export function encodePoints(points) {
  const g = grid();
  return points.map(({ x1, x2, label }) => {
    let v = (quantise(x1, g) * g.steps + quantise(x2, g)) * CLASSES + label;
    let s = "";
    for (let k = 0; k < 3; k++) {
      s = ALPHABET[v % 64] + s;
      v = Math.floor(v / 64);
    }
    return s;
  }).join("");
}

/** The points of a link's string; null when it is not one. */
export function decodePoints(text) {
  if (!text || text.length % 3 !== 0) return null;
  const g = grid();
  const points = [];
  for (let i = 0; i < text.length; i += 3) {
    let v = 0;
    for (let k = 0; k < 3; k++) {
      const d = ALPHABET.indexOf(text[i + k]);
      if (d < 0) return null;
      v = v * 64 + d;
    }
    const label = v % CLASSES;
    const cell = Math.floor(v / CLASSES);
    const qx = Math.floor(cell / g.steps);
    const qy = cell % g.steps;
    if (qx >= g.steps) return null;
    points.push({ x1: Math.round(qx + g.low * 10) / 10, x2: Math.round(qy + g.low * 10) / 10, label });
  }
  return points;
}
