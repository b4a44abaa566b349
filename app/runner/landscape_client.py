"""The web process's side of a loss-landscape request on the embedded backend: ask the run's training process.

A mixin of EmbeddedRunner. The request travels on the worker's control pipe like a weight edit; the worker
computes it in its loop (app/runner/landscape_keeper.py) and answers with ("reply", request id, payload),
which the dispatcher hands to the waiting request here. Imports no TensorFlow.
"""

from __future__ import annotations

import secrets
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from app.config.text import lazy_gettext
from app.engine.landscape_plan import LandscapeUnavailable

REPLY_TIMEOUT = 30.0  # seconds: a landscape takes < 2 s; the worker may first finish other runs' epochs
GONE = lazy_gettext("the training process that held this run has since been replaced, so its weight history is "
                    "gone; train the run again to see its landscape")


class LandscapeRequests:
    """landscape() for EmbeddedRunner, and the dispatcher's hook for the worker's reply."""

    _lock: Any
    _workers: dict

    def _replies(self) -> dict[str, Future]:
        with self._lock:
            return self.__dict__.setdefault("_landscape_replies", {})

    def landscape(self, run_id: str, params: dict[str, Any], timeout: float = REPLY_TIMEOUT) -> dict[str, Any]:
        """The landscape of a paused or ended run, computed by its training process; LandscapeUnavailable if not."""
        record = self._get(run_id)  # type: ignore[attr-defined]
        with self._lock:
            worker = self._workers.get(record.worker) if record.worker is not None else None
        if worker is None or worker.state in ("exiting", "gone"):
            raise LandscapeUnavailable(409, GONE)
        request_id = secrets.token_hex(8)
        future: Future = Future()
        replies = self._replies()
        replies[request_id] = future
        try:
            worker.send(("landscape", request_id, run_id, params))
            reply = future.result(timeout)
        except FutureTimeout:
            raise LandscapeUnavailable(503, lazy_gettext(
                "the training process did not answer within %(seconds)s s (it may be busy); try again",
                seconds=int(timeout))) from None
        finally:
            replies.pop(request_id, None)
        if "result" in reply:
            return reply["result"]
        if reply.get("error") == "gone":
            raise LandscapeUnavailable(409, GONE)
        raise LandscapeUnavailable(503, lazy_gettext("the landscape could not be computed (%(detail)s)",
                                                     detail=reply.get("detail", "")))

    def _on_reply(self, message: tuple) -> None:
        """The dispatcher got ("reply", request id, payload) from a worker."""
        future = self._replies().get(message[1])
        if future is not None and not future.done():
            future.set_result(message[2])

