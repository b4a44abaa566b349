// The HTTP API of docs/api.md, with its one error shape turned into readable text.

import { fieldLabel } from "./fields.js";
import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, errors, retryAfter = null) {
    super(describe(errors, status));
    this.status = status;
    this.errors = errors;
    this.retryAfter = retryAfter;
  }
}

const N_ = (msgid) => msgid; // marks a message id for extraction; t() translates it when shown
// Names of error fields that are not settings (a settings field's label is the server's: core/fields.js).
const OTHER_NAMES = {
  body: N_("Request"), layer: N_("Layer"), source: N_("From neuron"), target: N_("To neuron"), node: N_("Neuron"),
};

/** "Learning rate: Input should be ..." for every {field, message}; field names made human. */
export function describe(errors, status) {
  if (!Array.isArray(errors) || errors.length === 0) return t("The server answered {status}.", { status });
  return errors
    .map(({ field, message }) => {
      const [head, ...rest] = String(field || "").split(".");
      const name = fieldLabel(head) ?? (OTHER_NAMES[head] ? t(OTHER_NAMES[head]) : head || t("Error"));
      const layer = () => t("layer {n}", { n: Number(rest[0]) + 1 });
      const where = rest.length ? ` (${head === "hidden_layers" ? layer() : rest.join(".")})` : "";
      return t("{name}{where}: {message}", { name, where, message });
    })
    .join("\n");
}

/** A JSON request; a non-2xx answer throws ApiError with the server's field messages. */
export async function request(method, url, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    throw new ApiError(0, [{ field: "", message: t("Cannot reach the server. Is it running? {error}", { error: err.message }) }]);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const retry = Number(response.headers.get("Retry-After")) || null;
    const errors = data && Array.isArray(data.errors) ? data.errors : [{ field: "", message: response.statusText }];
    throw new ApiError(response.status, errors, retry);
  }
  return data;
}

export const api = {
  config: () => request("GET", "/api/config"),
  dataset: (name, { n_samples, noise, train_ratio, seed, n_classes = null }) =>
    request("GET", `/api/datasets/${encodeURIComponent(name)}?` + new URLSearchParams({
      n_samples, noise, train_ratio, seed, ...(n_classes ? { n_classes } : {}) })),
  /** start: "running" (default), "paused", or "step" (paused after exactly one epoch). */
  createRun: (config, start = "running") =>
    request("POST", start === "running" ? "/api/runs" : `/api/runs?start=${encodeURIComponent(start)}`, config),
  control: (id, action) => request("POST", `/api/runs/${encodeURIComponent(id)}/${action}`),
  set: (id, values) => request("POST", `/api/runs/${encodeURIComponent(id)}/set`, values),
  /** One weight ({kind: "weight", layer, source, target, value}) or bias ({kind: "bias", layer, node, value}). */
  edit: (id, body) => request("POST", `/api/runs/${encodeURIComponent(id)}/edit`, body),
  /** New data from another seed; the run keeps its network and epoch (TF Playground's Regenerate). */
  regenerate: (id, seed) => request("POST", `/api/runs/${encodeURIComponent(id)}/regenerate`, { seed }),
  status: (id) => request("GET", `/api/runs/${encodeURIComponent(id)}`),
  /** Stop a run even while the page unloads. */
  stopBeacon: (id) => {
    const url = `/api/runs/${encodeURIComponent(id)}/stop`;
    if (!navigator.sendBeacon?.(url)) fetch(url, { method: "POST", keepalive: true }).catch(() => {});
  },
};
