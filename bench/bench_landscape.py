"""Loss-landscape benchmark: the cost of one landscape in a training process (one TF thread), cold and warm.

Cold: the first landscape of an architecture in a fresh process (the compiled call is traced); warm: after the
worker's idle-time prewarm (app/runner/landscape_keeper.py), what a learner waits for. Writes
bench/results/landscape.json. Usage: python bench/bench_landscape.py [--repeats N]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import PRESETS, ROOT  # noqa: E402,F401  (one TF thread, the same three presets, ROOT on sys.path)

EPOCHS = 300


def measure(name: str, overrides: dict, repeats: int) -> dict:
    """Train a run like a worker does (keeping its path), then time its 41 × 41 landscape."""
    from app.config.run_config import RunConfig
    from app.engine.trainer import Trainer
    from app.runner.landscape_keeper import LandscapeKeeper

    config = RunConfig(**overrides)
    trainer, keeper = Trainer(config), LandscapeKeeper()
    keeper.begin(name, trainer)
    for _ in range(EPOCHS):
        trainer.train_epoch()
        keeper.observe(name)
    times = []
    for seed in range(repeats + 1):
        start = time.perf_counter()
        reply = keeper.compute(name, {"resolution": 41, "span": 1.0, "seed": seed})
        times.append(time.perf_counter() - start)
        assert "result" in reply, reply
    trainer.close()
    return {"preset": name, "parameters": reply["result"]["parameters"], "path": len(reply["result"]["path"]),
            "cold_s": round(times[0], 3), "warm_median_s": round(statistics.median(times[1:]), 3),
            "warm_max_s": round(max(times[1:]), 3)}


def main() -> None:
    from app.runner.spawn import single_threaded_tensorflow

    single_threaded_tensorflow()
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 5
    rows = [measure(name, overrides, repeats) for name, overrides in PRESETS.items()]
    print(f"{'preset':12} {'params':>6} {'path':>4} {'cold s':>7} {'warm s':>7} {'max s':>6}")
    for r in rows:
        print(f"{r['preset']:12} {r['parameters']:>6} {r['path']:>4} {r['cold_s']:>7} {r['warm_median_s']:>7} "
              f"{r['warm_max_s']:>6}")
    out = ROOT / "bench" / "results" / "landscape.json"
    out.write_text(json.dumps({"load_average": os.getloadavg(), "cpus": os.cpu_count(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
