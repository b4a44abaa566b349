"""The load test's browser learner: the playground in headless Chromium, one more learner among the class.

Started by `bench/loadtest.py --page` once the simulated learners are running: it opens the page with the same
Day-65 lesson preset (a fixed seed), presses play, and whenever a run ends presses play again until the
scenario's time is up. Figure: the frames the page drew (`kp.stats.framesRendered`) per second while its runs
trained, from each run's first frame to its end — the issue's "a learner's page draws >= 10 frames/s with 30
learners running". A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import urlencode

from bench_page import CHROMIUM, CHROMIUM_ARGS

WAIT_MS = 120_000  # the machine is loaded: the page, its first frame and its runs may all be slow
SNAPSHOT_JS = """() => ({t: performance.now() / 1000, rendered: kp.stats.framesRendered,
                        received: kp.stats.framesReceived, epoch: kp.state.epoch, state: kp.state.run?.state})"""
ENDED_JS = "() => ['done', 'error', 'gone'].includes(kp.state.run?.state)"


def preset_hash(preset: dict[str, Any], seed: int = 1) -> str:
    """The page's URL hash for a RunConfig-like preset (lists comma-joined, as static/js/core/state.js writes)."""
    values = {k: ",".join(map(str, v)) if isinstance(v, list) else v for k, v in preset.items()}
    return urlencode({**values, "seed": seed}, safe=",")


class PageLearner(threading.Thread):
    """One learner in a real page until `seconds` from now (the class's own deadline, browser start included);
    `result` holds its figures once the thread has ended."""

    def __init__(self, url: str, preset: dict[str, Any], seconds: float) -> None:
        super().__init__(daemon=True)
        self.url, self.hash, self.deadline = url, preset_hash(preset), time.monotonic() + seconds
        self.result: dict[str, Any] = {}

    def run(self) -> None:
        try:
            self.result = self._watch()
        except Exception as exc:  # a benchmark reports what went wrong rather than losing the scenario
            self.result = {"page_error": f"{type(exc).__name__}: {exc}"}

    def _watch(self) -> dict[str, Any]:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        from playwright.sync_api import sync_playwright

        deadline = self.deadline
        rendered = received = epochs = runs = ended = 0
        trained_s, first_frame = 0.0, []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.set_default_timeout(WAIT_MS)
                page.goto(f"{self.url}/#{self.hash}")
                page.wait_for_function("() => window.kp && document.querySelectorAll('#datasets .dataset').length")
                settings = page.evaluate("() => kp.settings")
                while (left := deadline - time.monotonic()) > 1:
                    start = page.evaluate(SNAPSHOT_JS)
                    page.click("#play-pause-button")
                    runs += 1
                    try:
                        page.wait_for_function(f"() => kp.stats.framesReceived > {start['received']}",
                                               timeout=left * 1000)
                    except PlaywrightTimeout:
                        break  # no frame before the scenario ended: counted in first_frame_n
                    first = page.evaluate(SNAPSHOT_JS)
                    first_frame.append(round(first["t"] - start["t"], 3))
                    try:
                        page.wait_for_function(ENDED_JS, timeout=max(deadline - time.monotonic(), 0.1) * 1000)
                        ended += 1
                    except PlaywrightTimeout:
                        pass  # still training at the deadline: the window ends here
                    last = page.evaluate(SNAPSHOT_JS)
                    trained_s += last["t"] - first["t"]
                    rendered += last["rendered"] - first["rendered"]
                    received += last["received"] - first["received"]
                    epochs += max(last["epoch"] - first["epoch"], 0)
                page.evaluate("() => kp.state.run?.id && fetch(`/api/runs/${kp.state.run.id}/stop`, {method: 'POST'})")
            finally:
                browser.close()
        per_s = (lambda n: round(n / trained_s, 2) if trained_s else None)
        return {
            "page_frames_per_s": per_s(rendered),
            "page": {"frames_received_per_s": per_s(received), "epochs_per_s": per_s(epochs),
                     "trained_s": round(trained_s, 1), "frames_rendered": rendered, "runs": runs, "runs_ended": ended,
                     "first_frame_s": first_frame, "settings_checked": _same(settings, self.hash)},
        }


def _same(settings: dict[str, Any], hash_: str) -> bool:
    """Whether the page took the preset from its hash (dataset, features, layers, mode) as the other learners run it."""
    from urllib.parse import parse_qs

    asked = {k: v[0] for k, v in parse_qs(hash_).items()}
    return (settings.get("dataset") == asked.get("dataset") and settings.get("mode") == asked.get("mode")
            and ",".join(settings.get("features", [])) == asked.get("features")
            and ",".join(map(str, settings.get("hidden_layers", []))) == asked.get("hidden_layers"))
