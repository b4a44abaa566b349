"""One simulated learner of the load test: a browser tab that starts the Day-65 preset again and again.

The client does not decode frames (a class of laptops spends its CPU drawing, not here): it reads the raw
bytes of the stream and counts `event: frame` lines. Only the small `done` event is parsed, for the epochs
the run reached; `event: queued` lines show the learner saw its queue position.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

import requests

FRAME, DONE, ERROR, QUEUED = b"event: frame", b"event: done", b"event: error", b"event: queued"


class StreamCount:
    """Counts SSE events in raw bytes as they arrive; keeps only the data line after `done`."""

    def __init__(self) -> None:
        self.frames = 0
        self.queued = 0
        self.first_frame_at: float | None = None
        self.ended: str | None = None
        self.done_data: bytes = b""
        self._tail = b""
        self._want_data = False

    def feed(self, chunk: bytes, now: float) -> None:
        """Take the next bytes of the stream (events may be split across chunks)."""
        lines = (self._tail + chunk).split(b"\n")
        self._tail = lines.pop()
        for line in lines:
            if self._want_data:
                if line.startswith(b"data: "):
                    self.done_data = line[6:]
                    self._want_data = False
                continue
            if line == FRAME:
                self.frames += 1
                if self.first_frame_at is None:
                    self.first_frame_at = now
            elif line == QUEUED:
                self.queued += 1
            elif line in (DONE, ERROR):
                self.ended = line[7:].decode()
                self._want_data = line == DONE

    @property
    def complete(self) -> bool:
        """The terminal event and (for done) its data line have arrived."""
        return self.ended is not None and not self._want_data

    def epochs(self) -> int:
        """Epochs the run reached, from its `done` event (0 when it ended with an error)."""
        try:
            return int(json.loads(self.done_data).get("epochs", 0)) if self.done_data else 0
        except ValueError:
            return 0


class Learner(threading.Thread):
    """One browser tab with its own cookie: start a run, watch it to its end, again, until the time is up."""

    def __init__(self, url: str, config: dict[str, Any], seconds: float, frames: str | None = None,
                 max_runs: RunBudget | None = None) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.config = config
        self.until = time.monotonic() + seconds
        self.query = f"?frames={frames}" if frames else ""  # passed only when asked for
        self.max_runs = max_runs
        self.session = requests.Session()
        self.first_frame: list[float] = []
        # (pressed at, seconds to a frame, queued, seconds to the POST's answer)
        self.first_frame_when: list[tuple[float, float, bool, float]] = []
        self.frames = self.epochs = self.runs = self.rejected = self.errors = self.lost = self.failed_requests = 0
        self.saw_queue = 0  # runs whose stream showed a queue position
        self.rejected_by: Counter[str] = Counter()
        self.failed_by: Counter[str] = Counter()  # what each failed request was: status or exception
        self.watch_seconds = 0.0

    def run(self) -> None:
        try:
            self.session.get(self.url + "/api/config", timeout=30)  # the page's first load (and the cookie)
        except requests.RequestException as exc:
            self.failed_requests += 1
            self.failed_by[f"GET /api/config: {type(exc).__name__}"] += 1
        while time.monotonic() < self.until and (self.max_runs is None or self.max_runs.take()):
            try:
                self._one_run()
            except requests.RequestException as exc:
                self.failed_requests += 1
                self.failed_by[f"run: {type(exc).__name__}: {str(exc)[:80]}"] += 1
                time.sleep(1)

    def _one_run(self) -> None:
        t0 = time.monotonic()
        response = self.session.post(self.url + "/api/runs", json=self.config, timeout=60)
        answered = time.monotonic() - t0
        if response.status_code == 429:
            self.rejected += 1
            errors = (response.json() or {}).get("errors") or [{}]
            self.rejected_by[f"{errors[0].get('field')}: {errors[0].get('message')}"] += 1
            wait = float(response.headers.get("Retry-After", "5"))
            time.sleep(max(0.0, min(wait, self.until - time.monotonic())))
            return
        if response.status_code != 201:
            self.failed_requests += 1
            self.failed_by[f"POST /api/runs: {response.status_code}"] += 1
            time.sleep(1)
            return
        run = response.json()
        self.runs += 1
        count, stopped = StreamCount(), False
        give_up = max(self.until, time.monotonic()) + 120
        with self.session.get(self.url + run["events_url"] + self.query, stream=True, timeout=60) as stream:
            for chunk in stream.iter_content(chunk_size=None):
                now = time.monotonic()
                count.feed(chunk, now)
                if count.complete or now > give_up:
                    break
                if not stopped and now >= self.until and self.max_runs is None:
                    stopped = True  # time is up: stop it, and read on to its end
                    self.session.post(f"{self.url}/api/runs/{run['id']}/stop", timeout=30)
        if count.first_frame_at is not None:
            self.first_frame.append(count.first_frame_at - t0)
            self.first_frame_when.append((t0, count.first_frame_at - t0, count.queued > 0, answered))
        self.frames += count.frames
        self.epochs += count.epochs()
        self.saw_queue += count.queued > 0
        self.watch_seconds += time.monotonic() - t0
        if count.ended is None:
            self.lost += 1
        elif count.ended == "error":
            self.errors += 1


class RunBudget:
    """A shared count of runs still to start (the flat-memory mode); thread-safe."""

    def __init__(self, runs: int) -> None:
        self.left = runs
        self.started = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.left <= 0:
                return False
            self.left -= 1
            self.started += 1
            return True
