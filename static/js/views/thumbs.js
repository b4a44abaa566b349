// Small pictures shared by the compare and sweep panels: a boundary thumbnail on a canvas, and
// numbers written the way the tables show them.

import { decodeGrid, paintGrid } from "./grid.js";

/** A canvas showing an encoded boundary ({data, resolution}); an empty one when there is none. */
export function thumbnail(boundary, size = 64) {
  const canvas = document.createElement("canvas");
  canvas.className = "kp-thumb";
  canvas.style.width = canvas.style.height = `${size}px`;
  if (boundary?.data && !boundary.classes) {
    paintGrid(canvas, decodeGrid(boundary.data, boundary.resolution), boundary.resolution);
  }
  return canvas;
}

/** 0.1234 -> "0.123"; null -> "—". */
export function num(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return Number(value).toPrecision(digits).replace(/\.?0+$/, (m) => (m.includes(".") ? "" : m));
}

/** "0.123 ± 0.010" (the ± part only over several runs). */
export function meanStd(mean, std, runs) {
  return runs > 1 && std !== null && std !== undefined ? `${num(mean)} ± ${num(std, 2)}` : num(mean);
}

/** A setting's value as text: arrays joined, objects as key=value. */
export function valueText(value) {
  if (value === null || value === undefined) return "—";
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}=${v}`).join(" ");
  return String(value);
}
