// The Export menu of share.js: server-made files (.keras, spec, .npz, script, CSV of a saved run)
// and page-made ones (the live run's loss history as CSV, the boundary as PNG via Plotly.toImage).

import { ApiError } from "../core/api.js";
import { highlightPython } from "../core/highlight.js";
import { t } from "../core/i18n.js";
import { runConfig } from "../core/state.js";

const SERVER_KINDS = ["model.keras", "spec.json", "weights.npz"];

function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

async function fetchFile(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    throw new ApiError(response.status, data?.errors || [{ field: "", message: response.statusText }]);
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1];
  return { blob: await response.blob(), name };
}

/** CSV of the curves: one row per epoch, empty cells where a metric does not apply. */
export function historyCsv(history) {
  const keys = Object.keys(history);
  const rows = history.epoch.map((_, i) => keys.map((k) => history[k][i] ?? "").join(","));
  return [keys.join(","), ...rows].join("\n") + "\n";
}

/** The boundary as the learner sees it: the heatmap with the points graph laid over it. */
async function boundaryPng(page) {
  const { heatEl, pointsEl } = page.boundary;
  const width = heatEl.clientWidth;
  const height = heatEl.clientHeight;
  const urls = await Promise.all([heatEl, pointsEl].map((el) => Plotly.toImage(el, { format: "png", width, height })));
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  for (const url of urls) {
    const img = new Image();
    img.src = url;
    await img.decode();
    ctx.drawImage(img, 0, 0, width, height);
  }
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

/** Download one export of the model on screen: the opened saved run, else the page's (finished) run. */
export async function exportFile(kind, { page, opened, history, finishedRun }) {
  if (kind === "boundary.png") return save(await boundaryPng(page), "boundary.png");
  if (opened) {
    const file = await fetchFile(`/api/saved/${encodeURIComponent(opened.id)}/export/${kind}`);
    return save(file.blob, file.name || kind);
  }
  if (kind === "history.csv") {
    if (!history.epoch.length) throw new Error(t("Train a run first (press ▶): there is no loss history yet."));
    return save(new Blob([historyCsv(history)], { type: "text/csv" }), "history.csv");
  }
  if (SERVER_KINDS.includes(kind)) {
    const runId = await finishedRun();
    if (!runId) throw new Error(t("Train a run first (press ▶), then download its model."));
    const file = await fetchFile(`/api/runs/${encodeURIComponent(runId)}/export/${kind}`);
    return save(file.blob, file.name || kind);
  }
  throw new Error(`unknown export ${kind}`);
}

/** Show the standalone Keras script of the run on screen, highlighted, with copy and download. */
export async function showScript({ page, opened }) {
  const file = opened
    ? await fetchFile(`/api/saved/${encodeURIComponent(opened.id)}/export/script.py`)
    : await fetchFile("/api/export/script", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(runConfig(page.settings)),
    });
  const source = await file.blob.text();
  highlightPython(document.getElementById("share-script-code"), source);
  const link = document.getElementById("share-script-download");
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([source], { type: "text/x-python" }));
  document.getElementById("share-script").hidden = false;
  const copyButton = document.getElementById("share-script-copy");
  copyButton.onclick = async () => {
    try {
      await navigator.clipboard.writeText(source);
      copyButton.textContent = t("Copied");
    } catch {
      const range = document.createRange();
      range.selectNodeContents(document.getElementById("share-script-code"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      document.execCommand("copy");
    }
  };
}
