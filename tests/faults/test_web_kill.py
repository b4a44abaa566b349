"""The web process killed under streams on the embedded backend, as the deploy runs it (gunicorn.conf.py).

The embedded default is one gunicorn master with one worker process, which holds the training pool. SIGKILL that
worker while learners stream: the master starts a new one on the same port, the training processes of the dead one
exit (EOF on their pipes), and each page's EventSource reconnects with Last-Event-ID. The new process knows none of
the old runs, so a reconnecting page hears `error {reason: "lost"}` telling the learner to press play; a run that
had sent nothing yet has no Last-Event-ID, and its page gets a 404 (counted, not failed). Then the learners' next
runs train on the new pool.
"""

from __future__ import annotations

import json
import signal
import time

import psutil
import pytest
import requests

from tests.conftest import LiveServer, wait_until
from tests.faults.learners import LEARNERS, QUEUE, SLOTS, SMALL, Learners, check_outcomes, follow_stream

pytestmark = pytest.mark.drill  # deselected from `pytest`; `make faults` (run by `make test`) runs it
WARM_WITHIN = 240  # seconds for a gunicorn worker to warm its training pool on a loaded 2-core machine


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("webkill"), KP_WORKERS="1", KP_RUNS_PER_WORKER=str(SLOTS),
                        KP_MEASURED_SLOTS="false",
                        KP_QUEUE_SIZE=str(QUEUE), KP_RUNS_PER_CLIENT="0",
                        KP_STREAMS_PER_CLIENT="0", KP_RATE_LIMIT="100000 per minute",
                        KP_CONNECT_TIMEOUT="60", KP_DISCONNECT_GRACE="15")
    try:
        server.wait_ready(WARM_WITHIN)
        yield server
    finally:
        server.stop()


def start(web: LiveServer) -> str | None:
    """A learner presses play; None when refused (429, 503) or the server does not answer."""
    response = requests.post(web.url + "/api/runs", json=SMALL, timeout=10)
    return response.json()["id"] if response.status_code == 201 else None


def follow(web: LiveServer, run_id: str, timeout: float = 90) -> tuple[str, dict]:
    return follow_stream([web.url], run_id, timeout)


def web_worker(web: LiveServer) -> psutil.Process:
    """gunicorn's worker process: the one child of the master that serves requests and holds the pool."""
    [worker] = [p for p in psutil.Process(web.process.pid).children() if "gunicorn" in " ".join(p.cmdline())]
    return worker


def test_a_killed_web_process_tells_its_learners_and_comes_back(web):
    old = web_worker(web)
    trainers = [psutil.Process(pid) for pid in web.worker_pids()]
    with Learners(LEARNERS, lambda: start(web), lambda run_id: follow(web, run_id)) as learners:
        wait_until(lambda: (h := web.health()) and h["runs"]["active"] >= 2 and learners.ended_since(0) >= 2,
                   120, 0.2, "runs training and streams open")
        fault_at = time.monotonic()
        old.send_signal(signal.SIGKILL)
        # The learners' next runs wait for the new pool to warm: the 30 s bound is for the runs the fault hit.
        report = check_outcomes(learners, fault_at, figures := {}, forgotten_before=time.monotonic(),
                                settle=WARM_WITHIN)
    lost = [o for o in learners.outcomes if o.submitted < fault_at and o.event == "error"]
    assert lost and all(o.data["reason"] == "lost" for o in lost), [(o.event, o.data) for o in lost]
    assert all(o.event in ("done", "error", "404") for o in learners.outcomes), report
    gone = wait_until(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in trainers),
                      30, 0.2, "the dead process's training processes to exit")
    assert gone
    assert web_worker(web).pid != old.pid
    web.wait_ready(WARM_WITHIN)
    figures["capacity_back_s"] = round(time.monotonic() - fault_at, 1)
    after = start(web)
    assert after is not None and follow(web, after)[0] == "done"  # the new pool trains
    print("\nweb process killed (embedded):", json.dumps(figures))
