"""The training loop's pure parts: which run trains next, and runs waiting while their architecture compiles."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from app.runner.compile_ahead import CompileAhead
from app.runner.schedule import pick_due
from tests.conftest import wait_until


@dataclass
class Run:
    name: str
    due: float | None
    fresh: bool = False

    def due_at(self) -> float | None:
        return self.due


def test_earliest_deadline_first_among_running_runs():
    most_overdue = Run("most_overdue", 2.0)
    assert pick_due([Run("overdue", 5.0), most_overdue, Run("not_due", 11.0)], now=10.0) is most_overdue


def test_a_new_run_gets_its_first_frame_before_overdue_runs():
    overdue = Run("overdue", 1.0)
    new = Run("new", 9.5, fresh=True)
    assert pick_due([overdue, new], now=10.0) is new


def test_a_new_run_not_yet_due_waits_and_paused_runs_never_train():
    overdue, paused = Run("overdue", 1.0), Run("paused", None, fresh=True)
    assert pick_due([Run("new", 12.0, fresh=True), overdue, paused], now=10.0) is overdue
    assert pick_due([paused, Run("ended", None)], now=10.0) is None


def test_a_waiting_step_goes_first_among_fresh_runs():
    step = Run("step", -math.inf, fresh=True)
    assert pick_due([Run("new", 9.0, fresh=True), step], now=10.0) is step


class FakeCache:
    """Compiled shapes by name, as app.engine.compiled.ModelCache keeps them (one model per shape)."""

    def __init__(self, compiled: set[str]) -> None:
        self.models = {name: f"compiled {name}" for name in compiled}

    def has(self, config: str) -> bool:
        return config in self.models

    def adopt(self, config: str, compiled: str) -> None:
        assert compiled == f"compiled {config}"
        self.models.setdefault(config, compiled)


def test_only_an_unseen_architecture_is_compiled_beside_the_loop():
    cache = FakeCache({"day65"})
    ahead = CompileAhead(cache.has, lambda c: f"compiled {c}", cache.adopt)
    assert not ahead.needed("day65")
    assert ahead.needed("8-5")


def test_a_compiled_run_reaches_the_cache_with_its_held_controls_in_order():
    cache = FakeCache(set())
    gate = threading.Event()
    ahead = CompileAhead(cache.has, lambda c: gate.wait(30) and f"compiled {c}", cache.adopt)
    ahead.submit("r1", "8-5", {"hidden_layers": [8, 5]}, {"paused": False}, 1.0)
    assert ahead.hold("r1", ("control", "r1", "pause", {}))
    assert ahead.hold("r1", ("control", "r1", "stop", {}))
    assert not ahead.hold("other", ("control", "other", "stop", {}))
    assert ahead.ready() == []  # still compiling: the loop trains the others meanwhile
    assert ahead.pending and not cache.has("8-5")
    gate.set()
    started = []
    wait_until(lambda: started.extend(ahead.ready()) or started, 30, 0.01, "the compile to end")
    (run,) = started
    assert (run.run_id, run.config_dict, run.received) == ("r1", {"hidden_layers": [8, 5]}, 1.0)
    assert [m[2] for m in run.controls] == ["pause", "stop"]
    assert cache.has("8-5") and not ahead.pending
    ahead.close()


def test_a_failed_compile_still_releases_the_run_to_start_and_report():
    cache = FakeCache(set())

    def broken(config: str) -> str:
        raise RuntimeError("no XLA today")

    ahead = CompileAhead(cache.has, broken, cache.adopt)
    ahead.submit("r2", "bad", {}, {}, 0.0)
    started = []
    wait_until(lambda: started.extend(ahead.ready()) or started, 30, 0.01, "the compile to fail")
    assert [p.run_id for p in started] == ["r2"] and not cache.has("bad")
    ahead.close()


def test_a_run_stopped_while_compiling_ends_at_once_and_its_copy_still_reaches_the_cache():
    cache = FakeCache(set())
    gate = threading.Event()
    ahead = CompileAhead(cache.has, lambda c: gate.wait(30) and f"compiled {c}", cache.adopt)
    ahead.submit("r3", "8-5", {}, {}, 0.0)
    assert ahead.drop("r3") and not ahead.drop("r3")
    assert not ahead.pending and not ahead.hold("r3", ("control", "r3", "pause", {}))
    gate.set()
    wait_until(lambda: ahead.ready() == [] and cache.has("8-5"), 30, 0.01, "the orphan copy in the cache")
    ahead.close()
