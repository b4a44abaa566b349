"""A small SSE reader over `requests` for tests and benchmarks."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import requests


def events(url: str, last_event_id: int | None = None, timeout: float = 30, deadline: float = 90) -> Iterator[dict]:
    """Yield {"id", "event", "data"} dicts (data parsed as JSON) from an event stream.

    Heartbeats keep a stream alive forever, so a reader that waits for an event that never
    comes fails after `deadline` seconds instead of hanging.
    """
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    with requests.get(url, stream=True, headers=headers, timeout=timeout) as response:
        response.raise_for_status()
        yield from parse(response, deadline)


def parse(response: requests.Response, deadline: float = 90) -> Iterator[dict]:
    """The events of an open stream response; AssertionError after `deadline` seconds."""
    end = time.monotonic() + deadline
    current: dict = {}
    for line in response.iter_lines(chunk_size=65536, decode_unicode=True):
        if time.monotonic() > end:
            raise AssertionError(f"the event stream gave no end within {deadline} s")
        if line is None:
            continue
        if line == "":
            if "event" in current:
                current["data"] = json.loads(current.get("data", "null"))
                yield current
            current = {}
        elif line.startswith(":"):
            continue
        else:
            key, _, value = line.partition(": ")
            if key == "id":
                current["id"] = int(value)
            elif key in ("event", "data"):
                current[key] = value
