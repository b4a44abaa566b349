"""Sweep benchmark: 12 runs of the Day-65 preset (200 epochs) as one sweep vs the same runs one at a time.

On the embedded default (`make run`'s gunicorn, one training worker per core), after a warm-up sweep (each
worker compiles the model), it measures the sum of single-run wall times (each run alone, POST to `done`),
then one sweep of the same 12 runs (6 learning rates × 2 repeats), POST to its `done` event: how well the
pool runs trials in parallel.
Writes bench/results/sweep.json. Usage: python bench/bench_sweep.py [--quick]
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from app.config.lessons import DAY65  # noqa: E402
from bench.bench_service import start_server, wait_warm  # noqa: E402
from tests.sse_client import events  # noqa: E402

RATES = [0.01, 0.03, 0.1, 0.3, 1, 3]


def single_runs(url: str, base: dict, configs: list[dict]) -> list[float]:
    """Wall seconds of each run alone: POST, then its stream to the end."""
    times = []
    for point in configs:
        t0 = time.perf_counter()
        created = requests.post(url + "/api/runs", json={**base, **point, "pace": "max"}, timeout=30).json()
        names = [e["event"] for e in events(url + created["events_url"], deadline=600)]
        assert names[-1] == "done", names[-3:]
        times.append(time.perf_counter() - t0)
    return times


def sweep(url: str, base: dict, repeats: int, rates: list[float] = RATES) -> tuple[float, dict]:
    """Wall seconds of one sweep, POST to its done event, and its final view."""
    t0 = time.perf_counter()
    response = requests.post(url + "/api/sweeps", json={"base": base, "params": {"learning_rate": rates},
                                                        "repeats": repeats}, timeout=30)
    response.raise_for_status()
    created = response.json()
    received = list(events(url + created["events_url"], deadline=1800))
    wall = time.perf_counter() - t0
    assert received[-1]["event"] == "done"
    return wall, requests.get(f"{url}/api/sweeps/{created['id']}", timeout=30).json()


def main() -> None:
    quick = "--quick" in sys.argv
    repeats = 1 if quick else 2
    base = {**DAY65, "epochs": 200}
    configs = [{"learning_rate": lr, "seed": s} for lr in RATES for s in range(repeats)]
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(tmp)
        try:
            wait_warm(url, 1)
            sweep(url, {**base, "epochs": 20}, 1, RATES[:2])  # both workers compile the classic-mode model first
            health = requests.get(url + "/healthz", timeout=10).json()
            load_before = os.getloadavg()[0]
            alone = single_runs(url, base, configs)
            wall, final = sweep(url, base, repeats)
            load_after = os.getloadavg()[0]
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
    total = sum(alone)
    result = {
        "runs": len(configs), "epochs": 200, "preset": "Day-65 (spiral, 7 features, [8], batch 10, classic)",
        "workers": len(health["workers"]), "cores": os.cpu_count(),
        "single_run_seconds": [round(t, 2) for t in alone], "sum_single_seconds": round(total, 2),
        "sweep_wall_seconds": round(wall, 2), "sweep_server_wall_seconds": final["wall_time"],
        "speedup": round(total / wall, 2),
        # On a shared machine a few single runs stall; 12 × the median is the steadier baseline.
        "median_single_seconds": round(statistics.median(alone), 2),
        "speedup_vs_median": round(len(alone) * statistics.median(alone) / wall, 2),
        "trials_done": final["counts"]["done"],
        "load_average_before_after": [round(load_before, 1), round(load_after, 1)],
    }
    print(f"{len(configs)} runs × 200 epochs: one at a time {total:.1f} s (sum), as one sweep {wall:.1f} s "
          f"→ {result['speedup']}× on {result['workers']} workers / {result['cores']} cores")
    out = ROOT / "bench" / "results" / "sweep.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
