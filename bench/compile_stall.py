"""The compile stall: how long running runs get no epoch while their training process meets a new architecture.

One training worker loop (app/runner/worker.py) is driven in this process, as a spawned worker would be,
through a scripted control pipe: RUNNING runs of the Day-65 lesson preset at the default pace, then, every
PERIOD seconds, a run of an architecture the process has never seen (learners pressing + and −). Each epoch
of every run is timed; the stall is the longest gap between two epochs of an already-running run, beside
the same gap with no new architecture. JSON in bench/results/compile_stall.json
(one entry per --label).

Usage: python bench/compile_stall.py [--label before|after] [--running 4] [--new 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from app.config.lessons import DAY65  # noqa: E402
from app.runner.spawn import single_threaded_tensorflow  # noqa: E402

OUT = ROOT / "bench" / "results" / "compile_stall.json"
PERIOD = 3.0  # seconds between two new architectures
TAIL = 15.0  # seconds after the last one, so that every new run has started
NEW_SHAPES = [[8, 5], [6, 6, 3], [7], [5, 5, 5], [3, 8], [8, 8, 2]]


class ScriptedPipe:
    """The worker's control pipe, fed from a timed script; EOF when the script and its tail are over."""

    def __init__(self, script: list[tuple[float, tuple]], end: float) -> None:
        self.script = sorted(script, key=lambda item: item[0])
        self.end = end

    def poll(self, timeout: float = 0.0) -> bool:
        now = time.monotonic()
        if now >= self.end:
            raise EOFError
        if self.script and self.script[0][0] <= now + timeout:
            time.sleep(max(0.0, self.script[0][0] - now))
            return True
        time.sleep(timeout)
        return False

    def recv(self) -> tuple:
        return self.script.pop(0)[1]


class Sink:
    """The worker's output pipe: everything is dropped."""

    def send(self, message: tuple) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", default="now")
    parser.add_argument("--running", type=int, default=4)
    parser.add_argument("--new", type=int, default=4)
    args = parser.parse_args()
    single_threaded_tensorflow()
    from app.engine import trainer as engine
    from app.runner.worker import Worker

    epochs: dict[int, list[float]] = defaultdict(list)
    firsts: dict[tuple, float] = {}

    class TimedTrainer(engine.Trainer):
        def train_epoch(self) -> dict[str, Any]:
            out = super().train_epoch()
            epochs[id(self)].append(time.monotonic())
            if self.cache is not None and self.epoch == 1:  # a run's first epoch (not the compile thread's)
                firsts.setdefault(tuple(self.config.hidden_layers), time.monotonic())
            return out

    class Engine:
        Trainer = TimedTrainer
        ModelCache = engine.ModelCache
        WARM_CONFIGS = engine.WARM_CONFIGS

    cache = engine.ModelCache(max_entries=64)
    engine.warm_up(cache)
    trainers = [engine.Trainer(engine.RunConfig(**DAY65), cache) for _ in range(args.running)]  # warm copies,
    for trainer in trainers:  # one per running run, traced, as an idle worker prepares them
        trainer.train_epoch()
        trainer.frame()
        trainer.close()
    t0 = time.monotonic() + 0.5
    script = [(t0, ("start", f"r{i}", {**DAY65, "epochs": 50_000}, {})) for i in range(args.running)]
    quiet_until = t0 + 2 + PERIOD
    news = [(quiet_until + PERIOD * k, ("start", f"n{k}", {**DAY65, "hidden_layers": NEW_SHAPES[k % len(NEW_SHAPES)],
                                                          "epochs": 100}, {})) for k in range(args.new)]
    end = news[-1][0] + PERIOD + TAIL
    sink = Sink()
    worker = Worker(0, ScriptedPipe(script + news, end), sink, cache, Engine, {"copies": 0, "max_fps": 25})
    worker.serve()
    running = [times for times in list(epochs.values()) if times and times[0] < quiet_until]
    quiet, loaded = [], []
    for times in running:
        for a, b in zip(times, times[1:], strict=False):
            (quiet if b < quiet_until else loaded).append(b - a)
    shapes = [tuple(NEW_SHAPES[k % len(NEW_SHAPES)]) for k in range(args.new)]
    waits = [firsts[shape] - news[k][0] if shape in firsts else None for k, shape in enumerate(shapes)]
    result = {
        "label": args.label, "running": args.running, "new_architectures": args.new,
        "longest_gap_s_without_new": round(max(quiet), 3),
        "longest_gap_s_with_new": round(max(loaded), 3),
        "gaps_over_250ms_with_new": sum(g > 0.25 for g in loaded),
        "median_gap_s": round(statistics.median(quiet + loaded), 4),
        "epochs_per_s_per_running_run": round(statistics.fmean(
            len(t) / (t[-1] - t[0]) for t in running if len(t) > 1), 1),
        "new_run_first_epoch_s": [None if w is None else round(w, 3) for w in waits],
        "cpu_count": os.cpu_count(),
    }
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    results[args.label] = result
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
