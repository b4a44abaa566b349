"""A class of simulated learners for the fault tests: each presses play again and again and reads to the end."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.sse_client import parse

# Short runs of the warm default network as fast as the core allows: a run in flight at a fault ends in a second,
# not at a pace's 1.5 s, and no run needs a network compiled (a copy takes ~10 s on a 2-core machine at load 20).
# 1,000 epochs (~0.5-2 s, longer than a learner's THINK): at 200, once an epoch cost 0.5 ms, a class of six was
# mostly between runs, and a drill could strike with no run in flight (seen in CI: in_flight_at_fault 0).
SMALL = {"epochs": 1000, "pace": "max"}
# The run a drill kills "mid-run": long enough to be certainly training when its process is killed.
LONG = {"epochs": 5000, "pace": 20}
END_WITHIN = 30.0  # seconds after a fault by which every run must have ended (issue 25)
# The smallest pool that shows each fault: 2 training processes x 2 slots, a queue of 2 (docs/operations.md).
WORKERS, SLOTS, QUEUE = 2, 2, 2
# One learner per slot and two more, so that runs queue. KP_FAULT_LEARNERS changes the class size.
LEARNERS = int(os.environ.get("KP_FAULT_LEARNERS") or WORKERS * SLOTS + 2)
BUSY = 2  # runs training before a fault is set off
THINK = 0.5  # seconds a learner looks at a finished run before pressing play again


@dataclass
class Outcome:
    """How one run ended for its learner: the terminal event and when it arrived."""

    run_id: str
    submitted: float
    ended: float | None = None
    event: str = "none"
    data: dict[str, Any] = field(default_factory=dict)


class Learners:
    """`count` threads; each starts a run (`start_run` gives its id or None when refused) and follows it
    (`follow` gives the terminal event's name and data) until told to stop."""

    def __init__(self, count: int, start_run: Callable[[], str | None],
                 follow: Callable[[str], tuple[str, dict]]) -> None:
        self.start_run, self.follow = start_run, follow
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._learn, daemon=True) for _ in range(count)]

    def __enter__(self) -> Learners:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.finish(10)

    def _learn(self) -> None:
        while not self._stop.is_set():
            pressed = time.monotonic()  # before the answer: a run the server took just before a fault is in flight
            try:
                run_id = self.start_run()
            except Exception:  # the web process is gone or Redis is down: a learner presses play again
                run_id = None
            if run_id is None:
                self._stop.wait(0.3)
                continue
            outcome = Outcome(run_id, pressed)
            with self._lock:
                self.outcomes.append(outcome)
            outcome.event, outcome.data = self.follow(run_id)
            outcome.ended = time.monotonic()
            self._stop.wait(THINK)

    def finish(self, timeout: float) -> bool:
        """Stop starting runs; True when every learner's last run has ended within `timeout` seconds."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def ended_since(self, t: float) -> int:
        with self._lock:
            return sum(1 for o in self.outcomes if o.ended and o.ended > t)

    def in_flight(self) -> int:
        with self._lock:
            return sum(1 for o in self.outcomes if o.ended is None)

    def report(self, fault_at: float) -> dict[str, Any]:
        """The figures of one fault: runs affected, seconds to the last affected learner's message."""
        with self._lock:
            runs = list(self.outcomes)
        errors = [o for o in runs if o.event == "error"]
        waits = [o.ended - fault_at for o in errors if o.ended]
        return {"runs": len(runs), "in_flight_at_fault": sum(1 for o in runs if o.submitted < fault_at and
                                                             (o.ended or 1e12) > fault_at),
                "done": sum(o.event == "done" for o in runs), "errors": len(errors),
                "error_reasons": sorted({o.data.get("reason", "?") for o in errors}),
                "seconds_to_message_max": round(max(waits), 1) if waits else None,
                "unfinished": [o.run_id for o in runs if o.event not in ("done", "error")]}


def check_outcomes(learners: Learners, fault_at: float, figures: dict[str, Any],
                   forgotten_before: float | None = None, settle: float = END_WITHIN + 15) -> dict[str, Any]:
    """Every run ended with done or error, each error says what to do, within END_WITHIN s of the fault.

    The figures go into `figures` first, so a failing fault still reports them. `forgotten_before`: Redis lost
    every key until then, so a run that had sent no event yet (a page has no Last-Event-ID to show it existed) is
    answered 404 on reconnect; those are counted, not failed. `settle`: how long the learners' last runs (started
    after the fault, maybe waiting for a new pool to warm) may take to end."""
    finished = learners.finish(settle)
    figures.update(report := learners.report(fault_at))
    assert finished, f"a learner's run did not end: {report}"
    if forgotten_before is not None:
        report["unknown_after_restart"] = [i for i in report["unfinished"] if any(
            o.run_id == i and o.event == "404" and o.submitted < forgotten_before for o in learners.outcomes)]
        figures["unknown_after_restart"] = len(report["unknown_after_restart"])
        report["unfinished"] = [i for i in report["unfinished"] if i not in report["unknown_after_restart"]]
    assert not report["unfinished"], report
    report["seconds_to_last_end"] = figures["seconds_to_last_end"] = round(max(
        (o.ended - fault_at for o in learners.outcomes if o.submitted < fault_at), default=0.0), 1)
    late = [o for o in learners.outcomes if o.submitted < fault_at and o.ended - fault_at > END_WITHIN]
    assert not late, [(o.run_id, o.event, round(o.ended - fault_at, 1)) for o in late]
    for o in learners.outcomes:
        if o.event == "error":
            assert "press play" in o.data.get("message", "").lower() or "try a smaller" in o.data["message"].lower(), o
    return report


def follow_stream(bases: list[str], run_id: str, timeout: float = 90) -> tuple[str, dict]:
    """A page's EventSource: read the run's stream to its end, reconnecting with Last-Event-ID after the browser's
    retry delay, to the next web process of `bases` each time (one base: the same one, restarted)."""
    deadline, last, turn = time.monotonic() + timeout, None, random.randrange(len(bases))
    while time.monotonic() < deadline:
        base = bases[turn % len(bases)]
        turn += 1
        headers = {"Last-Event-ID": str(last)} if last is not None else {}
        try:
            with requests.get(f"{base}/api/runs/{run_id}/events", stream=True, headers=headers,
                              timeout=10) as response:
                if response.status_code == 404:
                    return "404", response.json()
                for event in parse(response, deadline - time.monotonic()):
                    last = event.get("id", last)
                    if event["event"] in ("done", "error"):
                        return event["event"], event["data"]
        except (requests.RequestException, AssertionError, ValueError):
            pass
        time.sleep(0.5)  # the browser's retry delay before it reconnects (a client's behaviour, not a wait)
    return "none", {}
