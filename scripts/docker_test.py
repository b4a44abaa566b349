"""`make docker-test`: build the real image, run it, run the compose stack, train through both, clean up.

Steps (each an assertion; the first failure stops the test with its reason, and cleanup runs whatever happens):
1. Docker tools and a daemon (started here when none answers); the Debian base, made locally when Docker Hub cannot
   be reached, and a local stand-in tagged as the compose file's Redis image.
2. The image, built as the README says; its size and build time go to bench/results/docker.json.
3. One container on a loopback port: HEALTHCHECK healthy, one training run POSTed and its event stream read to
   `done` from outside, every process inside running as uid 10001.
4. The compose stack (web + Celery worker + Redis): up, one run end to end through Celery, the worker container
   killed mid-run gives the learner an `error` event, `down -v`.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.docker_env import (  # noqa: E402
    COMPOSE,
    Created,
    build_image,
    docker,
    ensure_daemon,
    ensure_debian_base,
    ensure_redis_image,
    ensure_tools,
    log,
    run,
)
from tests.sse_client import events  # noqa: E402

TAG = "keras-playground:docker-test"
PROJECT = "kpdockertest"
APP_UID = "10001"
RESULTS = ROOT / "bench" / "results" / "docker.json"
# A quick run (seconds) and a long paced one that is still training when its worker is killed.
QUICK = {"dataset": "xor", "hidden_layers": [4], "epochs": 30, "pace": "max"}
LONG = {"dataset": "spiral", "hidden_layers": [8, 8], "epochs": 50_000, "pace": 10}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def health_status(container: str) -> str:
    result = docker("inspect", "-f", "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
                    container, check=False, timeout=60)
    state = result.stdout.strip()
    if state.startswith(("exited", "dead")):
        raise AssertionError(f"{container} stopped: {docker('logs', '--tail', '40', container, check=False).stderr}")
    return state


def wait_healthy(container: str, timeout: float = 300) -> float:
    """Seconds until Docker's HEALTHCHECK reports the container healthy."""
    start = time.monotonic()
    wait_until(lambda: health_status(container).endswith(" healthy"), timeout, f"{container} to be healthy", 2)
    return time.monotonic() - start


def wait_ready(url: str, timeout: float = 300) -> None:
    """Until /healthz says a training worker is ready (both backends report `state: ok` then)."""
    def ready() -> bool:
        try:
            return requests.get(url + "/healthz", timeout=10).json().get("state") == "ok"
        except (requests.RequestException, ValueError):
            return False

    wait_until(ready, timeout, "a ready training worker", 2)


def start_run(url: str, settings: dict) -> dict:
    response = requests.post(url + "/api/runs", json=settings, timeout=30)
    assert response.status_code == 201, f"POST /api/runs: {response.status_code} {response.text}"
    return response.json()


def run_to_done(url: str, settings: dict = QUICK, deadline: float = 300) -> dict:
    """POST a run and read its event stream to `done`; returns the `done` data."""
    started = time.monotonic()
    run_info = start_run(url, settings)
    received = list(events(url + run_info["events_url"], timeout=120, deadline=deadline))
    names = [e["event"] for e in received]
    assert names and names[-1] == "done", f"the stream ended with {names[-3:]}: {received[-1:]}"
    assert "frame" in names, f"no frame before done: {names}"
    done = received[-1]["data"]
    assert done["reason"] == "finished" and done["epochs"] == settings["epochs"], done
    done["seconds"] = round(time.monotonic() - started, 2)
    return done


def process_uids(container: str) -> set[str]:
    """The real uid of every process in the container (/proc: the slim image has no ps)."""
    out = docker("exec", container, "sh", "-c", "cat /proc/[0-9]*/status 2>/dev/null", timeout=60).stdout
    return {line.split()[1] for line in out.splitlines() if line.startswith("Uid:")}


