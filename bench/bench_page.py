"""Page benchmark: the playground in headless Chromium while it trains, measured with the Performance API.

For each scenario it opens the page, presses play, and over a fixed window counts the frames the page
rendered (its `kp-render` performance measures: one per drawn frame, spanning the decode, Plotly
updates and network diagram), their main-thread milliseconds, the frames received over SSE, long
tasks (> 50 ms), and the page's own animation-frame rate (a frozen page would drop it).
Prints a table and writes bench/results/page.json.

Usage: python bench/bench_page.py [--url http://127.0.0.1:8000] [--seconds 10]
Without --url it starts the app itself (gunicorn, as `make run`) on a free port and stops it after.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("KP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
ALL = "x1,x2,x1_squared,x2_squared,x1_x2,sin_x1,sin_x2"
SCENARIOS = {
    "day65_tf_pace": f"dataset=spiral&features={ALL}&hidden_layers=8&pace=60&seed=1",
    "day65_max": f"dataset=spiral&features={ALL}&hidden_layers=8&pace=max&seed=1",
    "deep_6x8_max": f"dataset=spiral&features={ALL}&hidden_layers=8,8,8,8,8,8&pace=max&seed=1",
}

# Runs in the page: observe long tasks and count animation frames from now on.
START_JS = """() => {
  for (const name of ['kp-render', 'kp-curves', 'kp-boundary', 'kp-network']) performance.clearMeasures(name);
  window.__bench = {t0: performance.now(), raf: 0, longTasks: [], frames0: kp.stats.framesReceived,
                    rendered0: kp.stats.framesRendered, epoch0: kp.state.epoch};
  new PerformanceObserver(list => { for (const e of list.getEntries()) __bench.longTasks.push(e.duration); })
    .observe({type: 'longtask'});
  const tick = () => { __bench.raf++; if (!__bench.stop) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}"""
STOP_JS = """() => {
  const b = window.__bench; b.stop = true;
  const seconds = (performance.now() - b.t0) / 1000;
  const ms = performance.getEntriesByName('kp-render').map(e => e.duration).sort((x, y) => x - y);
  const q = p => ms.length ? ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] : null;
  const rendered = kp.stats.framesRendered - b.rendered0;
  return {
    seconds, frames_rendered: rendered, frames_received: kp.stats.framesReceived - b.frames0,
    ms_per_frame: rendered ? ms.reduce((a, c) => a + c, 0) / rendered : null, passes: ms.length,
    epochs: kp.state.epoch - b.epoch0, raf: b.raf,
    ms_p50: q(0.5), ms_p95: q(0.95),
    ms_max: ms.length ? ms[ms.length - 1] : null,
    parts: Object.fromEntries(['kp-curves', 'kp-boundary', 'kp-network'].map(n => {
      const d = performance.getEntriesByName(n).map(e => e.duration);
      return [n.slice(3) + '_ms_per_frame', rendered ? d.reduce((a, c) => a + c, 0) / rendered : null];
    })),
    long_tasks: b.longTasks.length, long_task_ms: b.longTasks.reduce((a, c) => a + c, 0),
  };
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def live_app(url: str | None):
    """Yield the base URL of a running app: the given one, or gunicorn started here (stopped on exit)."""
    if url:
        yield url.rstrip("/")
        return
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(base + "/api/config", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the app did not start (see `make run`)") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def open_playground(browser, base: str, hash_: str, viewport=(1280, 800)):
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(f"{base}/#{hash_}")
    page.wait_for_function("() => window.kp && document.querySelectorAll('#datasets .dataset').length > 0")
    return page


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


CDP_METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def cdp_metrics(cdp) -> dict[str, float]:
    """Chromium's cumulative main-thread seconds (all tasks: script, style, layout, paint...)."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: metrics.get(name, 0.0) for name in CDP_METRICS}


def measure(browser, base: str, hash_: str, seconds: float) -> dict:
    page = open_playground(browser, base, hash_)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    try:
        page.click("#play-pause-button")
        page.wait_for_function("() => kp.stats.framesRendered >= 3", timeout=90_000)
        page.evaluate(START_JS)
        before = cdp_metrics(cdp)
        page.wait_for_timeout(seconds * 1000)  # a measurement window, not synchronisation
        after = cdp_metrics(cdp)
        out = page.evaluate(STOP_JS)
        page.evaluate("() => fetch(`/api/runs/${kp.state.run.id}/stop`, {method: 'POST'})")
    finally:
        page.close()
    s = out["seconds"]
    frames = max(out["frames_rendered"], 1)
    busy = {name: (after[name] - before[name]) * 1000 for name in CDP_METRICS}
    return {
        "frames_rendered_per_s": round(out["frames_rendered"] / s, 1),
        "frames_received_per_s": round(out["frames_received"] / s, 1),
        "epochs_per_s": round(out["epochs"] / s, 1),
        "page_fps": round(out["raf"] / s, 1),
        "main_thread_ms_per_frame": _round(busy["TaskDuration"] / frames),
        "main_thread_busy_pct": round(100 * busy["TaskDuration"] / (s * 1000), 1),
        "script_ms_per_frame": _round(busy["ScriptDuration"] / frames),
        "style_layout_ms_per_frame": _round((busy["RecalcStyleDuration"] + busy["LayoutDuration"]) / frames),
        "render_js_ms_per_frame": _round(out["ms_per_frame"]),
        "render_passes": out["passes"],
        "pass_ms_p50": _round(out["ms_p50"]),
        "pass_ms_p95": _round(out["ms_p95"]),
        "pass_ms_max": _round(out["ms_max"]),
        **{k: _round(v) for k, v in out["parts"].items()},
        "long_tasks": out["long_tasks"],
        "long_task_ms": round(out["long_task_ms"], 1),
        "window_s": round(s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="base URL of a running app (default: start one)")
    parser.add_argument("--seconds", type=float, default=10, help="measurement window per scenario")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results = {}
    with live_app(args.url) as base, sync_playwright() as p:
        browser = launch(p)
        try:
            for name, hash_ in SCENARIOS.items():
                results[name] = measure(browser, base, hash_, args.seconds)
        finally:
            browser.close()
    cols = ["frames_rendered_per_s", "frames_received_per_s", "epochs_per_s", "page_fps", "main_thread_ms_per_frame",
            "main_thread_busy_pct", "render_js_ms_per_frame", "pass_ms_p95", "boundary_ms_per_frame",
            "curves_ms_per_frame", "network_ms_per_frame", "long_tasks"]
    print(f"{'':<28}" + "".join(f"{n:>16}" for n in results))
    for c in cols:
        print(f"{c:<28}" + "".join(f"{str(r[c]):>16}" for r in results.values()))
    out = ROOT / "bench" / "results" / "page.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"viewport": "1280x800", "chromium": CHROMIUM, "cpu_count": os.cpu_count()}
    out.write_text(json.dumps({"meta": meta, "scenarios": results}, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
