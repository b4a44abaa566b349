"""Who watches a run and what they asked for: grids or weights, and at most how many frames a second.

Every open event stream of a run registers here (the "view" control, sent by app/web/frame_views.py when
the stream opens and again when it closes). The run computes the boundary and neuron grids only when a
viewer wants them, and sends frames only as often as its most eager viewer asks. Before any viewer has
spoken (a run still starting, an old client) the run sends grids at the full rate, so nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_VIEWERS = 256  # a leaked registration (a web process killed mid-stream) cannot grow without bound


@dataclass
class Viewers:
    """The open streams of one run: viewer id -> (wants grids, frames per second or None for the full rate)."""

    wants: dict[str, tuple[bool, float | None]] = field(default_factory=dict)

    def update(self, args: dict[str, Any]) -> None:
        """Register, change or drop one viewer: {"viewer", "grids", "rate"} or {"viewer", "gone": true}."""
        viewer = str(args.get("viewer", ""))
        if not viewer:
            return
        if args.get("gone"):
            self.wants.pop(viewer, None)
            return
        rate = args.get("rate")
        self.wants[viewer] = (bool(args.get("grids", True)), float(rate) if rate else None)
        while len(self.wants) > MAX_VIEWERS:
            self.wants.pop(next(iter(self.wants)))

    @property
    def grids(self) -> bool:
        """Compute grids: some viewer wants them, or nobody has said what they want yet."""
        return not self.wants or any(grids for grids, _ in self.wants.values())

    @property
    def min_interval(self) -> float:
        """Seconds between two frames at least: the fastest rate asked for (0 when anyone takes the full rate)."""
        if not self.wants:
            return 0.0
        rates = [rate for _, rate in self.wants.values()]
        if any(rate is None for rate in rates):
            return 0.0
        return 1.0 / max(rates)  # type: ignore[type-var]
