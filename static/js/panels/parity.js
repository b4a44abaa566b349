// TF Playground habits and the fixes its users asked for (docs/parity.md): a stop condition at a
// target test loss (live, no restart), and a divergence that is shown over the boundary, never a
// silent grey heatmap.

import { on } from "../core/hooks.js";
import { t } from "../core/i18n.js";

export const TARGET_LOSSES = [null, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01];

export function init(page) {
  const select = document.getElementById("target-loss");
  for (const v of TARGET_LOSSES) select.add(new Option(v === null ? t("Off") : String(v), v === null ? "" : String(v)));
  const show = (settings) => {
    const value = settings.target_loss == null ? "" : String(settings.target_loss);
    if (![...select.options].some((o) => o.value === value)) select.add(new Option(value, value));
    select.value = value;
  };
  select.addEventListener("change", () => page.change({ target_loss: select.value === "" ? null : Number(select.value) }));
  show(page.settings);
  on("settings", ({ settings }) => show(settings));

  const wrap = document.querySelector(".boundary-wrap");
  const overlay = document.createElement("div");
  overlay.className = "diverged-overlay";
  overlay.setAttribute("aria-live", "polite"); // the error banner (role=alert) already interrupts
  overlay.hidden = true;
  wrap.appendChild(overlay);
  const clear = () => {
    overlay.hidden = true;
    wrap.classList.remove("diverged");
  };
  on("error", (d) => {
    if (d.reason !== "diverged") return;
    const what = d.cause === "exploded"
      ? t("The loss exploded: worse than guessing, epoch after epoch.")
      : t("The loss became NaN (not a number).");
    overlay.replaceChildren(
      Object.assign(document.createElement("strong"), { textContent: t("Training diverged at epoch {epoch}", { epoch: d.epoch ?? "?" }) }),
      Object.assign(document.createElement("span"), { textContent: what }),
      Object.assign(document.createElement("span"), { textContent: t("Try a smaller learning rate, then press ▶.") }),
    );
    overlay.hidden = false;
    wrap.classList.add("diverged");
  });
  on("reset", clear);
  on("run", clear);
}
