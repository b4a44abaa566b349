"""The embedded runner driven directly (no HTTP), with real spawned training workers.

Covers what the HTTP tests (tests/stream/) do not reach cheaply: queue positions, pace,
control latency, wall-time budget, divergence, abandoned runs, a failing run beside a
healthy one, worker recycling and a clean shutdown.
"""

from __future__ import annotations

import json
import multiprocessing
import statistics
import time

import psutil
import pytest

from app.config.parse import parse_config
from app.runner.base import RunFull, RunnerSettings
from app.runner.embedded import EmbeddedRunner
from app.runner.spawn import TRAINING_NICE
from tests.conftest import wait_until

ALL = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
LONG = {"epochs": 50_000, "pace": 20}


def settings(**overrides) -> RunnerSettings:
    base = dict(workers=1, runs_per_worker=2, queue_size=1, run_max_seconds=60, worker_max_runs=1000,
                connect_timeout=60, disconnect_grace=60)
    return RunnerSettings(**{**base, **overrides})


@pytest.fixture(scope="module")
def runner():
    runner = EmbeddedRunner(settings())
    wait_until(lambda: all(w["ready"] for w in runner.health()["workers"]), 120, 0.2, "a warm worker")
    yield runner
    runner.shutdown()
    assert not multiprocessing.active_children()


def submit(runner, **config) -> str:
    return runner.submit(parse_config(config))["id"]


class Reader:
    """The events of one run as (name, data) pairs, read with a deadline (heartbeats never end a wait)."""

    def __init__(self, runner, run_id: str, last_event_id: int | None = None):
        self.events = runner.events(run_id, last_event_id)

    def next(self, *names: str, timeout: float = 30, where=lambda data: True) -> tuple[str, dict]:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if time.monotonic() > deadline:
                break
            if event is not None and (not names or event.name in names):
                data = json.loads(event.data)
                if where(data):
                    return event.name, data
        raise AssertionError(f"no {names or 'event'} within {timeout} s")

    def close(self) -> None:
        self.events.close()


def test_training_processes_yield_the_cores_to_the_web_process(runner):
    """Epochs are the elastic load: a saturated machine still answers streams and controls at once."""
    web = psutil.Process().nice()
    assert [psutil.Process(w["pid"]).nice() for w in runner.health()["workers"]] == [min(19, web + TRAINING_NICE)]


def test_queue_positions_then_429_then_the_queued_run_starts(runner):
    first, second = submit(runner, **LONG), submit(runner, **LONG)
    queued = runner.submit(parse_config(LONG))
    try:
        assert queued["state"] == "queued"
        assert Reader(runner, queued["id"]).next("queued")[1] == {"position": 1}
        with pytest.raises(RunFull) as full:
            submit(runner, **LONG)
        assert full.value.retry_after > 0
        runner.control(first, "stop")
        reader = Reader(runner, queued["id"])
        assert reader.next("started")[1]["epoch"] == 0
        reader.close()
    finally:
        for run_id in (first, second, queued["id"]):
            runner.control(run_id, "stop")
    wait_until(lambda: runner.health()["runs"]["active"] == 0, 10, message="free slots")


def test_a_run_created_to_step_trains_exactly_one_epoch_then_waits(runner):
    run_id = runner.submit(parse_config({"epochs": 50_000, "pace": "max"}), start="step")["id"]
    reader = Reader(runner, run_id)
    assert reader.next("started")[1]["epoch"] == 0
    assert reader.next("state")[1] == {"state": "paused", "epoch": 0}  # before its first epoch
    assert reader.next("frame")[1]["epoch"] == 1
    runner.control(run_id, "step")
    assert reader.next("frame")[1]["epoch"] == 2  # a running run at max pace would be far ahead
    runner.control(run_id, "stop")
    reader.close()


def test_a_paced_run_keeps_its_pace(runner):
    run_id = submit(runner, pace=40, epochs=50_000)
    reader = Reader(runner, run_id)
    _, first = reader.next("frame")
    start = time.monotonic()
    _, later = reader.next("frame", where=lambda f: f["epoch"] >= first["epoch"] + 80)
    rate = (later["epoch"] - first["epoch"]) / (time.monotonic() - start)
    runner.control(run_id, "stop")
    reader.close()
    assert 25 <= rate <= 55, rate


