"""A small SSE reader over `requests` for tests and benchmarks."""

from __future__ import annotations

import json
from collections.abc import Iterator

import requests


def events(url: str, last_event_id: int | None = None, timeout: float = 30) -> Iterator[dict]:
    """Yield {"id", "event", "data"} dicts (data parsed as JSON) from an event stream."""
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    with requests.get(url, stream=True, headers=headers, timeout=timeout) as response:
        response.raise_for_status()
        yield from parse(response)


def parse(response: requests.Response) -> Iterator[dict]:
    current: dict = {}
    for line in response.iter_lines(decode_unicode=True):
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
