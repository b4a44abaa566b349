// Every setting as the server describes it (GET /api/config, generated from RunConfig by
// app/config/fields.py): choices, bounds, step lists, labels, help and which fields change live.
// The page keeps no copy of these lists: it waits for this description before it builds anything.

import { t } from "./i18n.js";

let described = null;

/** Fetch /api/config once and keep it; resolves to the whole answer. */
export async function loadFields() {
  const response = await fetch("/api/config", { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(t("The server answered {status}.", { status: response.status }));
  return useFields(await response.json());
}

/** Install an /api/config answer (loadFields, or a test's own). */
export function useFields(config) {
  described = config;
  return described;
}

/** One field's description ({kind, default, min, max, choices, offered, page, live, msgid...}), or undefined.
 * A nested setting is named by its path: "early_stopping.patience", "layers.dropout". */
export function field(name) {
  const [head, sub] = String(name).split(".");
  const top = described?.fields?.[head];
  return sub ? top?.fields?.[sub] : top;
}

/** Every value the server accepts for a choice (nested too: "early_stopping.monitor"). */
export function choicesOf(name) {
  return [...(field(name)?.choices ?? [])];
}

/** The values a select offers: the page's list when the server names one, else every allowed choice. */
export function offered(name) {
  const f = field(name);
  return [...(f?.offered ?? f?.choices ?? [])];
}

/** A control's range: {min, max, step} (a slider may offer less than the server accepts), plus max_items. */
export function pageRange(name) {
  return { ...(field(name)?.page ?? {}) };
}

/** The field's label in the page's language (a nested one: "early_stopping.patience"). */
export function fieldLabel(name) {
  const f = field(name);
  return f?.msgid?.label ? t(f.msgid.label) : null;
}

/** The field's help text in the page's language. */
export function fieldHelp(name) {
  const f = field(name);
  return f?.msgid?.help ? t(f.msgid.help) : "";
}

/** Names of the settings a running run takes without a restart (the server's live list). */
export function liveFields() {
  return new Set(Object.values(described?.fields ?? {}).filter((f) => f.live).map((f) => f.name));
}

/** The datasets the server offers: [{name, title, problem, n_classes, multiclass}]. */
export function datasets() {
  return [...(described?.datasets ?? [])];
}

/** The plane's display domain [lo, hi] (app/data/datasets.py DOMAIN). */
export function domain() {
  return described?.domain ?? null;
}

/** The named losses: [{name, problem, output}]. */
export function losses() {
  return [...(described?.losses ?? [])];
}

/** The loss "auto" trains with, looked up in the server's table (/api/config `auto_loss`, built from
 * app/config/options.py resolve_loss): the page keeps no copy of the rule. null before /api/config is in. */
export function autoLoss({ problem, classic = false, classes = 2 }) {
  const multiclass = classes > 2;
  const row = (described?.auto_loss ?? []).find(
    (r) => r.problem === problem && r.classic === classic && r.multiclass === multiclass);
  return row?.loss ?? null;
}

/** The data settings a same-start run takes over from its source (app/web/init_from.py DATA_FIELDS). */
export function sameStartData() {
  return [...(described?.same_start_data ?? [])];
}