def test_controls_take_effect_within_100_ms(runner):
    run_id = submit(runner, **LONG)
    reader = Reader(runner, run_id)
    reader.next("frame")
    delays = []
    for action, state in [("pause", "paused"), ("resume", "running")] * 3:
        sent = time.monotonic()
        runner.control(run_id, action)
        reader.next("state", where=lambda d, s=state: d["state"] == s)
        delays.append(time.monotonic() - sent)
    runner.control(run_id, "stop")
    assert reader.next("done")[1]["reason"] == "stopped"
    assert statistics.median(delays) < 0.1, delays


def test_step_trains_exactly_one_epoch_and_set_changes_the_learning_rate(runner):
    run_id = submit(runner, **LONG)
    reader = Reader(runner, run_id)
    reader.next("frame")
    runner.control(run_id, "pause")
    _, paused = reader.next("state")
    assert runner.status(run_id)["epoch"] == paused["epoch"]  # its frame came before the state event
    runner.control(run_id, "set", {"learning_rate": 0.3})
    runner.control(run_id, "step")
    _, frame = reader.next("frame")
    assert frame["epoch"] == paused["epoch"] + 1 and frame["learning_rate"] == 0.3
    runner.control(run_id, "stop")
    reader.close()


def test_budget_ends_a_run_with_reason_budget():
    runner = EmbeddedRunner(settings(run_max_seconds=2))
    try:
        reader = Reader(runner, submit(runner, **LONG))
        _, done = reader.next("done", timeout=60)
        assert done["reason"] == "budget" and done["epochs"] > 0
    finally:
        runner.shutdown()


def test_divergence_shows_the_last_frame_then_a_clear_error(runner):
    run_id = submit(runner, problem="regression", dataset="plane", features=ALL, hidden_layers=[8],
                    activation="relu", learning_rate=10, epochs=500, pace="max")
    reader = Reader(runner, run_id)
    names = []
    while not names or names[-1][0] not in ("done", "error"):
        names.append(reader.next(timeout=60))
    assert names[-1][0] == "error" and names[-2][0] == "frame"
    assert names[-1][1]["reason"] == "diverged" and "smaller learning rate" in names[-1][1]["message"]


def test_a_failing_run_does_not_disturb_the_others(runner):
    healthy = submit(runner, epochs=200, pace="max")
    broken = runner.submit(parse_config({"epochs": 50}), weights=[{"shape": [3], "data": "bm90IHdlaWdodHM="}])
    _, error = Reader(runner, broken["id"]).next("error", "done")
    assert error["reason"] == "internal"
    _, done = Reader(runner, healthy).next("done", "error")
    assert done["reason"] == "finished" and done["epochs"] == 200


def test_a_run_nobody_watches_is_stopped():
    runner = EmbeddedRunner(settings(connect_timeout=1.0, disconnect_grace=0.5))
    try:
        never = submit(runner, **LONG)
        left = submit(runner, **LONG)
        reader = Reader(runner, left)
        reader.next("frame", timeout=60)
        reader.close()  # the learner closed the tab
        for run_id in (never, left):
            wait_until(lambda r=run_id: runner.status(r)["state"] == "done", 30, message="the run to stop")
            assert runner.status(run_id)["summary"]["reason"] == "stopped"
    finally:
        runner.shutdown()


def test_a_worn_worker_is_replaced_by_a_warm_one_and_exits():
    runner = EmbeddedRunner(settings(worker_max_runs=2))
    try:
        old = runner.health()["workers"][0]["pid"]
        for _ in range(2):
            assert Reader(runner, submit(runner, epochs=5, pace="max")).next("done", timeout=60)[1]["epochs"] == 5
        wait_until(lambda: [w["pid"] for w in runner.health()["workers"]] not in ([], [old])
                   and all(w["ready"] for w in runner.health()["workers"]), 120, 0.2, "a fresh warm worker")
        wait_until(lambda: not psutil.pid_exists(old) or psutil.Process(old).status() == psutil.STATUS_ZOMBIE, 30,
                   message="the worn worker to exit")
        assert Reader(runner, submit(runner, epochs=5, pace="max")).next("done")[1]["reason"] == "finished"
        pids = [w["pid"] for w in runner.health()["workers"]]
    finally:
        runner.shutdown()
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in pids)


def test_shutdown_stops_runs_and_every_process():
    runner = EmbeddedRunner(settings())
    pids = [w["pid"] for w in runner.health()["workers"]]
    wait_until(lambda: all(w["ready"] for w in runner.health()["workers"]), 120, 0.2, "a warm worker")
    reader = Reader(runner, submit(runner, **LONG))
    reader.next("frame", timeout=60)
    runner.shutdown()
    assert reader.next("done")[1]["reason"] == "stopped"
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in pids)
