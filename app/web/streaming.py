"""Server-sent events: formatting, heartbeats and the headers proxies need."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

RETRY_MS = 2000
HEARTBEAT = ": hb\n\n"
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}


def format_event(event_id: int, event: str, data: str) -> str:
    """One SSE message; `data` is a JSON string without newlines."""
    return f"id: {event_id}\nevent: {event}\ndata: {data}\n\n"


def sse(events: Iterable[tuple[int, str, str] | None]) -> Iterator[str]:
    """The stream: a retry hint, then each event, a heartbeat comment where `events` yields None."""
    yield f"retry: {RETRY_MS}\n\n"
    for item in events:
        yield HEARTBEAT if item is None else format_event(*item)


def parse_last_event_id(value: str | None) -> int | None:
    """The Last-Event-ID header as an int, or None when absent or malformed."""
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
