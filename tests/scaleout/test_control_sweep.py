"""A Celery process reads its runs' control lists at most every CONTROL_EVERY s, not every epoch.

Read every loop turn, the reads took a fifth of a busy process's loop and most of Redis' CPU under a class of 30
(docs/performance.md). What must hold: a control still arrives (a moment later), a new run handed over by a task
is taken at once whatever the sweep's rhythm, and a tight loop's polls do not each cost a round trip.
"""

from __future__ import annotations

import json
import queue
import time

import pytest

from app.runner import redis_state
from app.runner.celery_worker import CONTROL_EVERY, ProcessControl
from app.runner.redis_state import RedisState
from tests.conftest import wait_until

RUNS = ["sweep-a", "sweep-b", "sweep-c"]


@pytest.fixture()
def control(redis_server):
    pipe = ProcessControl(RedisState(redis_state.connect(redis_server.url)), queue.SimpleQueue())
    pipe.started.update(RUNS)  # three runs train in this process
    return pipe


def push(pipe: ProcessControl, run_id: str, action: str, args: dict | None = None) -> None:
    pipe.r.rpush(redis_state.ctrl_key(run_id), json.dumps([action, args or {}]))


def lpops(pipe: ProcessControl) -> int:
    stats = pipe.r.info("commandstats").get("cmdstat_lpop") or {}
    return int(stats.get("calls", 0))


def test_a_control_arrives_after_the_sweep_and_a_new_run_at_once(control):
    assert control.poll(0) is False  # the first sweep: nothing there
    push(control, "sweep-b", "pause")
    control.swept_at = time.monotonic()  # as if read this instant (a real gap could outlast CONTROL_EVERY)
    assert control.poll(0) is False  # read moments ago: not read again yet
    message = wait_until(lambda: control.poll(0) and control.recv(), 5, 0.005, "the pause to arrive")
    assert message == ("control", "sweep-b", "pause", {})
    control.inbox.put(("start", "sweep-d", {"epochs": 10}, {}))
    control.swept_at = time.monotonic()
    assert control.poll(0) is True  # between sweeps, a new run is not held back
    assert control.recv()[:2] == ("start", "sweep-d") and "sweep-d" in control.started


def test_a_tight_loop_sweeps_at_most_every_control_every(control):
    before, began = lpops(control), time.monotonic()
    polls = 0
    while time.monotonic() - began < 10 * CONTROL_EVERY:  # a busy loop: one poll per epoch, ~2,000 a second
        control.poll(0)
        polls += 1
    sweeps = (lpops(control) - before) / len(RUNS)
    assert polls > 5 * sweeps  # most polls cost no round trip
    assert 1 <= sweeps <= (time.monotonic() - began) / CONTROL_EVERY + 1


def test_a_blocked_wait_still_wakes_for_a_control(control):
    """With time to wait (nothing due), the sweep blocks on the lists: a control ends the wait."""
    control.poll(0)
    wait_until(lambda: time.monotonic() - control.swept_at >= CONTROL_EVERY, 1, 0.005, "the next sweep due")
    push(control, "sweep-c", "stop")
    assert control.poll(1.0) is True
    assert control.recv() == ("control", "sweep-c", "stop", {})
