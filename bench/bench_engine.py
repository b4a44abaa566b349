"""Engine benchmark: trainer epochs/s versus a naive fit-per-epoch loop, frame cost, first frame, RSS.

Runs like a training worker (one TF thread). Prints a table and writes bench/results/engine.json.
Usage: python bench/bench_engine.py [--quick]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ALL = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
PRESETS = {
    "day65": {"dataset": "spiral", "features": ALL, "hidden_layers": [8], "epochs": 500},
    "tfp_default": {"dataset": "circle", "features": ["x1", "x2"], "hidden_layers": [4, 2], "epochs": 500},
    "deep_6x8": {"dataset": "spiral", "features": ALL, "hidden_layers": [8] * 6, "epochs": 500},
}


def cold_first_frame() -> dict:
    """A fresh process: import TF, build, trace and compile, first frame (what a worker's start costs)."""
    code = (
        "import time; t=time.perf_counter();"
        "from app.engine.trainer import Trainer; from app.config.run_config import RunConfig; t1=time.perf_counter();"
        "tr=Trainer(RunConfig()); tr.train_epoch(); tr.frame(); t2=time.perf_counter();"
        "print(t1-t, t2-t1)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    imp, first = (float(v) for v in out.stdout.split()[-2:])
    return {"import_s": round(imp, 2), "first_frame_after_import_s": round(first, 2), "total_s": round(imp + first, 2)}


def naive_epochs_per_s(config, epochs: int) -> float:
    """One model.fit(epochs=1) plus evaluate on train and test per epoch: the slow streaming loop."""
    import keras

    from app.data import datasets, features
    from app.engine.model import build_model, make_optimizer, output_spec

    split = datasets.make(config.dataset, config.n_samples, config.noise, config.train_ratio, config.seed)
    x, xt = features.transform(split.x_train, config.features), features.transform(split.x_test, config.features)
    model = build_model(config)
    model.compile(make_optimizer(config), output_spec(config)[1])
    model.fit(x, split.y_train, batch_size=config.batch_size, epochs=1, verbose=0)  # warm-up
    start = time.perf_counter()
    for _ in range(epochs):
        model.fit(x, split.y_train, batch_size=config.batch_size, epochs=1, verbose=0)
        model.evaluate(x, split.y_train, verbose=0)
        model.evaluate(xt, split.y_test, verbose=0)
    keras.backend.clear_session()
    return epochs / (time.perf_counter() - start)


def main() -> None:
    quick = "--quick" in sys.argv
    results: dict = {"cold_start": cold_first_frame()}

    from app.config.run_config import RunConfig
    from app.engine.trainer import ModelCache, Trainer, warm_up

    cache = ModelCache()
    t = time.perf_counter()
    warm_up(cache)
    results["warm_up_s"] = round(time.perf_counter() - t, 2)

    for name, overrides in PRESETS.items():
        config = RunConfig(**overrides)
        t = time.perf_counter()
        trainer = Trainer(config, cache)
        trainer.train_epoch()
        trainer.frame()
        first = time.perf_counter() - t
        t = time.perf_counter()
        for _ in range(config.epochs - 1):
            trainer.train_epoch()
        eps = (config.epochs - 1) / (time.perf_counter() - t)
        t = time.perf_counter()
        for _ in range(50):
            trainer.frame()
        frame_ms = (time.perf_counter() - t) / 50 * 1000
        final = trainer.last
        trainer.close()
        # Warm first frame: same architecture again, compiled code from the cache.
        t = time.perf_counter()
        again = Trainer(config, cache)
        again.train_epoch()
        again.frame()
        warm_first = time.perf_counter() - t
        again.close()
        results[name] = {
            "epochs_per_s": round(eps, 1),
            "frame_ms": round(frame_ms, 2),
            "first_frame_new_architecture_s": round(first, 3),
            "first_frame_cached_architecture_s": round(warm_first, 3),
            "final_test_loss": final["test_loss"],
            "final_test_accuracy": final["test_accuracy"],
        }
    # A worker's RSS: everything above is what a training worker does; the naive loop below is not.
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    for name, overrides in PRESETS.items():
        naive = naive_epochs_per_s(RunConfig(**overrides), 5 if quick else 20)
        results[name]["naive_fit_epochs_per_s"] = round(naive, 2)
        results[name]["speedup_vs_naive"] = round(results[name]["epochs_per_s"] / naive, 1)

    print(f"cold start (fresh process): {results['cold_start']}")
    print(f"warm-up of default architectures: {results['warm_up_s']} s")
    print(f"{'preset':<12}{'epochs/s':>10}{'naive/s':>9}{'ratio':>8}{'frame ms':>10}", end="")
    print(f"{'1st new s':>11}{'1st warm s':>11}")
    for name in PRESETS:
        r = results[name]
        print(
            f"{name:<12}{r['epochs_per_s']:>10}{r['naive_fit_epochs_per_s']:>9}{r['speedup_vs_naive']:>8}"
            f"{r['frame_ms']:>10}{r['first_frame_new_architecture_s']:>11}{r['first_frame_cached_architecture_s']:>11}"
        )
    print(f"peak RSS of a worker-like process (before the naive loop): {results['peak_rss_mb']} MB")
    out = ROOT / "bench" / "results" / "engine.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
