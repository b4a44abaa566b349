"""Faults on the embedded backend, with real spawned training processes and a class of learners.

Each test keeps a class of learners pressing play on the smallest pool that shows the fault (2 workers x 2 slots,
a queue of 2: every slot busy, a few runs queued), kills a training process at a chosen moment, then checks
issue 25's promise: every run ends with done or error within 30 s, each error says what to do, nothing stays
queued or running, the pool is back to full capacity.
"""

from __future__ import annotations

import json
import os
import signal
import time

import psutil
import pytest

from app.config.parse import parse_config
from app.runner.base import RunFull, RunnerSettings
from app.runner.embedded import EmbeddedRunner
from tests.conftest import wait_until
from tests.faults.learners import (
    BUSY,
    LEARNERS,
    LONG,
    QUEUE,
    SLOTS,
    SMALL,
    WORKERS,
    Learners,
    check_outcomes,
)

pytestmark = pytest.mark.drill  # deselected from `pytest`; `make faults` (run by `make test`) runs them
FIGURES: dict[str, dict] = {}


@pytest.fixture(scope="module")
def runner():
    settings = RunnerSettings(workers=WORKERS, runs_per_worker=SLOTS, queue_size=QUEUE, measured_slots=False,
                              worker_max_runs=10_000, connect_timeout=60, disconnect_grace=60)
    runner = EmbeddedRunner(settings)
    wait_until(lambda: full(runner), 300, 0.2, "two warm workers")
    yield runner
    runner.shutdown()
    print("\nembedded fault figures:", json.dumps(FIGURES, indent=1))


def full(runner) -> bool:
    """Full capacity: every worker warm (the common networks compiled: a replacement that compiles while it
    trains would stall its other runs for seconds on a loaded machine)."""
    workers = runner.health()["workers"]
    return len(workers) == WORKERS and all(w["ready"] for w in workers)


def class_of(runner, count: int = LEARNERS, **config):
    def start() -> str | None:
        try:
            return runner.submit(parse_config({**SMALL, **config}))["id"]
        except RunFull:
            return None

    return Learners(count, start, lambda run_id: follow(runner, run_id))


def follow(runner, run_id: str, timeout: float = 90) -> tuple[str, dict]:
    """The terminal event of a run, read as a learner's page reads it."""
    deadline = time.monotonic() + timeout
    for event in runner.events(run_id):
        if event is not None and event.name in ("done", "error"):
            return event.name, json.loads(event.data)
        if time.monotonic() > deadline:
            break
    return "none", {}


def busy(runner) -> bool:
    runs = runner.health()["runs"]
    return runs["active"] >= BUSY


def recovered(runner, learners, fault_at: float, name: str) -> dict:
    """Issue 25's checks after a fault, and its figures."""
    FIGURES[name] = figures = {}
    report = check_outcomes(learners, fault_at, figures)
    wait_until(lambda: full(runner), 300, 0.2, "the pool back to two warm workers")
    report["capacity_back_s"] = figures["capacity_back_s"] = round(time.monotonic() - fault_at, 1)
    runs = runner.health()["runs"]
    assert runs["active"] == 0 and runs["queued"] == 0, runs
    return report


def worker_pid(runner, run_id: str) -> int:
    index = runner.status(run_id)["worker"]
    return next(w["pid"] for w in runner.health()["workers"] if w["index"] == index)


def starting_on(runner, learners, index: int) -> set[str]:
    """The learners' runs given to worker `index` that it has not started."""
    return {o.run_id for o in learners.outcomes if o.ended is None and
            (st := runner.status(o.run_id))["state"] == "starting" and st["worker"] == index}


