"""The class hub's per-learner tables (current runs, wall tiles, guesses) on both hubs: the in-memory one and the
Redis one against a real redis-server, where every class hash must carry the class's expiry."""

from __future__ import annotations

import pytest
import redis

from app.classes.hub import TTL, MemoryHub, RedisHub
from tests.scaleout.conftest import RedisServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("hub"))
    yield server
    server.stop()


@pytest.fixture(params=["memory", "redis"])
def hub(request):
    if request.param == "memory":
        return MemoryHub()
    client = redis.Redis.from_url(request.getfixturevalue("server").url, decode_responses=True)
    client.flushdb()
    return RedisHub(client)


def test_each_learner_keeps_one_latest_entry_per_table_and_classes_stay_apart(hub):
    hub.register_run("r1", "k1", "ann")
    hub.register_run("r2", "k1", "ann")  # a new run replaces the learner's current one
    hub.register_run("r3", "k1", "bo")
    hub.register_run("r4", "k2", "ann")
    hub.set_tile("k1", "ann", {"epoch": 3, "loss": 0.5})
    hub.set_tile("k1", "ann", {"epoch": 9, "loss": 0.25})
    hub.set_guess("k1", "bo", {"value": 0.8})
    assert hub.current_runs("k1") == {"ann": "r2", "bo": "r3"} and hub.current_runs("k2") == {"ann": "r4"}
    assert hub.run_owner("r3") == ("k1", "bo") and hub.run_owner("nope") is None
    assert hub.tiles("k1") == {"ann": {"epoch": 9, "loss": 0.25}} and hub.tiles("k2") == {}
    assert hub.guesses("k1") == {"bo": {"value": 0.8}} and hub.guesses("k2") == {}
    snapshot = hub.tiles("k1")
    snapshot["ann"] = {}  # a caller's copy, not the hub's table
    assert hub.tiles("k1")["ann"]["epoch"] == 9


def test_every_class_hash_written_in_redis_expires(server):
    client = redis.Redis.from_url(server.url, decode_responses=True)
    client.flushdb()
    hub = RedisHub(client)
    hub.register_run("r1", "k1", "ann")
    hub.set_tile("k1", "ann", {"epoch": 1})
    hub.set_guess("k1", "ann", {"value": 0.5})
    keys = client.keys("kp:class*")
    assert sorted(keys) == ["kp:class:k1:guesses", "kp:class:k1:runs", "kp:class:k1:tiles", "kp:classrun:r1"]
    assert all(0 < client.ttl(key) <= TTL for key in keys)
