"""Scale-out test fixtures: a real redis-server, real Celery worker processes, gunicorn with KP_RUNNER=celery."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from tests.conftest import ROOT, LiveServer, free_port, wait_until


class RedisServer:
    """redis-server on a free loopback port, data in a temp dir, no persistence."""

    def __init__(self, tmp: Path, port: int | None = None, *extra: str) -> None:
        exe = shutil.which("redis-server")
        assert exe, "redis-server is missing: run `make system-deps`"
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = open(tmp / f"redis-{self.port}.log", "a")
        self.process = subprocess.Popen([exe, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(tmp),
                                         "--save", "", "--appendonly", "no", *extra], stdout=self.log,
                                        stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url)
        wait_until(lambda: self._ping(client), 20, 0.1, "redis-server to answer")

    def restart(self, tmp: Path) -> None:
        """Kill redis-server hard and start a new one on the same port: every key is gone (no persistence)."""
        self.process.kill()
        self.process.wait(10)
        self.log.close()
        self.__init__(tmp, self.port)

    @staticmethod
    def _ping(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.log.close()


class CeleryWorker:
    """The contract's worker command: celery -A app.runner.celery_app worker --pool=prefork ..."""

    def __init__(self, tmp: Path, env: dict[str, str], concurrency: int = 2) -> None:
        celery = str(Path(sys.executable).with_name("celery"))
        self.log = open(tmp / f"celery-{free_port()}.log", "w")
        self.process = subprocess.Popen(
            [celery, "-A", "app.runner.celery_app", "worker", "--pool=prefork", f"--concurrency={concurrency}",
             "--max-tasks-per-child=50", "--loglevel=info", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env}, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.log.close()


@pytest.fixture()
def redis_server(tmp_path):
    """A redis-server of this test's own: empty at the start, stopped at the end."""
    server = RedisServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def cohort(tmp_path_factory):
    """redis + 2 Celery training processes + gunicorn (KP_RUNNER=celery) with small limits for the tests."""
    tmp = tmp_path_factory.mktemp("cohort")
    server = RedisServer(tmp)
    env = {"KP_RUNNER": "celery", "KP_REDIS_URL": server.url, "KP_WORKER_TIMEOUT": "3", "KP_QUEUE_SIZE": "2",
           "KP_RUNS_PER_CLIENT": "3", "KP_CONNECT_TIMEOUT": "600", "KP_DISCONNECT_GRACE": "600",
           "KP_RUNS_PER_WORKER": "3", "KP_MEASURED_SLOTS": "false",  # the tests count slots, however loaded
           "KP_STREAMS_PER_CLIENT": "0"}  # the tests share one address (no cookie): no per-client stream cap
    worker = CeleryWorker(tmp, env)
    state = {"worker": worker, "redis": server, "env": env, "tmp": tmp}
    try:
        state["web"] = web = LiveServer(tmp, **env)
        wait_until(lambda: (h := web.health()) and len(h["workers"]) == 2 and all(w["ready"] for w in h["workers"]),
                   180, 0.5, "two warm Celery training processes")
        yield state  # a test may replace state["web"] (restart); the one there at the end is stopped
    finally:
        if "web" in state:
            state["web"].stop()
        worker.stop()
        server.stop()
