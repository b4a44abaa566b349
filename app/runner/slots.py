"""How many runs a training process takes at once: from what an epoch costs it, measured, not a fixed number.

A slot is a run the process can train at FLOOR of the default pace at least. What that costs depends on the
network (a 6 × 8 network's epoch costs ~3× a Day-65 one) and on the frames the run's viewers ask for. The
training loop measures its process's CPU time per epoch (training, frames, starts, controls: everything between
two waits; TensorFlow computes in threads of its own, so the process's time, not the loop thread's) and offers
as many slots as fill SHARE of a core at that pace, between LEAST and the operator's KP_RUNS_PER_WORKER. Up to
there runs share the core and slow down together (a class degrades evenly); a run past them waits in the queue
with its position shown, rather than every run of the process falling below FLOOR of its pace. CPU time, not
wall time: measured in wall time, the Celery loop's Redis round trips and a core shared with the web process
counted as cost, and a class of 30 queued while the cores had room; sized for the full default pace, likewise
(docs/performance.md, "Slots from measured cost").
Pure rules: the loop (app/runner/worker.py) feeds EpochCost and reports slots_for; the admission of either
backend reads the figure.
"""

from __future__ import annotations

from dataclasses import dataclass

SHARE = 0.85  # of a core filled at the slot's pace; the rest absorbs new runs' first frames and bursts
FLOOR = 0.5  # of the default pace every admitted run keeps at least
LEAST = 2  # slots offered however slow the process measures
DECAY = 0.7  # per one-second window: what an older window still weighs (after ~10 s, a few per cent)
MIN_EPOCHS = 3.0  # decayed epochs before the estimate counts: a process idle for ~10 s forgets its cost
# ... and enough work in view, of either kind: a window of a few epochs is no evidence (a burst of starts: the
# class pressing play together, each new run's first frame, a Celery process admitting 15 runs on its CPU clock).
EVIDENCE_CPU = 0.25  # decayed CPU seconds of work (a costly network: one or two windows), or
EVIDENCE_EPOCHS = 100.0  # decayed epochs (a cheap one)


@dataclass
class EpochCost:
    """Seconds of the loop's work per epoch over its recent one-second windows, older windows weighing less.

    Thin windows count for what they hold, so a process that trained a costly network and then a few cheap runs
    learns the cheap cost; an idle process forgets (`seconds` None) and offers every slot again.
    """

    busy: float = 0.0  # decayed CPU seconds of work
    epochs: float = 0.0  # decayed epochs

    def observe(self, busy_seconds: float, epochs: int) -> None:
        """One window's figures: CPU seconds of the loop's work and epochs trained."""
        self.busy = DECAY * self.busy + max(0.0, busy_seconds)
        self.epochs = DECAY * self.epochs + max(0, epochs)

    @property
    def seconds(self) -> float | None:
        """Seconds of work per epoch, or None while too little work is in view.

        Without the evidence rule a Celery process measured 6.7 ms an epoch in the first window of a class's
        opening burst (its own admissions and the first frames over a handful of epochs), offered 4 slots instead
        of 32 and held runs back ~1 s (docs/performance.md)."""
        if self.epochs < MIN_EPOCHS or (self.busy < EVIDENCE_CPU and self.epochs < EVIDENCE_EPOCHS):
            return None
        return self.busy / self.epochs


def slots_for(seconds_per_epoch: float | None, pace: float, most: int, least: int = LEAST,
              share: float = SHARE) -> int:
    """Runs at `pace` epochs/s that fill `share` of a core at this cost, within [least, most]; `most` until
    the cost is measured (a fresh process takes what the operator allows)."""
    if seconds_per_epoch is None or seconds_per_epoch <= 0 or pace <= 0:
        return most
    return max(min(least, most), min(most, int(share / (pace * seconds_per_epoch))))
