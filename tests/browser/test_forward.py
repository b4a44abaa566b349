"""Frames from weights: the page's forward pass (static/js/core/forward.js) draws what the server draws.

One page visit. For small configs covering every activation, batch norm on and off, regression, two classes
and several, a run is paused and watched by a `frames=weights` stream (its frame has weights and no grids),
then also by a `frames=grids` stream and trained to its end: the page's grids from the last frame's weights
must equal the server's grids of that same frame within one colour step (1 byte = 1/127.5). Then the page
itself trains in weights mode, and a hidden tab reopens its stream at rate=2 where it stopped.
"""

from __future__ import annotations

import pytest

RUN_BASE = {"n_samples": 80, "noise": 10, "epochs": 25, "pace": "max", "seed": 3, "learning_rate": 0.1}
CONFIGS = {
    "tanh_two_class_all_features": {"dataset": "circle", "activation": "tanh", "hidden_layers": [4, 2],
                                    "features": ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1",
                                                 "sin_x2"]},
    "relu_sigmoid_batch_norm": {"dataset": "xor", "features": ["x1", "x2", "x1_x2"], "layers": [
        {"units": 3, "activation": "relu", "batch_norm": True}, {"units": 3, "activation": "sigmoid"}]},
    "classic_tanh_output_linear": {"dataset": "gauss", "mode": "classic", "activation": "linear",
                                   "hidden_layers": [2]},
    "regression_elu_selu_batch_norm": {"dataset": "plane", "problem": "regression", "features": ["x1", "x2"],
                                       "layers": [{"units": 3, "activation": "elu", "batch_norm": True},
                                                  {"units": 2, "activation": "selu", "batch_norm": True}]},
    "multiclass_gelu_swish": {"dataset": "blobs", "n_classes": 4, "features": ["x1", "x2", "x1_squared"],
                              "layers": [{"units": 4, "activation": "gelu", "batch_norm": True},
                                         {"units": 3, "activation": "swish"}]},
    "regression_leaky_relu": {"dataset": "multigauss", "problem": "regression",
                              "features": ["x1", "x2", "sin_x1", "sin_x2"], "layers": [
                                  {"units": 3, "activation": "leaky_relu"}]},
}

# In the page: run one config through the real API and compare the page's grids with the server's.
COMPARE_JS = """
async ([config]) => {
  const { computeGrids } = await import("/static/js/core/forward.js");
  const post = async (url, body) => {
    const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
                                 body: body ? JSON.stringify(body) : undefined });
    if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const watch = (url, frames) => {
    const s = { frames: [], opened: null, ended: null };
    s.opened = new Promise((resolve) => { s.resolveOpen = resolve; });
    s.ended = new Promise((resolve, reject) => {
      const source = new EventSource(`${url}?frames=${frames}`);
      for (const name of ["started", "state", "queued"]) source.addEventListener(name, () => s.resolveOpen());
      source.addEventListener("frame", (e) => { s.resolveOpen(); s.frames.push(JSON.parse(e.data)); });
      source.addEventListener("done", () => { source.close(); resolve(); });
      source.addEventListener("error", (e) => { if (e.data) { source.close(); reject(new Error(e.data)); } });
    });
    return s;
  };
  const until = async (test) => { while (!test()) await new Promise((r) => setTimeout(r, 50)); };
  const run = await post("/api/runs?start=paused", config);
  const weights = watch(run.events_url, "weights");
  await weights.opened;  // its "view" reached the run before anything we send next
  await post(`/api/runs/${run.id}/step`);
  await until(() => weights.frames.length > 0);
  const light = weights.frames[0];
  const grids = watch(run.events_url, "grids");
  await grids.opened;
  await post(`/api/runs/${run.id}/resume`);
  await Promise.all([grids.ended, weights.ended]);
  const last = grids.frames[grids.frames.length - 1];
  const mine = computeGrids(last);
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const diff = (a, b) => {
    const x = bytes(a), y = bytes(b);
    if (x.length !== y.length) return 999;
    let m = 0;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
    return m;
  };
  const out = {
    light_keys: Object.keys(light), light_epoch: light.epoch, epoch: last.epoch,
    boundary: diff(mine.boundary.data, last.boundary.data),
    neurons: last.neurons.layers.map((layer, l) => layer.map((g, k) => diff(mine.neurons.layers[l][k], g))),
    spread: Math.max(...bytes(last.boundary.data)) - Math.min(...bytes(last.boundary.data)),
  };
  if (last.boundary.classes) {
    const x = bytes(mine.boundary.classes), y = bytes(last.boundary.classes);
    out.class_mismatches = x.filter((v, i) => v !== y[i]).length;
    out.n_classes = [mine.boundary.n_classes, last.boundary.n_classes];
  }
  return out;
}
"""


@pytest.mark.timeout(600)
def test_page_grids_from_weights_match_the_servers(open_page):
    page = open_page("seed=7&epochs=5000")
    # Two configs at a time: each holds two event streams, and a browser opens 6 connections per host at most.
    results = page.evaluate(
        "async (configs) => { const out = {}, todo = Object.entries(configs);"
        f" const one = async ([name, config]) => (out[name] = await ({COMPARE_JS})([config]));"
        " while (todo.length) await Promise.all(todo.splice(0, 2).map(one)); return out; }",
        {name: {**RUN_BASE, **config} for name, config in CONFIGS.items()},
    )
    for name, r in results.items():
        assert r["light_epoch"] == 1 and "weights" in r["light_keys"] and "forward" in r["light_keys"], name
        assert "boundary" not in r["light_keys"] and "neurons" not in r["light_keys"], name  # weights mode
        assert r["epoch"] == RUN_BASE["epochs"], name
        assert r["boundary"] <= 1, (name, r)  # one colour step: 1/127.5
        assert all(d <= 1 for layer in r["neurons"] for d in layer), (name, r)
        assert r["spread"] > 10, (name, r)  # a grid with a picture in it, not a constant one
    multi = results["multiclass_gelu_swish"]
    assert multi["n_classes"] == [4, 4]
    # argmax of float32 (server) and float64 (page) softmax may differ only where two classes tie.
    assert multi["class_mismatches"] <= 2, multi

    # The page itself: weights mode, and a hidden tab asks for 2 frames a second from where it stopped.
    urls: list[str] = []
    page.on("request", lambda req: "/events" in req.url and urls.append(req.url))
    page.click("#play-pause-button")
    page.wait_for_function("() => kp.stats.framesRendered >= 3", timeout=120_000)
    assert "frames=weights" in urls[0] and "rate=" not in urls[0]
    z = page.evaluate("() => document.getElementById('boundary').data[0].z")
    assert len(z) == 50 and len({round(v, 3) for row in z for v in row}) > 5  # drawn from the page's own grid
    with page.expect_request(lambda req: "/events" in req.url and "rate=2" in req.url, timeout=30_000) as hidden:
        page.evaluate(VISIBILITY_JS, "hidden")
    assert "last_event_id=" in hidden.value.url and "frames=weights" in hidden.value.url
    with page.expect_request(lambda req: "/events" in req.url and "rate=" not in req.url, timeout=30_000) as shown:
        page.evaluate(VISIBILITY_JS, "visible")
    assert "last_event_id=" in shown.value.url
    seen = page.evaluate("() => kp.stats.framesRendered")
    page.wait_for_function("n => kp.stats.framesRendered > n", arg=seen, timeout=60_000)  # frames go on


VISIBILITY_JS = """(state) => {
  Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
}"""
