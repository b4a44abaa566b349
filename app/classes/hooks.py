"""The runs API's touch points with classes: check a new run, note it started, gate controls, observe frames.

Kept apart so app/web/runs.py stays about runs: each hook is a no-op for a client in no class.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import current_app

from app.config.run_config import RunConfig


def _service():
    from app.classes.views import client, service

    return service(), client()


def class_check(config: RunConfig) -> Any:
    """The client's class membership for a new run; 400 for a locked field changed, 409 while frozen."""
    svc, who = _service()
    return svc.check_run(who, config)  # LockedField, Frozen: mapped once in app/web/errors.py


def class_started(membership: Any, run_id: str, config: RunConfig) -> None:
    svc, _ = _service()
    svc.started(membership, run_id, config)


def class_control(run_id: str, action: str, args: dict[str, Any] | None = None) -> None:
    """Resume and step wait while the class is frozen (409); a live change keeps locked fields (400)."""
    if "kp_classes" not in current_app.extensions:
        return  # no class was ever touched in this process: nothing can be frozen
    svc, who = _service()
    svc.may_control(who, run_id, action, args or {})  # LockedField, Frozen: mapped in app/web/errors.py


def class_wall_shows(run_id: str) -> bool:
    """True when a class wall shows this run's boundary thumbnail (its stream then asks the run for grids now
    and then, app/web/frame_views.py)."""
    if "kp_classes" not in current_app.extensions:
        return False  # no class was ever touched in this process
    svc, _ = _service()
    return svc.hub.run_owner(run_id) is not None


def class_observe(run_id: str, events: Iterable[Any]) -> Iterator[Any]:
    """The run's events, forwarded in summary to its class's wall when it belongs to one."""
    svc, _ = _service()
    return svc.observe(run_id, events)
