"""The Celery monitor's safety net driven directly against a real redis-server (no Celery worker): each decision
of app/runner/rescue.py, step by step, so a fault's outcome does not depend on timing."""

from __future__ import annotations

import json
import time

import pytest
import redis

from app.runner.base import RunnerSettings
from app.runner.redis_state import ACTIVE, QUEUE, RedisState, hb_key, run_key
from app.runner.rescue import Rescue, claim
from tests.scaleout.conftest import RedisServer


class Sent:
    """Stands in for Celery's send_task: the tasks the monitor sent."""

    def __init__(self) -> None:
        self.tasks: list[list] = []

    def send_task(self, name: str, args: list) -> None:
        self.tasks.append(args)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("rescue"))
    yield server
    server.stop()


@pytest.fixture
def rescue(server):
    client = redis.Redis.from_url(server.url, decode_responses=True)
    client.flushdb()
    store = RedisState(client, ttl=600, keep_finished=60)
    return Rescue(store, Sent(), RunnerSettings(queue_stall=10, stall_timeout=60, run_max_seconds=100))


def queue_run(rescue: Rescue, run_id: str = "r1") -> dict[str, str]:
    r = rescue.r
    r.hset(run_key(run_id), mapping={"state": "queued", "epoch": 0, "config": json.dumps({"epochs": 5}),
                                     "options": json.dumps({"paused": False})})
    r.expire(run_key(run_id), 600)
    r.rpush(QUEUE, run_id)
    return r.hgetall(run_key(run_id))


def events(rescue: Rescue, run_id: str = "r1") -> list[tuple[str, dict]]:
    return [(f["n"], json.loads(f["d"])) for _, f in rescue.r.xrange(f"{run_key(run_id)}:events")]


def test_a_run_waiting_with_free_slots_is_resent_once_then_ended_with_what_to_do(rescue):
    info = queue_run(rescue)
    now = time.time()
    rescue.queued("r1", info, free=3, now=now)  # starts the clock
    rescue.queued("r1", rescue.r.hgetall(run_key("r1")), free=3, now=now + 5)
    assert rescue.celery.tasks == []
    rescue.queued("r1", rescue.r.hgetall(run_key("r1")), free=3, now=now + 11)
    assert rescue.celery.tasks == [["r1", {"epochs": 5}, {"paused": False}]]
    rescue.queued("r1", rescue.r.hgetall(run_key("r1")), free=3, now=now + 15)
    assert events(rescue) == []
    rescue.queued("r1", rescue.r.hgetall(run_key("r1")), free=3, now=now + 22)
    [(name, data)] = events(rescue)
    assert name == "error" and data["reason"] == "not_started" and "Press play" in data["message"]
    assert len(rescue.celery.tasks) == 1 and rescue.r.llen(QUEUE) == 0


def test_a_run_queued_behind_a_full_pool_is_never_ended(rescue):
    info = queue_run(rescue)
    now = time.time()
    for t in range(0, 600, 10):
        rescue.queued("r1", rescue.r.hgetall(run_key("r1")) or info, free=0, now=now + t)
    assert rescue.celery.tasks == [] and events(rescue) == []
    assert rescue.r.hget(run_key("r1"), "state") == "queued"


def test_one_claim_wins_and_a_second_task_for_the_run_returns(rescue):
    queue_run(rescue)
    assert claim(rescue.store, "r1", "host:1", 1, 10)
    assert not claim(rescue.store, "r1", "host:2", 2, 10)
    info = rescue.r.hgetall(run_key("r1"))
    assert info["state"] == "starting" and info["worker"] == "host:1"
    assert rescue.r.sismember(ACTIVE, "r1") and rescue.r.llen(QUEUE) == 0 and rescue.r.ttl(hb_key("r1")) > 0


def test_a_process_lost_before_training_its_run_gives_it_back_once(rescue):
    queue_run(rescue)
    claim(rescue.store, "r1", "host:1", 1, 10)
    rescue.r.delete(hb_key("r1"))  # the process died while it compiled
    rescue.process_gone("r1", rescue.r.hgetall(run_key("r1")))
    assert rescue.r.lrange(QUEUE, 0, -1) == ["r1"] and not rescue.r.sismember(ACTIVE, "r1")
    assert len(rescue.celery.tasks) == 1
    claim(rescue.store, "r1", "host:2", 2, 10)  # the re-sent task is taken... and that process dies too
    rescue.r.delete(hb_key("r1"))
    rescue.process_gone("r1", rescue.r.hgetall(run_key("r1")))
    [(name, data)] = [e for e in events(rescue) if e[0] != "queued"]
    assert name == "error" and data["reason"] == "not_started" and len(rescue.celery.tasks) == 1


