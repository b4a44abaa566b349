// The compact link encoding of a drawn set (pure): each point as three base64url characters, its
// coordinates quantised to 0.1 on the [-6, 6] map and its class 0..4. 200 points take 600 characters.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const STEPS = 121; // -6.0, -5.9, ..., 6.0
const CLASSES = 5;
export const MAX_IN_LINK = 200; // more points go by the stored id only

const quantise = (v) => Math.min(STEPS - 1, Math.max(0, Math.round((v + 6) * 10)));

/** The points [{x1, x2, label}] as a string for the link. */
export function encodePoints(points) {
  return points.map(({ x1, x2, label }) => {
    let v = (quantise(x1) * STEPS + quantise(x2)) * CLASSES + label;
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
    const qx = Math.floor(cell / STEPS);
    const qy = cell % STEPS;
    if (qx >= STEPS) return null;
    points.push({ x1: Math.round(qx - 60) / 10, x2: Math.round(qy - 60) / 10, label });
  }
  return points;
}
