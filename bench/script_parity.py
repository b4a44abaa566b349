"""Issue 24's table, re-measured: the playground's run and its exported script.py, seeds 1-4.

Day-65 preset in Keras mode (spiral, 7 features, [8], tanh, SGD 0.03, batch 10), 300 epochs.
The run trains in this process with the engine; each exported script runs as a learner runs it
(`python script.py`, a subprocess). Prints a Markdown table and writes bench/results/script_parity.json.
Usage: python bench/script_parity.py [--epochs N] [--seeds 1 2 3 4]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run_engine(config) -> dict:
    """The playground's run: epochs until a stop reason, then its summary's figures."""
    from app.engine.trainer import Trainer

    start = time.perf_counter()
    trainer = Trainer(config)
    while trainer.stop_reason is None:
        trainer.train_epoch()
    summary = trainer.summary()
    return {"epochs": summary["epochs"], "train_loss": summary["train_loss"], "test_loss": summary["test_loss"],
            "seconds": round(time.perf_counter() - start, 2)}


def run_script(config) -> dict:
    """The exported script, run as a learner runs it; the figures it prints."""
    from app.share.codegen import python_script

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "script.py").write_text(python_script(config), encoding="utf-8")
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "script.py"], cwd=tmp, capture_output=True, text=True, check=True,
                             env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}).stdout
    losses = re.search(r"train loss: (\S+) test loss: (\S+)", out)
    return {"epochs": int(re.search(r"epochs run: (\d+)", out).group(1)), "train_loss": float(losses.group(1)),
            "test_loss": float(losses.group(2)), "seconds": round(time.perf_counter() - start, 2)}


def main() -> None:
    from app.config.lessons import DAY65
    from app.config.parse import parse_config

    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        config = parse_config({**DAY65, "mode": "keras", "epochs": args.epochs, "seed": seed})
        run, script = run_engine(config), run_script(config)
        rows.append({"seed": seed, "run": run, "script": script,
                     "test_loss_difference": abs(run["test_loss"] - script["test_loss"])})
    print(f"Day-65 preset, keras mode, {args.epochs} epochs\n")
    print("| seed | the playground's run, test loss | its exported `script.py` (Keras `fit`), test loss | difference |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['seed']} | {r['run']['test_loss']:.6f} | {r['script']['test_loss']:.6f} "
              f"| {r['test_loss_difference']:.1e} |")
    mean = {k: sum(r[k]["test_loss"] for r in rows) / len(rows) for k in ("run", "script")}
    print(f"| mean | **{mean['run']:.3f}** | **{mean['script']:.3f}** | |")
    out = ROOT / "bench" / "results" / "script_parity.json"
    out.write_text(json.dumps({"preset": "day65, mode keras", "epochs": args.epochs, "rows": rows, "mean": mean},
                              indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
