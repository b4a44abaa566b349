"""The Celery worker survives kombu failing to put back unacknowledged runs after Redis went away.

kombu 5.7 raises AttributeError from QoS.restore_unacked_once when the consumer has already released its broker
connection; unguarded, that stopped the worker's main process in the Redis-restart drill. The guard in
app/runner/celery_app.py must turn it into a logged warning and still mark the state restored (kombu's own
`finally`), so a second close does not try again.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from kombu.transport.virtual.base import QoS

import app.runner.celery_app  # noqa: F401  (installs the guard on import, as the worker does)


class Delivered(dict):
    restored = False


def a_qos_whose_connection_is_gone() -> QoS:
    qos = QoS.__new__(QoS)
    qos._on_collect = SimpleNamespace(cancel=lambda: None)
    qos._flush = lambda: None
    qos._delivered = Delivered({1: "a task waiting for a slot"})
    qos.restore_at_shutdown = True
    qos.channel = SimpleNamespace(do_restore=True)

    def restore_unacked():  # what kombu's Redis channel does with a released connection
        conninfo = None
        return conninfo.hostname

    qos.restore_unacked = restore_unacked
    return qos


def test_a_failed_put_back_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    qos = a_qos_whose_connection_is_gone()
    with caplog.at_level(logging.WARNING, logger="kp.celery"):
        assert qos.restore_unacked_once() is None
    assert qos._delivered.restored
    assert "re-delivery" in caplog.text
    assert getattr(QoS.restore_unacked_once, "kp_guarded", False)
