"""The course's dropout experiment on Sonar: 10-fold stratified CV of the three configurations.

Each fold fits StandardScaler + the Keras MLP on its training rows only (app/lab_folds.py), as a
lab worker does, one TensorFlow thread. Prints mean ± std accuracy per configuration and writes
bench/results/lab.json. Usage: python bench/lab_sonar.py [--folds K] [--epochs N]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=None, help="override every configuration's 300 epochs")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from app.lab import worker as lab_worker

    lab_worker.init()
    import numpy as np

    from app.lab.folds import load, run_fold, splits
    from app.lab.jobs import summarize
    from app.lab.model import KerasMLP
    from app.lab.plan import LabJob

    job = LabJob(folds=args.folds, seed=args.seed)
    x, y, classes = load("sonar")
    folds = splits(y, job.folds, job.seed)
    out = {"dataset": "sonar", "rows": len(y), "features": x.shape[1], "classes": classes, "folds": job.folds,
           "seed": job.seed, "python": platform.python_version(), "configs": []}
    for config in job.configs:
        params = config.estimator_params()
        if args.epochs:
            params["epochs"] = args.epochs
        start = time.perf_counter()
        results = [run_fold(x, y, train, test, KerasMLP(**{**params, "seed": job.seed + f}))[0]
                   for f, (train, test) in enumerate(folds)]
        summary = summarize(results)
        row = {"name": config.name, "settings": {**config.model_dump(), "epochs": params["epochs"]},
               "accuracy_mean": summary["mean"], "accuracy_std": summary["std"],
               "fold_accuracy": [r["accuracy"] for r in results],
               "train_accuracy_mean": round(float(np.mean([r["train_accuracy"] for r in results])), 4),
               "seconds": round(time.perf_counter() - start, 1)}
        out["configs"].append(row)
        print(f"{config.name:32s} {100 * summary['mean']:.2f}% (± {100 * summary['std']:.2f}%)  "
              f"train {100 * row['train_accuracy_mean']:.1f}%  {row['seconds']} s", flush=True)
    target = ROOT / "bench" / "results" / "lab.json"
    target.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"written {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
