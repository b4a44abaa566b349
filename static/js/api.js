// The HTTP API of docs/api.md, with its one error shape turned into readable text.

export class ApiError extends Error {
  constructor(status, errors, retryAfter = null) {
    super(describe(errors, status));
    this.status = status;
    this.errors = errors;
    this.retryAfter = retryAfter;
  }
}

const FIELD_NAMES = {
  learning_rate: "Learning rate", batch_size: "Batch size", noise: "Noise", train_ratio: "Ratio of training data",
  hidden_layers: "Hidden layers", features: "Features", dataset: "Dataset", regularization_rate: "Regularization rate",
  regularization: "Regularization", activation: "Activation", epochs: "Epochs", pace: "Speed", seed: "Seed",
  problem: "Problem type", grid_resolution: "Boundary grid", mode: "Maths", body: "Request",
  target_loss: "Stop at test loss", layer: "Layer", source: "From neuron", target: "To neuron", node: "Neuron",
};

/** "Learning rate: Input should be ..." for every {field, message}; field names made human. */
export function describe(errors, status) {
  if (!Array.isArray(errors) || errors.length === 0) return `The server answered ${status}.`;
  return errors
    .map(({ field, message }) => {
      const [head, ...rest] = String(field || "").split(".");
      const name = FIELD_NAMES[head] || head || "Error";
      const where = rest.length ? ` (${head === "hidden_layers" ? "layer " + (Number(rest[0]) + 1) : rest.join(".")})` : "";
      return `${name}${where}: ${message}`;
    })
    .join("\n");
}

async function request(method, url, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    throw new ApiError(0, [{ field: "", message: "Cannot reach the server. Is it running? " + err.message }]);
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
  dataset: (name, { n_samples, noise, train_ratio, seed }) =>
    request("GET", `/api/datasets/${encodeURIComponent(name)}?` + new URLSearchParams({ n_samples, noise, train_ratio, seed })),
  createRun: (config) => request("POST", "/api/runs", config),
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
