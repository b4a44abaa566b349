"""Class wall benchmark: N learners of one class train at once on the real gunicorn (loopback only).

Measures what the issue asks: each learner's tile on the teacher's wall lags the learner's own frame of the same epoch
by how much, and what share of the machine the web process uses with and without the wall open. The learners are
API clients (one requests.Session each, so one client cookie each), not browsers.
Usage: python bench/class_wall.py [--learners 30] [--seconds 20] [--pace 20]; writes bench/results/class_wall.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_service import start_server  # noqa: E402
from tests.sse_client import parse  # noqa: E402

PRESET = {"dataset": "xor", "features": ["x1", "x2"], "hidden_layers": [3], "learning_rate": 0.03,
          "epochs": 50000, "grid_resolution": 20}


def follow(session: requests.Session, url: str, seen: dict, stop: threading.Event, key=None, skip: int = 0) -> None:
    """Read a stream until `stop`; note when each (key, epoch) first arrived (after the first `skip` events)."""
    with session.get(url, stream=True, timeout=30) as response:
        for event in parse(response, deadline=3600):
            if stop.is_set():
                return
            data = event["data"]
            if skip > 0:  # the wall's opening snapshot: tiles of frames the learners saw before the wall opened
                skip -= 1
                continue
            if event["event"] in ("frame", "learner") and isinstance(data, dict) and data.get("epoch"):
                who = key if key is not None else data.get("learner_id")
                seen.setdefault((who, data["epoch"]), time.monotonic())


def web_process(server) -> psutil.Process:
    """The gunicorn worker serving HTTP (the master's child); training workers are its own children."""
    return psutil.Process(server.pid).children()[0]


def cpu_share(proc: psutil.Process, seconds: float) -> float:
    """The web process's CPU over `seconds`, as a percentage of the whole machine (all cores)."""
    before = sum(proc.cpu_times()[:2])
    time.sleep(seconds)
    return 100 * (sum(proc.cpu_times()[:2]) - before) / (seconds * psutil.cpu_count())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--learners", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--pace", type=float, default=20, help="epochs per second of each learner's run")
    args = ap.parse_args()
    n = args.learners
    os.environ.update({"KP_WORKERS": "2", "KP_RUNS_PER_WORKER": str(math.ceil(n / 2) + 1),
                       "KP_QUEUE_SIZE": str(n)})
    tmp = tempfile.mkdtemp()
    server, url = start_server(tmp)
    stop = threading.Event()
    try:
        teacher = requests.Session()
        made = teacher.post(url + "/api/classes", json={"name": "bench", "preset": {**PRESET, "pace": args.pace},
                                                        "locked": ["dataset"]})
        made.raise_for_status()
        made = made.json()
        teacher.headers["X-Teacher-Token"] = made["teacher_token"]
        own: dict = {}
        learners = []
        for i in range(n):
            s = requests.Session()
            member = s.post(f"{url}/api/classes/{made['code']}/join", json={"name": f"L{i}"}).json()
            run = s.post(url + "/api/runs", json={**PRESET, "pace": args.pace})
            assert run.status_code == 201, run.text
            run = run.json()
            learners.append(member["learner_id"])
            threading.Thread(target=follow, args=(s, url + run["events_url"], own, stop, member["learner_id"]),
                             daemon=True).start()
        deadline = time.monotonic() + 300  # every run past its first frames (warm-up is not what is measured)
        while len({who for who, _ in own}) < n and time.monotonic() < deadline:
            time.sleep(0.5)
        started = len({who for who, _ in own})
        web = web_process(server)
        without = cpu_share(web, args.seconds)
        frames_before = len(own)
        wall: dict = {}
        wall_url = f"{url}/api/classes/{made['id']}/wall/events"
        threading.Thread(target=follow, args=(teacher, wall_url, wall, stop, None, n), daemon=True).start()
        time.sleep(2)
        with_wall = cpu_share(web, args.seconds)
        stop.set()
        lags: dict[str, list[float]] = {}
        for (who, epoch), t_wall in wall.items():
            t_own = own.get((who, epoch))
            if t_own is not None:
                lags.setdefault(who, []).append(t_wall - t_own)
        per = {who: max(v) for who, v in lags.items()}
        all_lags = [x for v in lags.values() for x in v]
        updates = len(wall) / (args.seconds + 2) / max(1, len(lags))
        result = {
            "learners": n, "pace": args.pace, "seconds": args.seconds, "cores": psutil.cpu_count(),
            "learners_with_frames_before_measuring": started,
            "learner_frames_per_s": round((len(own) - frames_before) / args.seconds, 1),
            "tiles_seen": len(lags), "wall_updates_per_learner_per_s": round(updates, 2),
            "lag_ms_median": round(1000 * statistics.median(all_lags), 1) if all_lags else None,
            "lag_ms_p95": round(1000 * sorted(all_lags)[int(0.95 * (len(all_lags) - 1))], 1) if all_lags else None,
            "lag_ms_worst_learner_max": round(1000 * max(per.values()), 1) if per else None,
            "updates_over_1s": sum(1 for x in all_lags if x > 1), "updates_measured": len(all_lags),
            "web_cpu_pct_of_machine_without_wall": round(without, 2),
            "web_cpu_pct_of_machine_with_wall": round(with_wall, 2),
            "machine_load_1min": round(os.getloadavg()[0], 2),
        }
        print(json.dumps(result, indent=2))
        (ROOT / "bench" / "results" / "class_wall.json").write_text(json.dumps(result, indent=2) + "\n")
    finally:
        stop.set()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


if __name__ == "__main__":
    main()
