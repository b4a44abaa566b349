"""The Celery application of the scale-out backend (KP_RUNNER=celery); a run is one task.

Start workers with
``celery -A app.runner.celery_app worker --pool=prefork --concurrency=<cores> --max-tasks-per-child=<N>``.
Importing this module imports no TensorFlow: each prefork child imports and warms it when it starts
(app/runner/celery_worker.py), so the parent forks a clean process.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_process_shutdown

from app.runner import redis_state
from app.settings import current

RUN_TASK = "kp.run"
log = logging.getLogger("kp.celery")


def survive_a_lost_broker_on_close() -> None:
    """Keep the worker alive when kombu cannot put back unacknowledged runs over a connection already gone.

    kombu 5.7's Redis channel, closed after the consumer lost its broker (Redis restarted), puts back the messages
    it had not acknowledged through a connection the consumer has already released, and raises AttributeError;
    the worker's main process then stops ("Unrecoverable error") and no run trains until someone restarts it (the
    Redis-restart drill, tests/faults/test_celery_faults.py, when a task was waiting for a slot at that moment).
    Nothing is lost by going on: Redis itself keeps unacknowledged messages and re-delivers them after the
    visibility timeout, and a Redis restarted empty has lost them anyway. So the failure is logged and the close
    goes on; Celery reconnects as it does after any broker loss.
    """
    from kombu.transport.virtual.base import QoS

    original = QoS.restore_unacked_once
    if getattr(original, "kp_guarded", False):
        return

    def restore_unacked_once(self: Any, stderr: Any = None) -> Any:
        try:
            return original(self, stderr)
        except AttributeError:
            log.warning("the broker connection is gone: unacknowledged runs are left to Redis' re-delivery")
            return None

    restore_unacked_once.kp_guarded = True  # type: ignore[attr-defined]
    QoS.restore_unacked_once = restore_unacked_once


survive_a_lost_broker_on_close()

celery = Celery("keras_playground", broker=redis_state.url())
celery.conf.update(
    # A task only admits its run (it returns once the run is handed to the process's loop), so replaying it is
    # safe: the run is claimed atomically (app/runner/rescue.py) and a run that already trained is never restarted.
    task_acks_late=True,  # acknowledged when the run is handed over, not when a process receives it
    task_reject_on_worker_lost=True,  # a process killed before handing its run over: the task goes back to the queue
    worker_prefetch_multiplier=1,  # a process holds one waiting run at most; the rest stay in the broker
    task_ignore_result=True,  # results travel as stream events, not Celery results
    broker_connection_retry_on_startup=True,
    # Redis re-delivers a task not acknowledged within the visibility timeout (a whole worker lost). A task waits
    # for a slot in its process at most as long as a run lasts, so anything shorter could replay a waiting task
    # (harmless, the claim refuses it, but useless); the monitor's re-send covers the lost ones much sooner.
    broker_transport_options={"visibility_timeout": int(current().run_max_seconds) + 60},
    worker_proc_alive_timeout=current().startup_timeout,  # TensorFlow warms up first
    worker_hijack_root_logger=False,
    task_default_queue="kp-runs",
)
app = celery


@celery.task(name=RUN_TASK)
def run(run_id: str, config: dict[str, Any], options: dict[str, Any]) -> None:
    """Train one run to its end; its events go to its Redis stream."""
    from app.runner import celery_worker

    celery_worker.train(run_id, config, options)


@worker_process_init.connect
def _warm(**_: Any) -> None:
    from app.runner import celery_worker

    celery_worker.process_init()


@worker_process_shutdown.connect
def _bye(**_: Any) -> None:
    from app.runner import celery_worker

    celery_worker.process_shutdown()
