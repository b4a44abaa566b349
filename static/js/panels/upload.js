// Upload a CSV (POST /api/uploads) and train on it: a two-feature upload becomes the dataset
// "upload:<id>", scaled by the server into the map's [-5, 5]; wider files go to the lab.

import { describe } from "../core/api.js";
import { t } from "../core/i18n.js";

const $ = (id) => document.getElementById(id);

async function send(file) {
  const form = new FormData();
  form.append("file", file);
  const response = await fetch("/api/uploads", { method: "POST", body: form, headers: { Accept: "application/json" } });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(describe(data?.errors, response.status));
  return data;
}

export function init(page) {
  const input = $("upload-file");
  const status = $("upload-status");
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    status.textContent = t("Reading {name}…", { name: file.name });
    try {
      const meta = await send(file);
      if (!meta.dataset) {
        status.textContent = t("{name}: {n} features. The map trains on two; use the lab for more.",
          { name: meta.name, n: meta.features.length });
        return;
      }
      status.textContent = t("{name}: {rows} rows, classes {classes}.", {
        name: meta.name, rows: meta.rows, classes: meta.classes.join(", "),
      });
      page.showError(null);
      page.change({ problem: "classification", dataset: meta.dataset });
    } catch (err) {
      status.textContent = "";
      page.showError(t("Could not use the file: {message}", { message: err.message }));
    } finally {
      input.value = "";
    }
  });
}
