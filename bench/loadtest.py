"""Load test: a class of simulated learners on the embedded default or the Celery backend (loopback only).

Each learner (bench/loadtest_client.py: a thread with its own requests.Session, so its own kp_client cookie)
loads the config, then until its time is up starts the Day-65 lesson preset (app/config/lessons.py) at the
default pace and reads the stream to its end, counting `event: frame` lines in the raw bytes without decoding
frames; a 429 makes it wait Retry-After. At the deadline a run still going is stopped and read to its end.
Every run must end with `done` or `error`: a stream that ends without one is counted as lost.

Figures per scenario: first-frame p50/p95 (POST to first frame), frames/s and epochs/s per learner over the
time it waited and watched, errors, 429s, lost runs, runs that showed a queue position, resident memory of
the web process and the training processes sampled every 2 s. JSON in bench/results/loadtest.json (each
scenario's entry replaced when it is run again).

Usage:
  python bench/loadtest.py                      # `make loadtest`: 30 and 60 embedded, 30 Celery, 30 + a page
  python bench/loadtest.py --backend embedded --learners 30 --seconds 60 [--processes 2] [--frames weights]
  python bench/loadtest.py --runs 1000          # flat memory: short runs at pace max until 1,000 have ended
  python bench/loadtest.py --learners 30 --page # and one more learner in headless Chromium (bench/loadtest_page.py)

With --page (and in the embedded_30_page scenario) a 31st learner opens the playground in headless Chromium with the
same preset and reports the frames its page drew per second while its runs trained (`page_frames_per_s`).
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
sys.path.insert(0, str(ROOT / "bench"))
from loadtest_client import Learner, RunBudget  # noqa: E402
from loadtest_page import PageLearner  # noqa: E402
from resident import union_mb  # noqa: E402

from app.config.lessons import DAY65  # noqa: E402  (no TensorFlow: app/config is plain Python)

PRESET = {**DAY65}  # the lesson's own settings at the default pace
SHORT = {**DAY65, "epochs": 20, "pace": "max"}  # the flat-memory mode: many short runs
SCENARIOS = {  # `make loadtest`: name -> (backend, learners, training processes, a page too); ~8 minutes in all
    "embedded_30": ("embedded", 30, None, False),
    "embedded_60": ("embedded", 60, None, False),
    "celery_30": ("celery", 30, 2, False),
    # The page among the class: headless Chromium on the server's own 2 cores takes ~0.6 of a core from the class,
    # so the page's figure is a scenario of its own and the class's figures above are the server's alone.
    "embedded_30_page": ("embedded", 30, None, True),
}
MAX_LEARNERS, MAX_SECONDS, MAX_RUNS = 100, 300, 5000  # bounds: this is a loopback test, not a stress tool
OUT = ROOT / "bench" / "results" / "loadtest.json"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Services:
    """The processes of one backend: gunicorn, and for Celery a redis-server and a Celery worker."""

    def __init__(self, backend: str, tmp: str, processes: int | None = None) -> None:
        self.procs: list[subprocess.Popen] = []
        self.cpu: dict[int, tuple[str, float]] = {}  # pid -> (group, CPU seconds so far): kept for processes that ended
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), "KP_ACCESS_LOG": "",
               "TF_CPP_MIN_LOG_LEVEL": "3", "KP_DATABASE_URL": f"sqlite:///{tmp}/load.db"}
        if processes:
            env["KP_WORKERS"] = str(processes)
        self.processes = processes or os.cpu_count() or 1
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
                                        f"--concurrency={self.processes}", "--max-tasks-per-child=1000",
                                        "--loglevel=warning", "--without-gossip", "--without-mingle"], env)
        self.web = self._start([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], env)

    def _start(self, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def wait_ready(self, timeout: float = 300) -> tuple[float, bool]:
        """Seconds until every training process is ready: warm, the common architectures compiled."""
        t0 = time.monotonic()
        ready = False
        while time.monotonic() - t0 < timeout:
            try:
                workers = requests.get(self.url + "/healthz", timeout=5).json()["workers"]
                ready = bool(workers) and all(w["ready"] for w in workers)
                if ready:
                    return round(time.monotonic() - t0, 1), True
            except (requests.RequestException, ValueError, KeyError):
                pass
            time.sleep(0.5)
        if not ready:
            raise SystemExit("the service did not become ready")
        return round(time.monotonic() - t0, 1), False

    def rss_mb(self, union: bool = False) -> dict[str, float]:
        """Resident memory (MB): the web process, the training processes, redis, and their total; `pss_total`,
        the sum of their proportional set sizes; `union_total`, their distinct physical pages: what they hold
        together, TensorFlow's shared library pages (~440 MB, mapped by every training process and in each one's
        RSS) counted once."""
        out: dict[str, float] = {}
        pss = 0
        pids: list[int] = []
        for name, proc, children in (("web", self.web, False), ("training", self.web, True),
                                     ("training", getattr(self, "workers", None), None),
                                     ("redis", getattr(self, "redis", None), False)):
            if proc is None:
                continue
            try:
                root = psutil.Process(proc.pid)
                procs = {True: root.children(recursive=True), False: [root],
                         None: [root, *root.children(recursive=True)]}[children]
                infos = [p.memory_full_info() for p in procs]
                for p in procs:  # gunicorn's own processes are the web side, wherever they sit in the tree
                    times = p.cpu_times()
                    group = "web" if "gunicorn" in " ".join(p.cmdline()) else name
                    self.cpu[p.pid] = (group, times.user + times.system)
                rss = sum(i.rss for i in infos)
                pss += sum(i.pss for i in infos)
                pids += [p.pid for p in procs]
            except psutil.Error:
                rss = 0
            out[name] = round(out.get(name, 0) + rss / 2**20, 1)
        out["total"] = round(sum(out.values()), 1)
        out["pss_total"] = round(pss / 2**20, 1)
        # each physical page once, exactly (bench/resident.py; None unless root). Once, at the end, the class
        # stopped (0.4 s): reading a process's page map holds its memory-map lock, and read under the class (every
        # 2 s, or once half-way: 19 s to read) it stalled a class of 60 for ~9 s. PSS, sampled throughout, comes
        # within 0.5 % of it.
        began = time.monotonic()
        together = union_mb(pids) if union else None
        if together is not None:
            out["union_total"], out["union_read_s"] = together, round(time.monotonic() - began, 2)
        return out

    def capacity(self) -> dict[str, Any]:
        """The training processes' slots (measured: app/runner/slots.py) and CPU ms per epoch, from /healthz."""
        try:
            workers = requests.get(self.url + "/healthz", timeout=5).json()["workers"]
        except (requests.RequestException, ValueError, KeyError):
            return {}
        return {"slots": [w.get("slots") for w in workers], "epoch_ms": [w.get("epoch_ms") for w in workers]}

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used by each group of processes since it started, as last sampled (every 2 s)."""
        out: dict[str, float] = {}
        for group, seconds in self.cpu.values():
            out[group] = round(out.get(group, 0.0) + seconds, 1)
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


OPENING = 5.0  # seconds: the opening burst, when the whole class pressed play at once


def sampler_first() -> None:
    """This thread (the sampler; the learners' threads already run at normal priority) at nice -10 when allowed.

    Reading a process's memory figures (/proc/<pid>/smaps) holds that process's memory-map lock; a sampler
    preempted mid-read by 60 learners' work held a training process's page faults with it (a 17 s gap between
    samples, first frames of 9 s). Ahead of the class, it reads and lets go."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), -10)
    except (PermissionError, OSError):
        pass


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)