def check_single_container(created: Created, figures: dict) -> None:
    port = free_port()
    name = f"{PROJECT}-web"
    created.containers.append(name)
    docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8000", TAG, timeout=120)
    figures["healthy_after_s"] = round(wait_healthy(name), 1)
    log(f"container healthy after {figures['healthy_after_s']} s; training one run through the API")
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    done = run_to_done(url)
    figures["first_run_s"] = done["seconds"]
    uids = process_uids(name)
    assert uids == {APP_UID}, f"processes run as uids {uids}, expected only {APP_UID}"
    assert len(requests.get(url + "/healthz", timeout=10).json()["workers"]) >= 1
    log(f"run finished in {done['seconds']} s; all processes run as uid {APP_UID}")
    docker("stop", "-t", "20", name, timeout=300)  # removed at cleanup: a vfs removal takes minutes


COMPOSE_COMMAND = [COMPOSE, "-p", PROJECT, "-f", str(ROOT / "docker-compose.yml")]


def compose_container(env: dict, service: str) -> str:
    out = run(*COMPOSE_COMMAND, "ps", "-q", service, env=env, timeout=120).stdout.split()
    assert out, f"no container for the compose service {service}"
    return out[0]


def check_compose_stack(created: Created, figures: dict, redis_image: str) -> None:
    port = free_port()
    env = {**os.environ, "KP_IMAGE": TAG, "KP_PORT": str(port), "KP_BIND": "127.0.0.1",
           "KP_REDIS_IMAGE": redis_image, "KP_CONCURRENCY": "1"}
    command = COMPOSE_COMMAND
    created.compose.append((command, env))
    run(*command, "up", "-d", "--no-build", env=env, timeout=600)
    web = compose_container(env, "web")
    figures["compose_healthy_after_s"] = round(wait_healthy(web), 1)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    log(f"compose web healthy after {figures['compose_healthy_after_s']} s; one run through Celery")
    done = run_to_done(url, deadline=600)
    figures["compose_first_run_s"] = done["seconds"]
    log(f"Celery run finished in {done['seconds']} s; killing the worker container mid-run")

    run_info = start_run(url, LONG)
    stream = events(url + run_info["events_url"], timeout=120, deadline=300)
    first = next(e for e in stream if e["event"] == "frame")
    assert first["data"]["epoch"] >= 1
    worker = compose_container(env, "worker")
    killed_at = time.monotonic()
    docker("kill", "--signal", "KILL", worker, timeout=60)
    ending = next(e for e in stream if e["event"] in ("error", "done"))
    stream.close()
    assert ending["event"] == "error", f"a killed worker ended the run with {ending}"
    figures["error_after_kill_s"] = round(time.monotonic() - killed_at, 1)
    state = requests.get(f"{url}/api/runs/{run_info['id']}", timeout=10).json()["state"]
    assert state == "error", f"the killed run's state is {state}, not error"
    log(f"error event {figures['error_after_kill_s']} s after the kill: {ending['data']}")
    run(*command, "down", "-v", "--remove-orphans", env=env, timeout=300)
    created.compose.remove((command, env))


def write_results(figures: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    log(f"figures in {RESULTS.relative_to(ROOT)}: {figures}")


def main() -> int:
    created = Created()
    figures: dict = {"measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cores": os.cpu_count()}
    redis_image = re.search(r"KP_REDIS_IMAGE:-([^}]+)}", (ROOT / "docker-compose.yml").read_text()).group(1)
    try:
        ensure_tools()
        ensure_daemon(created)
        figures["storage_driver"] = docker("info", "-f", "{{.Driver}}", timeout=60).stdout.strip()
        ensure_debian_base(created)
        ensure_redis_image(redis_image, created)
        log(f"building {TAG}")
        figures["build_s"] = round(build_image(TAG, ROOT, created), 1)
        size = int(docker("image", "inspect", "-f", "{{.Size}}", TAG, timeout=60).stdout)
        figures["image_mb"] = round(size / 1e6)
        log(f"built in {figures['build_s']} s, {figures['image_mb']} MB")
        check_single_container(created, figures)
        check_compose_stack(created, figures, redis_image)
        write_results(figures)
        log("all Docker checks passed")
        return 0
    except (AssertionError, RuntimeError, subprocess.TimeoutExpired, requests.RequestException) as failure:
        log(f"FAILED: {failure}")
        for command, env in created.compose:
            print(run(*command, "logs", "--tail", "60", env=env, check=False, timeout=120).stdout)
        return 1
    finally:
        log("removing what this test created")
        created.cleanup()


if __name__ == "__main__":
    sys.exit(main())
