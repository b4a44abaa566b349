"""A task that ends after its broker connection was replaced does not stop the Celery worker.

With task_acks_late a run's task is acknowledged when it ends. If Redis went away meanwhile, Celery reconnects on a
new channel, and the task, received on the old one, is acknowledged through a channel kombu has already closed:
kombu 5.7 raises AttributeError (`_connparams`: its connection is None), and the worker's main process stopped
with "Unrecoverable error" (CI, the Redis-restart drill). The guard in app/runner/celery_app.py logs it instead;
Redis re-delivers the unacknowledged task after the visibility timeout, and the run's claim refuses it.

Real kombu on a real redis-server: a message is delivered on a channel, the channel is let go as after a lost
broker, then the message is acknowledged or rejected.
"""

from __future__ import annotations

import logging

import kombu
import pytest
import redis

import app.runner.celery_app  # noqa: F401  (installs the guard on import, as the worker does)


def deliver(url: str) -> tuple[kombu.Connection, kombu.Message]:
    """One message published and received, not yet acknowledged (a task waiting for its run's slot)."""
    connection = kombu.Connection(url)
    task_queue = kombu.Queue("kp-test", routing_key="kp-test")
    with kombu.Connection(url) as publisher:
        publisher.Producer().publish({"run": "a"}, routing_key="kp-test", declare=[task_queue])
    message = connection.SimpleQueue(task_queue, no_ack=False).get(timeout=10)
    return connection, message


def gone(channel) -> None:
    """The state CI's traceback shows the old channel in after the reconnect: its pools let go and its connection
    None (kombu's own teardown steps: `_disconnect_pools`, then the transport's `close_channel`). A clean
    `connection.close()` re-creates the pool while it puts messages back, so it does not reach this state."""
    channel._disconnect_pools()
    channel.connection.close_channel(channel)
    assert channel.connection is None and channel._pool is None


@pytest.mark.parametrize("end", ["ack", "reject"])  # a task that returned; a process lost before its hand-over
def test_acknowledging_on_a_closed_channel_is_logged_not_raised(redis_server, end,
                                                                caplog: pytest.LogCaptureFixture):
    connection, message = deliver(redis_server.url)
    assert redis.Redis.from_url(redis_server.url).hlen("unacked") == 1
    gone(message.channel)
    with caplog.at_level(logging.WARNING, logger="kp.celery"):
        getattr(message, end)()  # unguarded: AttributeError("'NoneType' object has no attribute 'client'")
    assert "re-delivery" in caplog.text


def test_on_a_live_channel_acknowledging_still_removes_the_message(redis_server):
    connection, message = deliver(redis_server.url)
    r = redis.Redis.from_url(redis_server.url)
    assert r.hlen("unacked") == 1
    message.ack()
    assert r.hlen("unacked") == 0
    connection.close()
