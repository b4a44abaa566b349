"""Which run of a training process trains next: pure rules, kept apart from the loop that applies them.

Earliest deadline first among the runs that are due, except that a run which has not shown its first
frame goes before every run that has: a learner who just pressed Play sees a network at once, while a
running one loses one epoch's time (~1 ms on the Day-65 preset). Overloaded, EDF alone put a new run
behind every overdue one, and its first frame came seconds late (docs/performance.md, "Class of 30").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class Schedulable(Protocol):
    """What the scheduler reads of a run (app/runner/active_run.py)."""

    @property
    def fresh(self) -> bool: ...  # no frame sent yet

    def due_at(self) -> float | None: ...  # -inf: a step waits; None: paused or ended


def pick_due(runs: Iterable[Schedulable], now: float) -> Schedulable | None:
    """The run to train now: a fresh due run first (earliest first), else the most overdue; None if none is due."""
    best, best_rank = None, None
    for run in runs:
        t = run.due_at()
        if t is None or t > now:
            continue
        rank = (not run.fresh, t)
        if best_rank is None or rank < best_rank:
            best, best_rank = run, rank
    return best
