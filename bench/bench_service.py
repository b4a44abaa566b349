"""Service benchmark: N simulated learners on the real gunicorn (loopback only), then RSS over 200 runs.

Each learner POSTs the Day-65 preset (500 epochs at the default pace) and reads its stream to the end.
Prints a table and writes bench/results/service.json. Usage: python bench/bench_service.py [--quick]
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.sse_client import parse  # noqa: E402

ALL = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
DAY65 = {"dataset": "spiral", "features": ALL, "hidden_layers": [8], "activation": "tanh", "batch_size": 10,
         "learning_rate": 0.03, "epochs": 500}


def wait_warm(url: str, timeout: float = 180) -> float:
    """Wait until every worker is ready: TensorFlow imported, the common architectures compiled (a warm pool)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        workers = requests.get(url + "/healthz", timeout=5).json()["workers"]
        if workers and all(w.get("ready") for w in workers):
            break
        time.sleep(0.5)
    return round(time.monotonic() - t0, 1)


def start_server(tmp: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "KP_ACCESS_LOG": "", "TF_CPP_MIN_LOG_LEVEL": "3",
           "KP_DATABASE_URL": f"sqlite:///{tmp}/bench.db", "KP_WORKER_MAX_RUNS": "1000",
           "KP_RUNS_PER_CLIENT": "0", "KP_RATE_LIMIT": "100000 per minute"}  # one client measures the whole pool
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            health = requests.get(url + "/healthz", timeout=5).json()
            if health["workers"] and all(w["ready"] for w in health["workers"]):
                return proc, url
        except (requests.RequestException, ValueError, KeyError):
            pass
        time.sleep(0.3)
    raise RuntimeError("server did not become ready")


def rss_mb(proc: subprocess.Popen) -> float:
    parent = psutil.Process(proc.pid)
    total = 0
    for p in [parent, *parent.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return round(total / 2**20, 1)


def learner(url: str, config: dict, out: list) -> None:
    t0 = time.monotonic()
    record = {"status": None, "first_frame_s": None, "frames": 0, "epochs": 0, "end": None}
    try:
        response = requests.post(url + "/api/runs", json=config, timeout=30)
        record["status"] = response.status_code
        if response.status_code != 201:
            out.append(record)
            return
        first = last = None
        with requests.get(url + response.json()["events_url"], stream=True, timeout=120) as stream:
            for event in parse(stream):
                now = time.monotonic()
                if event["event"] == "frame":
                    record["frames"] += 1
                    record["epochs"] = event["data"]["epoch"]
                    if first is None:
                        first = now
                        record["first_frame_s"] = now - t0
                    last = now
                elif event["event"] in ("done", "error"):
                    record["end"] = event["event"] if event["event"] == "error" else event["data"]["reason"]
                    break
        span = (last - first) if first and last and last > first else None
        record["frames_per_s"] = (record["frames"] - 1) / span if span else None
        record["epochs_per_s"] = record["epochs"] / span if span else None
    except requests.RequestException as exc:
        record["end"] = f"exception: {exc.__class__.__name__}"
    out.append(record)


def pct(values: list[float], q: float) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 3)


def level(url: str, n: int) -> dict:
    out: list = []
    threads = [threading.Thread(target=learner, args=(url, DAY65, out)) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    done = [r for r in out if r["status"] == 201]
    fps = [r["frames_per_s"] for r in done if r.get("frames_per_s")]
    eps = [r["epochs_per_s"] for r in done if r.get("epochs_per_s")]
    return {
        "learners": n,
        "first_frame_p50_s": pct([r["first_frame_s"] for r in done], 0.5),
        "first_frame_p95_s": pct([r["first_frame_s"] for r in done], 0.95),
        "frames_per_s_min": round(min(fps), 1) if fps else None,
        "frames_per_s_median": round(statistics.median(fps), 1) if fps else None,
        "epochs_per_s_min": round(min(eps), 1) if eps else None,
        "epochs_per_s_median": round(statistics.median(eps), 1) if eps else None,
        "http_429": sum(1 for r in out if r["status"] == 429),
        "errors": sum(1 for r in out if r["end"] not in ("finished",) and r["status"] == 201),
        "hung": n - len(out),
    }


def main() -> None:
    quick = "--quick" in sys.argv
    levels = (1, 4, 16) if quick else (1, 4, 8, 16, 32)
    sequential = 50 if quick else 200
    results: dict = {"levels": [], "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(tmp)
        try:
            # A warm pool: the idle workers pre-compile one copy of each common architecture per slot.
            results["warm_pool_wait_s"] = wait_warm(url)
            results["rss_idle_mb"] = rss_mb(proc)
            for n in levels:
                row = level(url, n)
                row["rss_mb"] = rss_mb(proc)
                results["levels"].append(row)
                print(row, flush=True)
            for i in range(1, sequential + 1):
                r = requests.post(url + "/api/runs", json={**DAY65, "epochs": 20, "pace": "max",
                                                           "hidden_layers": [1 + i % 8]}, timeout=30)
                with requests.get(url + r.json()["events_url"], stream=True, timeout=60) as stream:
                    for event in parse(stream):
                        if event["event"] in ("done", "error"):
                            break
                if i == 10:
                    results["rss_after_run_10_mb"] = rss_mb(proc)
            results[f"rss_after_run_{sequential}_mb"] = rss_mb(proc)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
    base = results["rss_after_run_10_mb"]
    results["rss_growth_10_to_last_pct"] = round(100 * (results[f"rss_after_run_{sequential}_mb"] - base) / base, 1)
    print(f"RSS server+workers: idle {results['rss_idle_mb']} MB, after run 10 {base} MB, after run "
          f"{sequential} {results[f'rss_after_run_{sequential}_mb']} MB ({results['rss_growth_10_to_last_pct']}%)")
    out = ROOT / "bench" / "results" / "service.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
