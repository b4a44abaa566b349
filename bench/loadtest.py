"""Load test: N simulated learners for S seconds on the embedded default and on the Celery backend (loopback only).

Each learner (a thread with its own cookie, as a browser tab) loads the config, then until its time is up
starts the Day-65 preset (200 epochs at the default pace) and reads the stream to its end; a 429 makes it
wait Retry-After. At the deadline a run still going is stopped and read to its end. Every run must end
with `done` or `error`: a stream that ends without one is counted as lost.

Figures per backend: first-frame p50/p95 (POST to first frame), frames/s and epochs/s per learner, errors,
429s, lost runs, RSS of the web and training processes over time. JSON in bench/results/loadtest.json
(each backend's entry replaced when it is run again).

Usage: python bench/loadtest.py [--backend embedded|celery|both] [--learners 30] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.sse_client import parse  # noqa: E402

ALL = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
PRESET = {"dataset": "spiral", "features": ALL, "hidden_layers": [8], "activation": "tanh", "batch_size": 10,
          "learning_rate": 0.03, "epochs": 200}
WARM_COPIES = 8  # the default KP_RUNS_PER_WORKER: compiled copies each process prepares while idle
MAX_LEARNERS, MAX_SECONDS = 100, 300  # bounds: this is a loopback test, not a stress tool
OUT = ROOT / "bench" / "results" / "loadtest.json"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Services:
    """The processes of one backend: gunicorn, and for Celery a redis-server and a Celery worker."""

    def __init__(self, backend: str, tmp: str) -> None:
        self.procs: list[subprocess.Popen] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), "KP_ACCESS_LOG": "",
               "TF_CPP_MIN_LOG_LEVEL": "3", "KP_DATABASE_URL": f"sqlite:///{tmp}/load.db"}
        self.web_env = env
        if backend == "celery":
            redis_port = free_port()
            env["KP_RUNNER"] = "celery"
            env["KP_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
            redis = shutil.which("redis-server")
            if not redis:
                raise SystemExit("redis-server is missing: run `make system-deps`")
            self.redis = self._start([redis, "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", tmp,
                                      "--save", "", "--appendonly", "no"], env)
            self.workers = self._start([str(BIN / "celery"), "-A", "app.runner.celery_app", "worker", "--pool=prefork",
                                        f"--concurrency={os.cpu_count() or 1}", "--max-tasks-per-child=100",
                                        "--loglevel=warning", "--without-gossip", "--without-mingle"], env)
        self.web = self._start([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], env)

    def _start(self, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def wait_ready(self, timeout: float = 300) -> tuple[float, bool]:
        """Seconds until every training process is ready and holds its warm copies (as bench_service waits)."""
        t0 = time.monotonic()
        ready = False
        while time.monotonic() - t0 < timeout:
            try:
                workers = requests.get(self.url + "/healthz", timeout=5).json()["workers"]
                ready = bool(workers) and all(w["ready"] for w in workers)
                if ready and all(w.get("warm_copies", 0) >= WARM_COPIES for w in workers):
                    return round(time.monotonic() - t0, 1), True
            except (requests.RequestException, ValueError, KeyError):
                pass
            time.sleep(0.5)
        if not ready:
            raise SystemExit("the service did not become ready")
        return round(time.monotonic() - t0, 1), False

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of the web process tree and (Celery) the worker tree and redis."""
        out = {}
        for name in ("web", "workers", "redis"):
            proc = getattr(self, name, None)
            if proc is None:
                continue
            try:
                root = psutil.Process(proc.pid)
                total = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
            except psutil.Error:
                total = 0
            out[name] = round(total / 2**20, 1)
        return out

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