def test_a_process_lost_mid_run_is_an_error_never_a_replay(rescue):
    queue_run(rescue)
    claim(rescue.store, "r1", "host:1", 1, 10)
    rescue.store.add_json("r1", "started", {"epoch": 0})
    rescue.process_gone("r1", rescue.r.hgetall(run_key("r1")))
    assert events(rescue)[-1][1]["reason"] == "worker_died" and rescue.celery.tasks == []


def test_a_run_past_its_budget_and_the_stall_bound_ends_and_its_process_is_told(rescue):
    queue_run(rescue)
    claim(rescue.store, "r1", "host:1", 1, 10)
    admitted = float(rescue.r.hget(run_key("r1"), "admitted"))
    assert not rescue.overdue("r1", rescue.r.hgetall(run_key("r1")), admitted + 159)
    assert rescue.overdue("r1", rescue.r.hgetall(run_key("r1")), admitted + 161)
    assert events(rescue)[-1][1]["reason"] == "stalled"
    assert rescue.r.lrange(f"{run_key('r1')}:ctrl", 0, -1) == [json.dumps(["stop", {}])]
    assert rescue.r.ttl(f"{run_key('r1')}:ctrl") > 0


def test_an_event_for_a_run_redis_forgot_is_refused(rescue):
    assert rescue.store.add("gone", "frame", "{}", {"epoch": 3}) is None
    assert rescue.r.keys("kp:run:gone*") == []


def test_a_write_to_a_run_redis_forgot_brings_back_no_hash(rescue):
    """A stream ending (idle_since), a stream opening (ever), a live change (config) or a queue position on a run
    whose keys Redis lost must not recreate its hash: a hash without fields or expiry made a stream wait for good."""
    store, r = rescue.store, rescue.r
    queue_run(rescue)
    assert store.set_fields("r1", idle_since=1.5, ever=1) is True
    assert r.hget(run_key("r1"), "ever") == "1" and r.ttl(run_key("r1")) > 0  # the expiry is kept
    r.flushdb()  # Redis restarted empty
    assert store.set_fields("r1", idle_since=2.5) is False
    r.rpush(QUEUE, "r1")  # an id whose hash is gone
    store.announce_positions()
    assert not r.exists(run_key("r1")) and not r.exists(f"{run_key('r1')}:events")


def test_a_queued_pass_over_a_run_redis_forgot_brings_back_no_hash(rescue):
    """The monitor reads the queue, then Redis restarts empty: neither starting the stall clock nor the re-send
    (set-if-absent writes) may recreate the run's hash, and nothing is re-sent or ended."""
    r, now = rescue.r, time.time()
    fresh = queue_run(rescue)
    rescue.queued("r1", fresh, free=3, now=now)
    stalled = r.hgetall(run_key("r1"))  # the clock runs: the next pass past KP_QUEUE_STALL re-sends
    assert "stall_from" in stalled
    r.flushdb()  # Redis restarted empty after the monitor read the queue
    r.rpush(QUEUE, "r1")
    rescue.queued("r1", fresh, free=3, now=now + 1)  # would start the clock (HSETNX stall_from)
    rescue.queued("r1", stalled, free=3, now=now + 11)  # would re-send (HSETNX resent, HSET stall_from)
    assert r.keys("kp:run:r1*") == []
    assert rescue.celery.tasks == []


def test_a_stalled_run_is_resent_once_with_its_clock_restarted_in_one_write(rescue):
    info = queue_run(rescue)
    now = time.time()
    rescue.queued("r1", info, free=3, now=now)
    rescue.queued("r1", rescue.r.hgetall(run_key("r1")), free=3, now=now + 11)
    after = rescue.r.hgetall(run_key("r1"))
    assert after["resent"] == "1" and float(after["stall_from"]) == pytest.approx(now + 11)
    assert rescue.r.ttl(run_key("r1")) > 0 and len(rescue.celery.tasks) == 1
