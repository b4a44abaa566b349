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
    """Keep the worker alive when kombu touches a channel whose broker connection is already gone.

    kombu 5.7's Redis channel, closed after the consumer lost its broker (Redis restarted), reaches Redis through
    the connection it has already released and raises AttributeError, in two places: putting back the messages it
    had not acknowledged (while it closes), and acknowledging or rejecting a message it delivered once the task
    ends after the reconnect (task_acks_late: a task waiting for a slot at that moment). Either way the worker's
    main process stopped ("Unrecoverable error") and no run trained until someone restarted it (the Redis-restart
    drill, tests/faults/test_celery_faults.py; the acknowledgement in CI). Nothing is lost by going on: Redis itself
    keeps unacknowledged messages and re-delivers them after the visibility timeout (the run's claim refuses a
    run already handed over), and a Redis restarted empty has lost them anyway. So the failure is logged and the
    worker goes on; Celery reconnects as it does after any broker loss.
    """
    from kombu.transport import redis as kombu_redis
    from kombu.transport.virtual.base import QoS

    def guarded(owner: type, name: str, on_a_live_channel_too: bool) -> None:
        original = getattr(owner, name)
        if getattr(original, "kp_guarded", False):
            return

        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return original(self, *args, **kwargs)
            except AttributeError:
                if not on_a_live_channel_too and getattr(self.channel, "connection", None) is not None:
                    raise  # a live channel: not this failure
                log.warning("the broker connection is gone: unacknowledged runs are left to Redis' re-delivery")
                return None

        method.kp_guarded = True  # type: ignore[attr-defined]
        method.__doc__ = original.__doc__
        setattr(owner, name, method)

    guarded(QoS, "restore_unacked_once", on_a_live_channel_too=True)  # runs while the channel closes
    guarded(kombu_redis.QoS, "ack", on_a_live_channel_too=False)
    guarded(kombu_redis.QoS, "reject", on_a_live_channel_too=False)


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
