"""The text of a run's error events, in the reader's language.

Worker processes have no request, so they write these messages in English and add the reason and
parameters to the event (`reason`, `epoch`, `learning_rate`, `detail`, `stage`). The SSE endpoint
re-writes `message` from them in the request's language: one message id per reason, here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from app.config.text import lazy_gettext, number
from app.runner.base import Event

MESSAGES = {
    "diverged": lazy_gettext("Training diverged at epoch %(epoch)s: the loss became NaN or infinite. Try a smaller "
                             "learning rate (this run used %(learning_rate)s) and press play again."),
    "exploded": lazy_gettext("Training diverged at epoch %(epoch)s: the training loss stayed far above that of always "
                             "guessing the average, epoch after epoch. Try a smaller learning rate (this run used "
                             "%(learning_rate)s) and press play again."),
    "internal": lazy_gettext("The run failed on the server (%(detail)s). Start it again; if it fails again, change "
                             "a setting and tell the course team."),
    "start": lazy_gettext("The run could not start on the server (%(detail)s)."),
    "worker_died": lazy_gettext("The training process running this run stopped unexpectedly; it has been replaced. "
                                "Press play to start again."),
    "not_started": lazy_gettext("This run waited for a training process that never started it (one stopped "
                                "unexpectedly, twice). Press play to start it again."),
    "stalled": lazy_gettext("This run made no progress on the server for %(seconds)s s, so it was ended. Press play "
                            "to start it again."),
    "lost": lazy_gettext("The server lost this run (it was restarted while the run was going). Press play to start "
                         "it again."),
    "connection": lazy_gettext("The training process lost its connection to the server's store. Press play to start "
                               "it again."),
}
PARAMS = {"diverged": ("epoch", "learning_rate"), "exploded": ("epoch", "learning_rate"), "internal": ("detail",),
          "start": ("detail",), "worker_died": (), "not_started": (), "stalled": ("seconds",), "lost": (),
          "connection": ()}


def message(data: dict[str, Any]) -> str | None:
    """The message of an error event from its reason and parameters (English outside a request), or None."""
    key = "start" if data.get("stage") == "start" else data.get("reason")
    if key == "diverged" and data.get("cause") == "exploded":
        key = "exploded"  # worse than guessing for many epochs in a row (app/divergence.py), not NaN
    if key not in MESSAGES or any(name not in data for name in PARAMS[key]):
        return None
    return str(MESSAGES[key]) % {name: number(data[name]) for name in PARAMS[key]}


def error(reason: str, **params: Any) -> dict[str, Any]:
    """An error event's payload made outside a request: reason, parameters and the English message."""
    data = {"reason": reason, **params}
    return {**data, "message": message(data)}


def lost_event(last_event_id: int) -> Event:
    """The one event of a stream resumed for a run the server no longer knows (restarted, store wiped)."""
    return Event(last_event_id + 1, "error", json.dumps(error("lost"), separators=(",", ":")))


def translated_events(events: Iterable[Any]) -> Iterator[Any]:
    """The run's events with each error's message in the request's language (other events untouched)."""
    for item in events:
        if item is not None and item[1] == "error":
            try:
                data = json.loads(item[2])
                text = message(data)
            except (ValueError, TypeError):
                text = None
            if text is not None:
                item = (item[0], item[1], json.dumps({**data, "message": text}, separators=(",", ":")))
        yield item
