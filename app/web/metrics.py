"""GET /metrics: the service in Prometheus text format, read from the runner's health at scrape time.

A collector (not module-level gauges) so each app, and each test's app, reports its own runner;
frames/s is the rate of the frames counter since the previous scrape (and `kp_frames_total` is there
for Prometheus' own rate()).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

bp = Blueprint("metrics", __name__)


class RunnerCollector:
    """Turns one /healthz view into metric families."""

    def __init__(self, health: Any, rejected: Any) -> None:
        self.health = health
        self.rejected = rejected
        self._lock = threading.Lock()
        self._last: tuple[float, int] | None = None

    def _fps(self, total: int) -> float:
        now = time.monotonic()
        with self._lock:
            last, self._last = self._last, (now, total)
        if last is None or now <= last[0]:
            return 0.0
        return max(0.0, (total - last[1]) / (now - last[0]))

    def collect(self) -> Iterator[Metric]:
        h = self.health()
        runs = h.get("runs", {})
        for name, key, text in (("kp_runs_active", "active", "Runs training now."),
                                ("kp_runs_queued", "queued", "Runs waiting for a training process."),
                                ("kp_runs_capacity", "capacity", "Runs that can train at once.")):
            yield GaugeMetricFamily(name, text, value=runs.get(key, 0))
        yield CounterMetricFamily("kp_runs_completed", "Runs ended (done or error).", value=runs.get("completed", 0))
        total = int(h.get("frames_total", 0))
        yield CounterMetricFamily("kp_frames", "Frames sent by training processes.", value=total)
        yield GaugeMetricFamily("kp_frames_per_second", "Frames per second since the previous scrape.",
                                value=self._fps(total))
        workers = h.get("workers", [])
        yield GaugeMetricFamily("kp_workers_ready", "Training processes warm and accepting runs.",
                                value=sum(1 for w in workers if w.get("ready")))
        rss = GaugeMetricFamily("kp_worker_rss_bytes", "Resident memory of each training process.",
                                labels=["worker", "pid"])
        for w in workers:
            if "rss_mb" in w:
                rss.add_metric([str(w.get("index")), str(w.get("pid"))], float(w["rss_mb"]) * 2**20)
        yield rss
        yield CounterMetricFamily("kp_rejected_429", "Requests answered 429 by this web process.",
                                  value=self.rejected())


def registry_for(app: Any) -> CollectorRegistry:
    """The app's registry (made once): the runner's figures and the limits' 429 count."""
    if "kp_metrics" not in app.extensions:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(RunnerCollector(
            lambda: app.extensions["kp_runner"]().health(),
            lambda: app.extensions.get("kp_limits", {}).get("rejected", 0),
        ))
        app.extensions["kp_metrics"] = registry
    return app.extensions["kp_metrics"]


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text exposition (starts the runner if it was not yet, as /healthz does)."""
    return Response(generate_latest(registry_for(current_app._get_current_object())),
                    mimetype=CONTENT_TYPE_LATEST.split(";")[0], headers={"Content-Type": CONTENT_TYPE_LATEST})