class Learner(threading.Thread):
    """One browser tab: start a run, watch it to the end, again, until the time is up."""

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.until = time.monotonic() + seconds
        self.session = requests.Session()
        self.first_frame: list[float] = []
        self.frames = self.epochs = self.runs = self.rejected = self.errors = self.lost = self.failed_requests = 0
        self.rejected_by: Counter[str] = Counter()  # "field: message" of each 429
        self.watch_seconds = 0.0

    def run(self) -> None:
        try:
            self.session.get(self.url + "/api/config", timeout=30)  # the page's first load (and the cookie)
        except requests.RequestException:
            self.failed_requests += 1
        while time.monotonic() < self.until:
            try:
                self._one_run()
            except requests.RequestException:
                self.failed_requests += 1
                time.sleep(1)

    def _one_run(self) -> None:
        t0 = time.monotonic()
        response = self.session.post(self.url + "/api/runs", json=PRESET, timeout=30)
        if response.status_code == 429:
            self.rejected += 1
            errors = (response.json() or {}).get("errors") or [{}]
            self.rejected_by[f"{errors[0].get('field')}: {errors[0].get('message')}"] += 1
            wait = float(response.headers.get("Retry-After", "5"))
            time.sleep(max(0.0, min(wait, self.until - time.monotonic())))
            return
        if response.status_code != 201:
            self.failed_requests += 1
            time.sleep(1)
            return
        run = response.json()
        self.runs += 1
        stopped, ended, last_epoch, seen_frame = False, None, 0, False
        with self.session.get(self.url + run["events_url"], stream=True, timeout=60) as stream:
            for event in parse(stream, deadline=max(120.0, self.until - time.monotonic() + 60)):
                if event["event"] == "frame":
                    if not seen_frame:
                        self.first_frame.append(time.monotonic() - t0)
                        seen_frame = True
                    self.frames += 1
                    last_epoch = event["data"]["epoch"]
                elif event["event"] in ("done", "error"):
                    ended = event["event"]
                    break
                if not stopped and time.monotonic() >= self.until:
                    stopped = True  # time is up: stop it, and read on to its end
                    self.session.post(f"{self.url}/api/runs/{run['id']}/stop", timeout=30)
        self.epochs += last_epoch
        self.watch_seconds += time.monotonic() - t0
        if ended is None:
            self.lost += 1
        elif ended == "error":
            self.errors += 1


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def run_backend(backend: str, learners: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        services = Services(backend, tmp)
        try:
            warm, warm_pool = services.wait_ready()
            print(f"[{backend}] ready in {warm} s (warm pool: {warm_pool}); {learners} learners for {seconds} s",
                  flush=True)
            rss: list[dict[str, Any]] = []
            crowd = [Learner(services.url, seconds) for _ in range(learners)]
            t0 = time.monotonic()
            for learner in crowd:
                learner.start()
            while any(learner.is_alive() for learner in crowd) and time.monotonic() - t0 < seconds + 180:
                rss.append({"t": round(time.monotonic() - t0, 1), **services.rss_mb()})
                time.sleep(2)
            stuck = sum(learner.is_alive() for learner in crowd)
            health = requests.get(services.url + "/healthz", timeout=10).json()
        finally:
            services.stop()
    first = [x for learner in crowd for x in learner.first_frame]
    per_fps = [learner.frames / learner.watch_seconds for learner in crowd if learner.watch_seconds]
    per_eps = [learner.epochs / learner.watch_seconds for learner in crowd if learner.watch_seconds]
    peak = {k: max(s.get(k, 0) for s in rss) for k in ("web", "workers", "redis") if rss and k in rss[0]}
    return {
        "backend": backend,
        "learners": learners,
        "seconds": seconds,
        "cores": os.cpu_count(),
        "warm_up_s": warm,
        "warm_pool": warm_pool,
        "runs_started": sum(learner.runs for learner in crowd),
        "runs_done_or_error": sum(learner.runs - learner.lost for learner in crowd),
        "runs_lost": sum(learner.lost for learner in crowd) + stuck,
        "errors": sum(learner.errors for learner in crowd),
        "rejected_429": sum(learner.rejected for learner in crowd),
        "rejected_by": dict(sum((learner.rejected_by for learner in crowd), Counter())),
        "failed_requests": sum(learner.failed_requests for learner in crowd),
        "first_frame_s": {"p50": percentile(first, 0.5), "p95": percentile(first, 0.95), "n": len(first)},
        "frames_per_s_per_learner": {"mean": round(statistics.fmean(per_fps), 2) if per_fps else None,
                                     "min": round(min(per_fps), 2) if per_fps else None},
        "epochs_per_s_per_learner": {"mean": round(statistics.fmean(per_eps), 2) if per_eps else None,
                                     "min": round(min(per_eps), 2) if per_eps else None},
        "rss_mb_peak": peak,
        "rss_mb": rss,
        "health_after": {"runs": health.get("runs"), "workers": len(health.get("workers", []))},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("embedded", "celery", "both"), default="both")
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    learners = max(1, min(args.learners, MAX_LEARNERS))
    seconds = max(5.0, min(args.seconds, MAX_SECONDS))
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    for backend in ("embedded", "celery") if args.backend == "both" else (args.backend,):
        result = run_backend(backend, learners, seconds)
        results[backend] = result
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(results, indent=2) + "\n")
        summary = {k: v for k, v in result.items() if k != "rss_mb"}
        print(json.dumps(summary, indent=2), flush=True)


if __name__ == "__main__":
    main()
