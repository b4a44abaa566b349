"""Server-sent events: formatting, heartbeats and the headers proxies need."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

RETRY_MS = 2000
HEARTBEAT = ": hb\n\n"
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
MAX_EVENT_ID = 2**53  # far above any run's event count; Redis stream sequences stay below it
_DIGITS = re.compile(r"[0-9]{1,16}")


def format_event(event_id: int, event: str, data: str) -> str:
    """One SSE message; `data` is a JSON string without newlines."""
    return f"id: {event_id}\nevent: {event}\ndata: {data}\n\n"


def sse(events: Iterable[tuple[int, str, str] | None]) -> Iterator[str]:
    """The stream: a retry hint, then each event, a heartbeat comment where `events` yields None."""
    yield f"retry: {RETRY_MS}\n\n"
    for item in events:
        yield HEARTBEAT if item is None else format_event(*item)


def parse_last_event_id(value: str | None) -> int | None:
    """The Last-Event-ID header as an int, or None when absent or not an id we send.

    Our ids are plain non-negative integers; anything else ("-1", "+3", "1_0", " 7", "1e3", 20 digits)
    is ignored, so it never reaches a backend (Redis read "-1" as the stream id 0--1).
    """
    if value is None or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if number <= MAX_EVENT_ID else None
