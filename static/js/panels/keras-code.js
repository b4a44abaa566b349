// "Keras code": the standalone Keras script of the current settings (POST /api/export/script),
// shown in a dialog with a copy button. The same request doubles as the Advanced panel's check
// of the settings (a 400 names the fields), see course.js.

import { t } from "../core/i18n.js";
import { highlightPython } from "../core/highlight.js";
import { runConfig } from "../core/state.js";

const $ = (id) => document.getElementById(id);

/** The script for a RunConfig body: {text} when valid, {errors: [{field, message}]} when the server refuses it. */
export async function fetchScript(config) {
  const response = await fetch("/api/export/script", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json, text/x-python" },
    body: JSON.stringify(config),
  });
  if (response.ok) return { text: await response.text(), errors: [] };
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { text: null, errors: data?.errors || [{ field: "", message: response.statusText }] };
}

async function copyText(text) {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // no clipboard permission (e.g. not a secure context): select the text instead
    }
  }
  const range = document.createRange();
  range.selectNodeContents($("keras-code"));
  const selection = getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return document.execCommand?.("copy") ?? false;
}

/** Wire the button and the dialog. */
export function initKerasCode(page) {
  const dialog = $("keras-code-dialog");
  const status = $("keras-code-status");
  let script = "";
  $("keras-code-button").addEventListener("click", async () => {
    script = "";
    status.textContent = t("Loading…");
    $("keras-code").textContent = "";
    if (!dialog.open) dialog.showModal();
    try {
      const { text, errors } = await fetchScript(runConfig(page.settings));
      if (text === null) {
        status.textContent = "";
        $("keras-code").textContent = t("These settings are not valid:") + "\n"
          + errors.map((e) => `${e.field}: ${e.message}`).join("\n");
        return;
      }
      script = text;
      highlightPython($("keras-code"), text);
      status.textContent = "";
    } catch (err) {
      status.textContent = t("Could not reach the server: {message}", { message: err.message });
    }
  });
  $("keras-code-copy").addEventListener("click", async () => {
    if (!script) return;
    status.textContent = (await copyText(script)) ? t("Copied.") : t("Select the code and copy it by hand.");
  });
  $("keras-code-close").addEventListener("click", () => dialog.close());
}
