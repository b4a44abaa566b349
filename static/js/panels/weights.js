// Editing a weight or a bias live, as in TF Playground: click a link or a bias square (or press Enter
// on a focused neuron for its bias), type a value, press Enter. The server sets it (POST /api/runs/<id>/edit) and sends a frame showing it;
// training goes on from the edited value. No reset.

import { api } from "../core/api.js";
import { t } from "../core/i18n.js";

const ENDED = ["done", "error", "gone"];

/** What was clicked: {kind, layer, source, target} for a link, {kind, layer, node} for a bias, or null. */
function targetOf(el) {
  if (!(el instanceof Element)) return null;
  const l = Number(el.dataset.l);
  const k = Number(el.dataset.k);
  if (el.classList.contains("link-hit")) return { kind: "weight", layer: l, source: Number(el.dataset.i), target: k };
  if (el.classList.contains("bias")) return { kind: "bias", layer: l, node: k };
  return null;
}

function valueOf(weights, spot) {
  const layer = weights?.[spot.layer];
  if (!layer) return undefined;
  return spot.kind === "bias" ? layer.bias[spot.node] : layer.kernel[spot.source]?.[spot.target];
}

export function init(page) {
  const container = page.network.container;
  let box = null;

  const close = () => {
    box?.remove();
    box = null;
  };

  async function send(spot, raw) {
    const value = Number(raw);
    if (raw === "" || !Number.isFinite(value)) return;
    const run = page.run;
    if (!run?.id || ENDED.includes(run.state)) return;
    try {
      await api.edit(run.id, { ...spot, value });
    } catch (err) {
      page.showError(err.message);
    }
  }

  function open(spot, event) {
    close();
    const run = page.run;
    const current = valueOf(page.network.weights, spot);
    if (!run?.id || ENDED.includes(run.state) || current === undefined) {
      page.setStatus(t("Press ▶ or step first: weights can be edited while a run is going or paused."));
      return;
    }
    const rect = container.getBoundingClientRect();
    box = document.createElement("input");
    box.type = "number";
    box.step = "0.1";
    box.className = "weight-editor";
    box.value = String(Number(current.toPrecision(3)));
    box.setAttribute("aria-label", spot.kind === "bias" ? t("Bias") : t("Weight"));
    box.style.left = `${event.clientX - rect.left + 8}px`;
    box.style.top = `${event.clientY - rect.top - 12}px`;
    box.dataset.kind = spot.kind;
    box.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        send(spot, box.value);
      } else if (e.key === "Escape") {
        close();
      }
    });
    box.addEventListener("change", () => send(spot, box.value));
    box.addEventListener("blur", () => setTimeout(() => document.activeElement !== box && close(), 0));
    container.appendChild(box);
    box.focus();
    box.select();
  }

  container.addEventListener("click", (e) => {
    const spot = targetOf(e.target);
    if (spot) open(spot, e);
  });
  // From the keyboard: Enter on a focused hidden neuron edits its bias (the links are not focusable).
  container.addEventListener("keydown", (e) => {
    const node = e.target instanceof Element ? e.target.closest(".node.hidden") : null;
    if (e.key !== "Enter" || !node) return;
    e.preventDefault();
    const r = node.getBoundingClientRect();
    open({ kind: "bias", layer: Number(node.dataset.layer), node: Number(node.dataset.index) },
      { clientX: r.right, clientY: r.top + r.height / 2 });
  });
  // The hover card says the value (network.js); say it can be edited too, as TF Playground does.
  container.addEventListener("pointerover", (e) => {
    const card = container.querySelector(".hovercard");
    if (!targetOf(e.target) || !card || card.hidden || card.dataset.editHint === card.textContent) return;
    card.textContent = `${card.textContent}. ${t("Click to edit.")}`;
    card.dataset.editHint = card.textContent;
  });
}