def summarize(name: str, backend: str, crowd: list[Learner], warm: float, rss: list[dict[str, Any]],
              extra: dict[str, Any]) -> dict[str, Any]:
    """The figures of one scenario from its learners and the memory samples."""
    first = [x for learner in crowd for x in learner.first_frame]
    when = sorted(w for learner in crowd for w in learner.first_frame_when)
    opened = when[0][0] if when else 0.0
    after_opening = [w for w in when if w[0] - opened > OPENING]
    posts = [w[3] for w in when]

    def slowest(rows: list[tuple[float, float, bool, float]]) -> list[list[Any]]:
        """The eight slowest first frames: pressed (s after the first), wait, queued, the POST's answer."""
        return [[round(p - opened, 2), round(latency, 3), queued, round(post, 3)]
                for p, latency, queued, post in sorted(rows, key=lambda w: -w[1])[:8]]
    per_fps = [learner.frames / learner.watch_seconds for learner in crowd if learner.watch_seconds]
    per_eps = [learner.epochs / learner.watch_seconds for learner in crowd if learner.watch_seconds]

    def spread(values: list[float]) -> dict[str, float | None]:
        return {"min": round(min(values), 2) if values else None,
                "median": round(statistics.median(values), 2) if values else None,
                "mean": round(statistics.fmean(values), 2) if values else None}

    keys = dict.fromkeys(k for s in rss for k in s if k not in ("t", "runs_ended"))
    peak = {k: max(s.get(k, 0) for s in rss) for k in keys}
    return {
        "scenario": name, "backend": backend, "learners": len(crowd), "cores": os.cpu_count(), **extra,
        "warm_up_s": warm,
        "runs_started": sum(learner.runs for learner in crowd),
        "runs_done_or_error": sum(learner.runs - learner.lost for learner in crowd),
        "runs_lost": sum(learner.lost for learner in crowd) + sum(learner.is_alive() for learner in crowd),
        "errors": sum(learner.errors for learner in crowd),
        "rejected_429": sum(learner.rejected for learner in crowd),
        "rejected_by": dict(sum((learner.rejected_by for learner in crowd), Counter())),
        "failed_requests": sum(learner.failed_requests for learner in crowd),
        "failed_by": dict(sum((learner.failed_by for learner in crowd), Counter())),
        "runs_that_saw_queue_position": sum(learner.saw_queue for learner in crowd),
        "first_frame_s": {"p50": percentile(first, 0.5), "p95": percentile(first, 0.95), "n": len(first)},
        # after the opening burst (every learner pressing play in the same second), and the slowest runs: when
        # they were pressed (s after the first), their wait, whether they saw a queue position, the POST's answer
        "first_frame_after_opening_s": {"p95": percentile([w[1] for w in after_opening], 0.95),
                                        "n": len(after_opening)},
        "first_frame_slowest": slowest(when),
        "first_frame_slowest_after_opening": slowest(after_opening),
        "post_answer_s": {"p50": percentile(posts, 0.5), "p95": percentile(posts, 0.95)},
        "frames_per_s_per_learner": spread(per_fps),
        "epochs_per_s_per_learner": spread(per_eps),
        "rss_mb_peak": peak,
        "rss_mb": rss,
    }


