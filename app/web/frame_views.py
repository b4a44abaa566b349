"""What one event stream asks of its run: grids or weights (`frames=`), and how many frames a second (`rate=`).

The stream tells the run when it opens and again when it closes (the runner's "view" control, kept per run
by app/runner/viewers.py), so the training process computes grids only while someone wants them and
thins frames only while every viewer is content with fewer. docs/api.md "Frames from weights".
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from app.runner.base import Event, Runner
from app.web.errors import ApiError

FRAME_MODES = ("grids", "weights")
RATE_BOUNDS = (1.0, 20.0)  # frames per second a stream may ask for; the page asks for 2 while hidden
WALL_GRIDS = 2.0  # grids a second for a class wall's thumbnail of a run watched in weights mode

log = logging.getLogger("kp.web")


@dataclass(frozen=True)
class StreamWish:
    """One stream's frame mode and rate (None: the run's full rate)."""

    frames: str = "grids"
    rate: float | None = None

    @property
    def grids(self) -> bool:
        return self.frames == "grids"


def parse_wish(args: Mapping[str, str]) -> StreamWish:
    """`frames` and `rate` from the query string; a bad value is a 400 naming its field. Other keys are ignored."""
    frames = args.get("frames", "grids")
    if frames not in FRAME_MODES:
        raise ApiError(400, gettext("frames must be one of %(choices)s, got %(value)r",
                                    choices=", ".join(FRAME_MODES), value=frames[:40]), "frames")
    raw = args.get("rate")
    rate = None
    if raw is not None:
        low, high = RATE_BOUNDS
        try:
            rate = float(raw)
        except ValueError:
            rate = math.nan
        if not low <= rate <= high:  # NaN fails too
            raise ApiError(400, gettext("rate must be a number of frames per second from %(low)s to %(high)s, "
                                        "got %(value)r", low=int(low), high=int(high), value=raw[:40]), "rate")
    return StreamWish(frames, rate)


def watched(runner: Runner, run_id: str, wish: StreamWish, events: Iterator[Event | None],
            wall: bool = False) -> Iterator[Event | None]:
    """`events`, with the run told of this stream's wish on the first read and of its end when it closes.

    `wall`: a class wall shows the run's thumbnail from this stream's frames, so the run computes grids
    WALL_GRIDS times a second even when this stream takes weights.
    """
    viewers = {secrets.token_hex(8): {"grids": wish.grids, "rate": wish.rate}}
    if wall and not wish.grids:
        viewers[secrets.token_hex(8)] = {"grids": WALL_GRIDS, "rate": WALL_GRIDS}
    for viewer, args in viewers.items():
        _tell(runner, run_id, {"viewer": viewer, **args})
    try:
        yield from events
    finally:
        for viewer in viewers:
            _tell(runner, run_id, {"viewer": viewer, "gone": True})


def _tell(runner: Runner, run_id: str, args: dict[str, Any]) -> None:
    """Send the "view" control; a run that ended or vanished meanwhile needs no telling."""
    try:
        runner.control(run_id, "view", args)
    except Exception as exc:  # the stream itself must go on (or close) whatever the runner says
        log.debug("view control for run %s not delivered: %s", run_id, exc)
