"""The training loop with a new architecture: the run waits for its compile beside the loop, controls held.

Drives app/runner/worker.Worker directly with a fake engine (no TensorFlow): what reaches the web process.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from app.runner.worker import Worker
from tests.conftest import wait_until


class FakeTrainer:
    """Enough of app.engine.trainer.Trainer for the loop: epochs, frames, close."""

    def __init__(self, config: Any, cache: Any) -> None:
        self.config, self.cache, self.epoch = config, cache, 0
        self.compiled = cache.acquire(config) if cache is not None else Engine.compile(config)
        self.diverged, self.stop_reason = False, None

    def train_epoch(self) -> dict:
        self.epoch += 1
        return {}

    def frame(self) -> dict:
        return {"epoch": self.epoch}

    def summary(self) -> dict:
        return {"epochs": self.epoch}

    def get_weights(self) -> list:
        return []

    def close(self) -> None:
        if self.cache is not None:
            self.cache.release(self.config, self.compiled)


class Engine:
    """A fake engine whose compile waits for the test to let it finish."""

    gate = threading.Event()
    compiled_in: list[str] = []
    Trainer = FakeTrainer
    WARM_CONFIGS = ()

    @classmethod
    def compile(cls, config: Any) -> str:
        cls.compiled_in.append(threading.current_thread().name)
        assert cls.gate.wait(30)
        return f"compiled {config.hidden_layers}"


class Cache:
    """One compiled model per shape, shared by its runs (as app.engine.compiled.ModelCache keeps them)."""

    def __init__(self) -> None:
        self.models: dict[str, Any] = {}
        self.users: dict[str, int] = {}

    def key(self, config: Any) -> str:
        return str(config.hidden_layers)

    def has(self, config: Any) -> bool:
        return self.key(config) in self.models

    def acquire(self, config: Any) -> Any:
        assert self.has(config), "the loop must never compile"
        self.users[self.key(config)] = self.users.get(self.key(config), 0) + 1
        return self.models[self.key(config)]

    def adopt(self, config: Any, compiled: Any) -> None:
        self.models.setdefault(self.key(config), compiled)

    def release(self, config: Any, compiled: Any) -> None:
        self.users[self.key(config)] -= 1

    def __len__(self) -> int:
        return len(self.models)


class Out:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []

    def send(self, message: tuple) -> None:
        if message[0] == "event":
            self.events.append((message[1], message[2], json.loads(message[3])))


def make_worker() -> tuple[Worker, Out]:
    Engine.gate.clear()
    Engine.compiled_in.clear()
    out = Out()
    return Worker(0, None, out, Cache(), Engine, {}), out


def finish_compiles(worker: Worker) -> None:
    Engine.gate.set()

    def started_all() -> bool:
        for pending in worker.compiler.ready():
            worker._started(pending)
        return not worker.compiler.busy

    wait_until(started_all, 30, 0.01, "the compile thread")


def test_a_new_architecture_compiles_off_the_loop_then_starts_with_its_held_controls():
    worker, out = make_worker()
    worker._handle(("start", "r1", {"hidden_layers": [8, 5]}, {}))
    worker._handle(("control", "r1", "pause", {}))
    assert "r1" not in worker.runs and "r1" in worker.compiler.pending  # the loop is free meanwhile
    assert out.events == []
    finish_compiles(worker)
    assert Engine.compiled_in == ["kp-compile_0"]
    assert worker.runs["r1"].paused
    assert [(e[0], e[1]) for e in out.events] == [("r1", "started"), ("r1", "state")]
    assert out.events[1][2]["state"] == "paused"
    worker.compiler.close()


def test_a_run_stopped_while_compiling_is_done_at_once():
    worker, out = make_worker()
    worker._handle(("start", "r2", {"hidden_layers": [3]}, {}))
    worker._handle(("control", "r2", "stop", {}))
    assert out.events == [("r2", "done", {"epochs": 0, "reason": "stopped", "train_loss": None, "test_loss": None,
                                          "train_accuracy": None, "test_accuracy": None, "elapsed": 0.0})]
    finish_compiles(worker)
    assert "r2" not in worker.runs and worker.cache.models == {"[3]": "compiled [3]"}  # kept for the next run
    worker._handle(("start", "r3", {"hidden_layers": [3]}, {}))
    assert "r3" in worker.runs  # compiled already: no compile, no wait
    worker.compiler.close()


def test_runs_of_one_new_shape_wait_for_one_compile_and_share_its_model():
    worker, out = make_worker()
    for run_id in ("a", "b", "c"):
        worker._handle(("start", run_id, {"hidden_layers": [6, 6]}, {}))
    assert set(worker.compiler.pending) == {"a", "b", "c"}
    finish_compiles(worker)
    assert Engine.compiled_in == ["kp-compile_0"]  # one compile for the three
    assert {worker.runs[r].trainer.compiled for r in "abc"} == {"compiled [6, 6]"}
    assert worker.cache.users == {"[6, 6]": 3}
    assert [e[:2] for e in out.events] == [("a", "started"), ("b", "started"), ("c", "started")]
    worker.compiler.close()


def test_a_run_that_fails_lets_go_of_the_shared_model():
    worker, out = make_worker()
    worker.cache.adopt(type("C", (), {"hidden_layers": [2]})(), "compiled [2]")
    worker._handle(("start", "f", {"hidden_layers": [2]}, {}))
    worker._handle(("start", "g", {"hidden_layers": [2]}, {}))
    assert worker.cache.users == {"[2]": 2}
    worker.runs["f"].fail(RuntimeError("boom"))
    assert worker.cache.users == {"[2]": 1}  # the other run of the shape keeps it; the failed one is gone
    assert out.events[-1][:2] == ("f", "error")
    worker.compiler.close()
