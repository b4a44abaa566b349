"""Runs taking turns on one shared compiled model (app/engine/compiled.py): whose state its variables hold.

A mixin of Trainer. While a run is the model's owner its state is in the variables; when another run takes
the model, the owner parks its state (read once, and only if it changed since the last epoch call returned it).
The epoch call itself takes the state in and gives it back, so a run whose turn is an epoch costs no extra call.
"""

from __future__ import annotations

from typing import Any


class SharedModelTurns:
    """Ownership of the shared compiled model; Trainer provides `compiled` and sets `_state` and `_fresh`."""

    compiled: Any
    _state: list[Any] | None = None  # this run's state while another run owns the variables
    _fresh = False  # `_state` equals what the variables would hold for this run

    def _take_turn(self) -> None:
        """Become the owner of the shared compiled model; the previous owner parks its state first."""
        previous = self.compiled.owner
        if previous is not self:
            if previous is not None:
                previous._park()
            self.compiled.owner = self

    def _hold(self) -> None:
        """The compiled model's variables hold this run's state (one call when another run had them)."""
        if self.compiled.owner is not self:
            self._take_turn()
            if self._state is not None:
                self.compiled.load_state(self._state)

    def _park(self) -> None:
        """Another run takes the compiled model: keep this run's state (read only if it changed since)."""
        if not self._fresh:
            self._state = self.compiled.save_state()
            self._fresh = True

    def _touched(self) -> None:
        """The variables changed outside the epoch call: `_state` no longer equals them."""
        self._fresh = False
