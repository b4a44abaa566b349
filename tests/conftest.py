"""Shared fixtures: the Flask app and client, and a real gunicorn server (`live_server`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def fresh_settings():
    """Each test reads the KP_* settings anew (they are read once per process: app/settings.py)."""
    from app import settings

    settings.reset()
    yield
    settings.reset()


@pytest.fixture
def app(tmp_path):
    from app import create_app, shutdown

    app = create_app({"TESTING": True, "KP_DATABASE_URL": f"sqlite:///{tmp_path}/test.db",
                      "MAX_CONTENT_LENGTH": 64 * 1024})
    yield app
    shutdown(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(autouse=True)
def _stop_task_pool():
    """A test that built a .keras file or ran a lab fold leaves no task process behind (app/runner/tasks.py)."""
    yield
    from app.runner import tasks

    tasks.shutdown_shared()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.1, message: str = "condition"):
    """Poll `predicate` until it returns a truthy value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


class LiveServer:
    """The README's run command (gunicorn -c gunicorn.conf.py wsgi:app) on a free loopback port."""

    def __init__(self, tmp: Path, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), "KP_ACCESS_LOG": "",
                       "KP_DATABASE_URL": f"sqlite:///{tmp}/live.db", "TF_CPP_MIN_LOG_LEVEL": "3",
                       "KP_UPLOAD_DIR": str(tmp / "uploads"), **env}
        self.log = open(tmp / f"gunicorn-{self.port}.log", "w")
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                                        env=environment, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def health(self) -> dict | None:
        try:
            return requests.get(self.url + "/healthz", timeout=5).json()
        except (requests.RequestException, ValueError):
            return None

    def wait_ready(self, timeout: float = 240) -> None:
        def ready():
            assert self.process.poll() is None, "gunicorn exited: see " + self.log.name
            h = self.health()
            return h and h["workers"] and all(w["ready"] for w in h["workers"])

        wait_until(ready, timeout, 0.2, "the workers to be warm")

    def worker_pids(self) -> list[int]:
        return [w["pid"] for w in self.health()["workers"]]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.log.close()


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    """A real server with a small pool: 2 workers × 3 runs, a queue of 2 (so 'full' is reachable)."""
    server = LiveServer(tmp_path_factory.mktemp("live"), KP_WORKERS="2", KP_RUNS_PER_WORKER="3",
                        KP_MEASURED_SLOTS="false",  # the tests count slots: 3 however loaded CI is
                        KP_QUEUE_SIZE="2", KP_WORKER_MAX_RUNS="1000",
                        KP_RUNS_PER_CLIENT="0", KP_RATE_LIMIT="100000 per minute",  # tests share one address
                        KP_STREAMS_PER_CLIENT="0")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def live_server(live) -> str:
    """The base URL of the live server (used by the browser tests)."""
    return live.url



def pytest_collection_modifyitems(config, items):
    """In make test's xdist processes, heaviest units first (tests/xdist_plan.py); a plain run keeps file order."""
    if not hasattr(config, "workerinput"):  # only xdist's worker processes have it
        return
    from tests.xdist_plan import heaviest_first, unit_of

    units = [unit_of(item.nodeid) for item in items]
    items[:] = [items[i] for i in heaviest_first(units)]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` with the scale-out files as one unit (one cohort), from tests/xdist_plan.py."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.xdist_plan import scheduler

    return scheduler(config, log)
