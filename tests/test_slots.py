"""Slots from measured cost (app/runner/slots.py): a training process takes as many runs as it can keep at half
the default pace or better, measured from its own work per epoch, never more than KP_RUNS_PER_WORKER."""

from __future__ import annotations

import pytest

from app.config.parse import parse_config
from app.runner.base import RunnerSettings
from app.runner.embedded import EmbeddedRunner
from app.runner.slots import FLOOR, LEAST, EpochCost, slots_for
from tests.conftest import wait_until


def test_slots_fill_a_share_of_the_core_at_the_default_pace():
    assert slots_for(None, 60, 16) == 16  # not measured yet: what the operator allows
    assert slots_for(0.0008, 60, 32) == 17  # a Day-65 epoch with its frames: 0.85 / (60 × 0.8 ms)
    assert slots_for(0.0025, 60, 32) == 5  # a network three times as costly: a third of the runs
    assert slots_for(0.0001, 60, 24) == 24  # never past KP_RUNS_PER_WORKER
    assert slots_for(0.5, 60, 16) == LEAST  # however slow, a process still takes a couple of runs
    assert slots_for(0.5, 60, 1) == 1  # … unless the operator allows fewer


def test_the_epoch_cost_follows_recent_windows_and_an_idle_process_forgets_it():
    cost = EpochCost()
    assert cost.seconds is None  # nothing measured: every slot is offered
    cost.observe(0.12, 120)
    assert cost.seconds == pytest.approx(0.001)
    for _ in range(30):  # a costly network trains now: the estimate moves to its cost
        cost.observe(0.24, 12)
    assert cost.seconds == pytest.approx(0.02, rel=1e-3)
    for _ in range(10):  # then only cheap runs: the older windows fade
        cost.observe(0.05, 100)
    assert cost.seconds < 0.002
    for _ in range(15):  # idle: the process forgets, and offers every slot again
        cost.observe(0.0, 0)
    assert cost.seconds is None


def test_a_burst_of_starts_over_a_few_epochs_is_no_evidence():
    """A class presses play together: the first window holds a handful of epochs and many first frames (and, on
    Celery, the process's own admissions). Measured from it, a process offered 4 slots, not 32."""
    cost = EpochCost()
    cost.observe(0.04, 6)  # 6.7 ms an epoch, over six epochs
    assert cost.seconds is None and slots_for(cost.seconds, 30, 32) == 32
    cost.observe(0.6, 900)  # the next window: the class trains
    assert cost.seconds == pytest.approx((0.7 * 0.04 + 0.6) / (0.7 * 6 + 900)) and slots_for(cost.seconds, 30, 32) == 32
    heavy = EpochCost()
    for _ in range(2):  # a costly network is evidence within two windows, at a dozen epochs each
        heavy.observe(0.24, 12)
    assert heavy.seconds == pytest.approx(0.02) and slots_for(heavy.seconds, 30, 32) == LEAST


def test_a_process_told_to_keep_fixed_slots_offers_them_all():
    """KP_MEASURED_SLOTS=false: the loop reports KP_RUNS_PER_WORKER whatever an epoch costs."""
    from app.runner.worker import Worker

    class Out:
        sent: list = []

        def send(self, message):
            self.sent.append(message)

    class Cache:
        def has(self, config):
            return True

        def adopt(self, config, compiled):
            pass

        def __len__(self):
            return 1

    for measured, slots in ((True, LEAST), (False, 8)):
        out = Out()
        out.sent = []
        worker = Worker(0, None, out, Cache(), object(), {"slots": 8, "measured_slots": measured})
        worker.cpu, worker.epochs = 0.9, 30  # 30 ms of CPU an epoch: two runs fill half the default pace
        worker._report(worker.window_start + 1.0)
        assert out.sent[-1][1]["slots"] == slots


HEAVY = {"hidden_layers": [8] * 6, "batch_size": 1, "n_samples": 5000, "train_ratio": 90, "pace": "max",
         "epochs": 50_000}  # 4,500 steps of a 6 × 8 network per epoch: 13-25 ms of CPU, past 0.85 / 30 / 3
LIGHT = {"epochs": 50_000, "pace": 1}


def test_a_costly_network_makes_its_process_take_fewer_runs_and_queue_the_rest():
    runner = EmbeddedRunner(RunnerSettings(workers=1, runs_per_worker=8, queue_size=4, run_max_seconds=120,
                                           worker_max_runs=1000, connect_timeout=60, disconnect_grace=60))
    try:
        wait_until(lambda: all(w["ready"] for w in runner.health()["workers"]), 120, 0.2, "a warm worker")
        assert runner.health()["workers"][0].get("slots", 8) == 8  # idle: nothing measured, the operator's 8
        heavy = runner.submit(parse_config(HEAVY))["id"]

        def measured():
            (worker,) = runner.health()["workers"]
            return worker if worker.get("epoch_ms") and worker.get("slots") == LEAST else None

        worker = wait_until(measured, 120, 0.2, "the worker's measured cost per epoch")
        assert worker["epoch_ms"] > 0.85 / (FLOOR * 60) / (LEAST + 1) * 1000  # a third run would not fit
        assert runner.health()["runs"]["capacity"] == LEAST
        second = runner.submit(parse_config(LIGHT))
        third = runner.submit(parse_config(LIGHT))
        assert second["state"] != "queued"  # within the measured slots
        assert third["state"] == "queued"  # 2 of the 8 allowed runs fill the measured slots
        for run_id in (heavy, second["id"], third["id"]):
            runner.control(run_id, "stop")
    finally:
        runner.shutdown()
