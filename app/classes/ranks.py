"""Learners' ranks in the challenge, sent on the class's learner channel at most once a second per class.

A change held back by the limit is sent when the second is over, so the last ranks of a class (say, when the
teacher freezes it) always arrive; a run's end is sent at once.
"""

from __future__ import annotations

import threading
from typing import Any

INTERVAL = 1.0  # seconds between two rank updates sent to a class's learners


class RankNotifier:
    """Throttled `standings` events for a ClassService (its hub, its cached classes, its leaderboard)."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._pending: set[str] = set()  # classes with an update waiting for its second

    def publish(self, klass: dict[str, Any], force: bool = False) -> None:
        """Send the ranks now if the class's second allows (or `force`), else once it is over."""
        if not klass.get("challenge") or klass.get("state") == "ended":
            return
        hub = self.service.hub
        if force or hub.due(f"{klass['id']}:standings", INTERVAL):
            hub.publish(klass["id"], "learners", "standings", self.service.standings(klass))
            return
        with self._lock:
            if klass["id"] in self._pending:
                return
            self._pending.add(klass["id"])
        timer = threading.Timer(INTERVAL, self._trailing, args=(klass["id"],))
        timer.daemon = True
        timer.start()

    def _trailing(self, class_id: str) -> None:
        with self._lock:
            self._pending.discard(class_id)
        try:
            klass = self.service.cached(class_id)
            if klass and klass.get("challenge") and klass["state"] == "open":
                self.service.hub.due(f"{class_id}:standings", 0)  # counts as this second's update
                self.service.hub.publish(class_id, "learners", "standings", self.service.standings(klass))
        except Exception:  # noqa: BLE001 - ranks are best effort; the next update sends them again
            return
