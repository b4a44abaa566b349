"""Issue 18, sessions side: what one hostile client does to a live server (docs/security.md's figures).

Starts gunicorn (the README's command) from a source tree, then measures: GET / and /healthz while one
client holds 200 idle connections and asks for 80 streams of its own paused run; another client's /stop;
12 forks at once from one client; a stream asked with Last-Event-ID -1.
Usage: python bench/hostile_sessions.py [--root DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def timed_get(url: str, timeout: float = 15.0) -> tuple[int | str, float]:
    """Status (or the exception's name) and seconds of one GET."""
    start = time.perf_counter()
    try:
        status: int | str = requests.get(url, timeout=timeout).status_code
    except requests.RequestException as exc:
        status = type(exc).__name__
    return status, round(time.perf_counter() - start, 3)


def open_streams(url: str, cookie: str, n: int) -> tuple[list, list[int]]:
    """Open n event streams at once with one client cookie; the open responses and their statuses."""
    held: list = []
    statuses: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        try:
            r = requests.get(url, cookies={"kp_client": cookie}, stream=True, timeout=(5, 60))
            with lock:
                held.append(r)
                statuses.append(r.status_code)
        except requests.RequestException as exc:
            with lock:
                statuses.append(type(exc).__name__)  # type: ignore[arg-type]

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return held, statuses


def measure(url: str) -> dict:
    """Every figure of the sessions side, against a running server."""
    out: dict = {"page_idle_first": timed_get(url + "/"), "page_idle": timed_get(url + "/"),
                 "healthz_idle": timed_get(url + "/healthz")}
    owner, other = "ownerclient1234", "otherclient5678"
    run = requests.post(url + "/api/runs?start=paused", json={"epochs": 1000}, cookies={"kp_client": owner},
                        timeout=30).json()
    run_id = run["id"]
    out["foreign_stop"] = requests.post(f"{url}/api/runs/{run_id}/stop", cookies={"kp_client": other},
                                        timeout=10).status_code
    run = requests.post(url + "/api/runs?start=paused", json={"epochs": 1000}, cookies={"kp_client": owner},
                        timeout=30).json()
    run_id = run["id"]
    idle = []
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
        idle.append(s)
    held, statuses = open_streams(f"{url}/api/runs/{run_id}/events", owner, 80)
    names = [str(k) for k in statuses]
    out["streams_80_one_client"] = {k: names.count(k) for k in sorted(set(names))}
    for round_ in range(3):
        out[f"page_while_held_{round_}"] = timed_get(url + "/")
        out[f"healthz_while_held_{round_}"] = timed_get(url + "/healthz")
    for r in held:
        r.close()
    for s in idle:
        s.close()
    minus = requests.get(f"{url}/api/runs/{run_id}/events", headers={"Last-Event-ID": "-1"}, stream=True,
                         timeout=(5, 10))
    out["last_event_id_minus_1"] = minus.status_code
    minus.close()
    requests.post(f"{url}/api/runs/{run_id}/stop", cookies={"kp_client": owner}, timeout=10)
    done = requests.post(url + "/api/runs", json={"epochs": 5, "pace": "max"}, cookies={"kp_client": owner},
                         timeout=30).json()
    for _line in requests.get(f"{url}/api/runs/{done['id']}/events", stream=True, timeout=60).iter_lines():
        pass
    saved = requests.post(url + "/api/saved", json={"run_id": done["id"], "name": "fork me"}, timeout=30).json()
    forks: list = []
    threads = [threading.Thread(target=lambda: forks.append(requests.post(
        f"{url}/api/saved/{saved['id']}/run", cookies={"kp_client": "forker123456"}, timeout=30).status_code))
        for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)
    names = [str(k) for k in forks]
    out["forks_12_one_client"] = {k: names.count(k) for k in sorted(set(names))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=str(ROOT))
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.conftest import LiveServer

    tmp = Path(f"/tmp/kp-hostile-{int(time.time())}")
    tmp.mkdir(parents=True)
    import tests.conftest as conftest

    conftest.ROOT = Path(args.root)
    server = LiveServer(tmp, KP_WORKERS="1", KP_RUNS_PER_WORKER="4", KP_QUEUE_SIZE="16",
                        KP_CONNECT_TIMEOUT="600", KP_DISCONNECT_GRACE="600")
    try:
        server.wait_ready()
        result = measure(server.url)
    finally:
        server.stop()
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
