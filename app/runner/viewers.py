"""Who watches a run and what they asked for: grids or weights, and at most how many frames a second.

Every open event stream of a run registers here (the "view" control, sent by app/web/frame_views.py when
the stream opens and again when it closes). The run computes the boundary and neuron grids only when a
viewer wants them, and sends frames only as often as its most eager viewer asks. Before any viewer has
spoken (a run still starting, an old client) the run sends grids at the full rate, so nothing is lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MAX_VIEWERS = 256  # a leaked registration (a web process killed mid-stream) cannot grow without bound


@dataclass
class Viewers:
    """The open streams of one run: viewer id -> (grids a second: inf on every frame, 0 never; frames a second
    or None for the full rate)."""

    wants: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    last_grids: float = -math.inf  # when the run last computed grids

    def update(self, args: dict[str, Any]) -> None:
        """Register, change or drop one viewer: {"viewer", "grids", "rate"} or {"viewer", "gone": true}.

        `grids` is true (on every frame), false (never) or a number (that many times a second: a class wall's
        thumbnail); `rate` is frames a second at most, or null for every frame.
        """
        viewer = str(args.get("viewer", ""))
        if not viewer:
            return
        if args.get("gone"):
            self.wants.pop(viewer, None)
            return
        rate = args.get("rate")
        grids = args.get("grids", True)
        per_second = (math.inf if grids else 0.0) if isinstance(grids, bool) else max(float(grids), 0.0)
        self.wants[viewer] = (per_second, float(rate) if rate else None)
        while len(self.wants) > MAX_VIEWERS:
            self.wants.pop(next(iter(self.wants)))

    def grids_due(self, now: float) -> bool:
        """Compute grids for a frame sent now: nobody has spoken yet, some viewer wants them on every frame, or
        a viewer that wants them now and then (a class wall's thumbnail) is due; notes the time when so."""
        per_second = max((grids for grids, _ in self.wants.values()), default=math.inf)
        due = per_second > 0 and now - self.last_grids >= 1.0 / per_second
        if due:
            self.last_grids = now
        return due

    @property
    def min_interval(self) -> float:
        """Seconds between two frames at least: the fastest rate asked for (0 when anyone takes the full rate)."""
        if not self.wants:
            return 0.0
        rates = [rate for _, rate in self.wants.values()]
        if any(rate is None for rate in rates):
            return 0.0
        return 1.0 / max(rates)  # type: ignore[type-var]