def run_scenario(name: str, backend: str, learners: int, seconds: float, processes: int | None = None,
                 frames: str | None = None, runs: int | None = None, page: bool = False) -> dict[str, Any]:
    """Start the services, let the class work for `seconds` (or until `runs` runs), stop everything.

    With `page`, one more learner watches in headless Chromium (bench/loadtest_page.py) once the others run.
    """
    with tempfile.TemporaryDirectory() as tmp:
        services = Services(backend, tmp, processes)
        try:
            warm, warm_pool = services.wait_ready()
            what = f"{runs} runs" if runs else f"{seconds} s"
            print(f"[{name}] ready in {warm} s (warm pool: {warm_pool}); {learners} learners, {what}", flush=True)
            budget = RunBudget(runs) if runs else None
            limit = MAX_SECONDS * 4 if runs else seconds
            crowd = [Learner(services.url, SHORT if runs else PRESET, limit, frames, budget) for _ in range(learners)]
            rss: list[dict[str, Any]] = [{"t": 0.0, "runs_ended": 0, **services.rss_mb()}]
            cpu0, own0 = services.cpu_seconds(), os.times()
            slots: list[dict[str, Any]] = []
            t0 = time.monotonic()
            for learner in crowd:
                learner.start()
            viewer = PageLearner(services.url, PRESET, seconds) if page and not runs else None
            if viewer is not None:
                viewer.start()
            busy = [*crowd, *([viewer] if viewer else [])]
            sampler_first()
            done = 0
            while any(thread.is_alive() for thread in busy) and time.monotonic() - t0 < limit + 180:
                done = sum(learner.runs - learner.lost for learner in crowd)
                rss.append({"t": round(time.monotonic() - t0, 1), "runs_ended": done, **services.rss_mb()})
                slots.append({"t": rss[-1]["t"], **services.capacity()})
                time.sleep(2)
            rss.append({"t": round(time.monotonic() - t0, 1), "runs_ended": done, **services.rss_mb(union=True)})
            own = os.times()
            cpu = {k: round(v - cpu0.get(k, 0.0), 1) for k, v in services.cpu_seconds().items()}
            cpu["load_test_clients"] = round(own.user + own.system - own0.user - own0.system, 1)
            cpu["wall"] = round(time.monotonic() - t0, 1)
        finally:
            services.stop()
    extra = {"seconds": seconds, "processes": services.processes, "frames": frames or "default",
             "warm_pool": warm_pool, "cpu_seconds": cpu, "slots": slots}
    if viewer is not None:
        extra.update(viewer.result or {"page_error": "the page learner did not finish"})
    if runs:
        extra.update(runs_asked=runs, wall_s=round(time.monotonic() - t0, 1))
    result = summarize(name, backend, crowd, warm, rss, extra)
    if runs and len(rss) > 2:  # memory against runs ended: flat means no growth per run
        half = [s for s in rss if s["runs_ended"] >= runs // 2] or rss
        result["rss_mb_total"] = {"after_warm": rss[0]["total"], "at_half": half[0]["total"],
                                  "at_end": rss[-1]["total"], "peak": result["rss_mb_peak"].get("total")}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("embedded", "celery"))
    parser.add_argument("--learners", type=int)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--processes", type=int, help="training processes (KP_WORKERS / Celery concurrency)")
    parser.add_argument("--frames", choices=("grids", "weights"), default="weights",
                        help="passed as ?frames= to the stream (default: weights, as the page asks)")
    parser.add_argument("--runs", type=int, help="flat-memory mode: short runs until this many have started")
    parser.add_argument("--name", help="the entry in loadtest.json (default: backend_learners)")
    parser.add_argument("--page", action="store_true",
                        help="one more learner in headless Chromium: page_frames_per_s (bench/loadtest_page.py)")
    args = parser.parse_args()
    seconds = max(5.0, min(args.seconds, MAX_SECONDS))
    runs = max(1, min(args.runs, MAX_RUNS)) if args.runs else None
    if args.backend or args.learners or runs:
        backend = args.backend or "embedded"
        learners = max(1, min(args.learners or 30, MAX_LEARNERS))
        name = args.name or (f"{backend}_{runs}_runs" if runs else f"{backend}_{learners}")
        plan = {name: (backend, learners, args.processes, args.page)}
    else:
        plan = SCENARIOS
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    for name, (backend, learners, processes, page) in plan.items():
        result = run_scenario(name, backend, learners, seconds, processes or args.processes, args.frames, runs,
                              page or args.page)
        results[name] = result
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps({k: v for k, v in result.items() if k != "rss_mb"}, indent=2), flush=True)


if __name__ == "__main__":
    main()