def test_a_worker_killed_before_it_picks_its_runs_loses_none(runner):
    """Runs given to a worker that never started them go to the other worker: they end done, not error."""
    with class_of(runner) as learners:
        wait_until(lambda: busy(runner), 60, 0.1, "a busy pool")
        for _ in range(20):
            handle = wait_until(lambda: next((w for w in runner._snapshot() if w.ready and
                                              starting_on(runner, learners, w.id)), None), 60, 0.05,
                                "a worker with runs it has not started")
            os.kill(handle.pid, signal.SIGSTOP)  # it reads nothing more
            wait_until(lambda h=handle: time.monotonic() - h.last_seen > 0.5, 10, 0.05, "its last words read")
            held = starting_on(runner, learners, handle.id)
            if held:
                break
            os.kill(handle.pid, signal.SIGCONT)  # it started them just before: try again
        else:
            pytest.fail("never caught a worker holding runs it had not started")
        fault_at = time.monotonic()
        os.kill(handle.pid, signal.SIGKILL)
        report = recovered(runner, learners, fault_at, "worker killed before it picks runs")
    resent = [o for o in learners.outcomes if o.run_id in held]
    assert resent and all(o.event == "done" for o in resent), [(o.run_id, o.event, o.data) for o in resent]
    assert report["done"] > report["errors"]


def test_a_worker_killed_mid_run_errors_its_runs_at_once(runner):
    with class_of(runner, count=LEARNERS - 1) as learners:  # the long run takes the last learner's place
        wait_until(lambda: busy(runner), 60, 0.1, "a busy pool")
        victim = runner.submit(parse_config(LONG))["id"]
        wait_until(lambda: runner.status(victim)["state"] == "running", 60, 0.05, "the long run to train")
        pid = worker_pid(runner, victim)
        fault_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        ending = follow(runner, victim)
        ended_after = time.monotonic() - fault_at
        report = recovered(runner, learners, fault_at, "worker killed mid-run")
    FIGURES["worker killed mid-run"]["long_run_error_s"] = round(ended_after, 1)
    assert ending[0] == "error" and ending[1]["reason"] == "worker_died", ending
    assert "press play" in ending[1]["message"].lower(), ending
    assert ended_after < 3, f"the learner waited {ended_after:.1f} s for the error"
    assert report["seconds_to_message_max"] is None or report["seconds_to_message_max"] < 5, report


def test_a_worker_killed_while_it_compiles_a_new_network_loses_no_run(runner):
    """The run whose network was being compiled (never trained) is re-sent once and ends done."""
    with class_of(runner, count=1) as learners:  # one worker stays free: the new network goes to it
        wait_until(lambda: runner.health()["runs"]["active"] >= 1, 60, 0.1, "a busy pool")
        seen = []
        # A small network no worker has compiled yet: its compilation in the survivor, after the re-send, holds up
        # the survivor's other runs for that long (a compilation runs in the worker's loop: docs/operations.md).
        for width in (3, 5, 6, 7):
            run_id = runner.submit(parse_config({**SMALL, "hidden_layers": [width, width]}))["id"]
            index = runner.status(run_id)["worker"]
            handle = next((w for w in runner._snapshot() if w.id == index), None)
            if handle is None:
                seen.append((width, "queued"))
                runner.control(run_id, "stop")
                continue
            process = psutil.Process(handle.pid)
            before = sum(process.cpu_times()[:2])
            wait_until(lambda p=process, b=before: sum(p.cpu_times()[:2]) - b > 0.05, 30, 0.02,
                       "the worker to work on the new network")
            os.kill(handle.pid, signal.SIGSTOP)  # hold it where it is, then look
            wait_until(lambda h=handle: time.monotonic() - h.last_seen > 0.5, 10, 0.05, "its last words read")
            seen.append((width, runner.status(run_id)["state"]))
            if seen[-1][1] == "starting":
                break
            os.kill(handle.pid, signal.SIGCONT)
            runner.control(run_id, "stop")  # it compiled too fast to catch: try another
        else:
            pytest.fail(f"no new network was caught compiling: {seen}")
        fault_at = time.monotonic()
        os.kill(handle.pid, signal.SIGKILL)
        ending = follow(runner, run_id)
        recovered(runner, learners, fault_at, "worker killed while it compiles")
    assert ending[0] == "done", ending


def test_a_reconnect_to_a_run_the_server_forgot_hears_what_to_do(runner):
    """After a restart of the web process the learner's EventSource reconnects with Last-Event-ID: not a 404."""
    events = list(runner.events("not-a-run-any-more", 41))
    assert [e.name for e in events] == ["error"] and events[0].id == 42
    assert "press play" in json.loads(events[0].data)["message"].lower()
