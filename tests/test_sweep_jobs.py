"""The sweep scheduler driven directly with a fake runner: slots, the learners' reserve, cancel, curves."""

from __future__ import annotations

import json
import threading
import time

import pytest

from app.runner.base import Event, RunFull, RunnerSettings
from app.sweeps.jobs import SweepManager, SweepSettings
from app.sweeps.plan import SweepSpec, expand
from app.sweeps.state import MAX_CURVE_POINTS, Curve
from tests.conftest import wait_until


class FakeRunner:
    """Runs that end when the test releases them; health reports what the test sets."""

    def __init__(self, capacity: int = 8) -> None:
        self.settings = RunnerSettings(workers=2, runs_per_worker=capacity // 2, heartbeat=0.05)
        self.capacity = capacity
        self.learners = 0  # active runs that are not the sweep's
        self.queued = 0
        self.full = False
        self.runs: dict[str, threading.Event] = {}
        self.stopped: set[str] = set()
        self.ended: set[str] = set()
        self.lock = threading.Lock()
        self.peak = 0  # most sweep runs live at once

    def submit(self, config, weights=None):
        if self.full:
            raise RunFull(1, "full")
        with self.lock:
            run_id = f"r{len(self.runs)}"
            self.runs[run_id] = threading.Event()
            self.peak = max(self.peak, sum(not e.is_set() for e in self.runs.values()))
        return {"id": run_id, "state": "running"}

    def control(self, run_id, action, args=None):
        if action == "stop":
            self.stopped.add(run_id)
            self.runs[run_id].set()
        return {"id": run_id, "state": "done"}

    def events(self, run_id, last_event_id=None):
        release = self.runs[run_id]
        loss = 0.1 * (int(run_id[1:]) + 1)
        history = {"epoch": [1, 2], "train_loss": [loss, loss], "test_loss": [loss, loss]}
        frame = {"epoch": 2, "history": history, "boundary": {"resolution": 2, "data": "AAAA"}}
        yield Event(1, "frame", json.dumps(frame))
        while not release.wait(0.02):
            yield None
        reason = "stopped" if run_id in self.stopped else "finished"
        with self.lock:
            self.ended.add(run_id)
        yield Event(2, "done", json.dumps({"epochs": 2, "train_loss": loss, "test_loss": loss, "reason": reason}))

    def health(self):
        with self.lock:
            active = self.learners + len(self.runs) - len(self.ended)
        return {"runs": {"active": active, "queued": self.queued, "capacity": self.capacity}}

    def live(self) -> list[str]:
        with self.lock:
            return [r for r, e in self.runs.items() if not e.is_set()]


MANAGERS: list[SweepManager] = []


@pytest.fixture(autouse=True)
def _close_managers():
    yield
    while MANAGERS:
        MANAGERS.pop().close()


def make(runner: FakeRunner, values: int, **settings):
    manager = SweepManager(lambda: runner, SweepSettings(**settings))
    MANAGERS.append(manager)
    runs = expand(SweepSpec(params={"learning_rate": [0.01 * (i + 1) for i in range(values)]}))
    return manager, manager.create("1.2.3.4", "grid", ["learning_rate"], runs, {})


def test_at_most_the_slots_run_and_every_point_gets_its_result():
    runner = FakeRunner()
    manager, sweep = make(runner, 5, slots=2)
    wait_until(lambda: len(runner.live()) == 2, 10, 0.02, "two trials running")
    assert sweep.counts()["running"] == 2
    while not sweep.ended:
        for run_id in runner.live():
            runner.runs[run_id].set()
        wait_until(lambda: runner.live() or sweep.ended, 10, 0.02, "the next trials or the end")
    assert runner.peak == 2
    wait_until(lambda: sweep.ended, 10, 0.02, "the sweep to end")
    assert sweep.state == "done" and sweep.counts()["done"] == 5
    rows = sweep.rows()
    assert len(rows) == 5 and all(r["test_loss"] is not None for r in rows) and sum(r["best"] for r in rows) == 1
    trial = sweep.view()["trials"][0]
    assert trial["thumbnail"]["data"] == "AAAA" and trial["curves"]["epoch"] == [1, 2]


def test_no_trial_starts_while_a_learner_waits_or_the_reserve_is_reached():
    runner = FakeRunner(capacity=8)
    runner.queued = 1  # a learner waits for a slot
    manager, sweep = make(runner, 3, slots=4)
    manager._wake.set()
    assert not wait_quietly(lambda: runner.runs, 0.6)
    runner.queued = 0
    runner.learners = 5  # 8 slots, reserve 2 (a quarter): one more run fits
    wait_until(lambda: len(runner.runs) == 1, 10, 0.02, "one trial")
    assert not wait_quietly(lambda: len(runner.runs) > 1, 0.6)
    runner.learners = 0
    wait_until(lambda: len(runner.runs) == 3, 10, 0.02, "the other trials")
    manager.cancel(sweep)


def test_a_full_pool_postpones_a_trial_instead_of_failing_it():
    runner = FakeRunner()
    runner.full = True
    manager, sweep = make(runner, 1, slots=1)
    manager._wake.set()
    assert not wait_quietly(lambda: runner.runs, 0.6)
    assert sweep.counts()["pending"] == 1 and not sweep.ended
    runner.full = False
    wait_until(lambda: runner.live(), 10, 0.02, "the trial to start")
    runner.runs["r0"].set()
    wait_until(lambda: sweep.ended, 10, 0.02, "the sweep to end")
    assert sweep.state == "done"


def test_cancel_stops_running_trials_and_drops_pending_ones():
    runner = FakeRunner()
    manager, sweep = make(runner, 4, slots=2)
    wait_until(lambda: len(runner.live()) == 2, 10, 0.02, "two trials running")
    manager.cancel(sweep)
    wait_until(lambda: sweep.ended, 10, 0.02, "the sweep to end")
    assert sweep.state == "cancelled" and sweep.counts()["cancelled"] == 4
    assert runner.stopped == {"r0", "r1"} and len(runner.runs) == 2
    assert sweep.rows() == []  # cancelled trials are not results
    assert manager.active_for("1.2.3.4") == 0


def test_curve_thins_long_runs_by_halves():
    curve = Curve()
    n = 3 * MAX_CURVE_POINTS
    for start in range(0, n, 100):
        epochs = list(range(start + 1, start + 101))
        curve.extend({"epoch": epochs, "train_loss": [1.0] * 100, "test_loss": [2.0] * 100})
    assert MAX_CURVE_POINTS // 2 <= len(curve.rows["epoch"]) <= MAX_CURVE_POINTS
    steps = {b - a for a, b in zip(curve.rows["epoch"], curve.rows["epoch"][1:], strict=False)}
    assert steps == {curve.stride} and curve.rows["epoch"][0] == 1


def test_settings_from_the_environment_names_a_bad_value():
    assert SweepSettings.from_mapping({"KP_SWEEP_SLOTS": "3"}).slots == 3
    try:
        SweepSettings.from_mapping({"KP_SWEEPS_PER_CLIENT": "many"})
    except ValueError as exc:
        assert "KP_SWEEPS_PER_CLIENT" in str(exc)
    else:
        raise AssertionError("a bad value was accepted")


def wait_quietly(predicate, seconds: float) -> bool:
    """True if `predicate` became true within `seconds` (used to check that something does NOT happen)."""
    try:
        wait_until(predicate, seconds, 0.02)
        return True
    except AssertionError:
        return False


def test_every_follower_sees_done_as_the_last_event():
    from app.sweeps.state import Sweep

    for _ in range(20):
        sweep = Sweep("s", "c", "grid", ["learning_rate"], [], {})
        # Widen the window between "ended" and its `done` event: a follower polling meanwhile must still get it.
        sweep.progress = lambda: time.sleep(0.02) or {}
        names: list[str] = []
        reader = threading.Thread(target=lambda s=sweep, n=names: n.extend(e.name for e in s.follow(0, 0.001) if e))
        reader.start()
        sweep.finish("done")
        reader.join(5)
        assert names and names[-1] == "done"


def test_every_sweep_setting_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "sweep.md").read_text()
    for name in ("KP_SWEEP_SLOTS", "KP_SWEEP_RESERVE", "KP_SWEEPS_PER_CLIENT", "KP_SWEEP_KEEP"):
        assert f"`{name}`" in doc
        assert SweepSettings.from_mapping({name: "1"}) != SweepSettings()  # and each one is read
