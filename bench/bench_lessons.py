"""What each lesson preset shows, measured: every compared setting trained over fixed seeds.

Trains each lesson's comparison (app/lessons.py) with the real trainer, like a worker (one TF thread),
for the lesson's epochs (or until early stopping), over a few fixed seeds. Prints a table of mean ± std
final test loss, test accuracy, epochs run, instability (std of the test loss over the last 50 epochs)
and seconds, and writes bench/results/lessons.json.
Usage: python bench/bench_lessons.py [--repeats N] [--lesson ID ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEEDS = (1, 2, 3, 4, 5)
TAIL = 50  # epochs over which instability is measured


def train_once(config, cache) -> dict:
    """One run to its end: final figures, epochs run, and the spread of the test loss near the end."""
    from app.engine.trainer import Trainer

    trainer = Trainer(config, cache)
    test_losses: list[float] = []
    start = time.perf_counter()
    diverged = False
    while trainer.stop_reason is None:
        metrics = trainer.train_epoch()
        if trainer.diverged:
            diverged = True
            break
        test_losses.append(metrics["test_loss"])
    seconds = time.perf_counter() - start
    summary = trainer.summary() if not diverged else {}
    trainer.close()
    tail = test_losses[-TAIL:]
    return {
        "test_loss": None if diverged else summary["test_loss"],
        "test_accuracy": None if diverged else summary.get("test_accuracy"),
        "epochs": trainer.epoch,
        "instability": statistics.pstdev(tail) if len(tail) > 1 else 0.0,
        "seconds": seconds,
        "diverged": diverged,
    }


def _stats(values: list) -> dict | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"mean": statistics.fmean(values), "std": statistics.pstdev(values) if len(values) > 1 else 0.0}


def label(lesson: dict, value) -> str:
    """A short name for a compared value."""
    if lesson["compare"].get("overrides"):
        return " ".join(f"{v}" for v in value.values())
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items() if k != "restore_best_weights")
    return str(value)


def measure(lesson: dict, repeats: int) -> list[dict]:
    """Every compared value of a lesson over `repeats` seeds."""
    from app.config.lessons import lesson_configs
    from app.engine.trainer import ModelCache

    cache = ModelCache()  # same architecture, other seed: reuse the traced model (as a worker does)
    rows = []
    for value, config in zip(lesson["compare"]["values"], lesson_configs(lesson), strict=True):
        runs = [train_once(config.model_copy(update={"seed": seed}), cache) for seed in SEEDS[:repeats]]
        rows.append({
            "value": label(lesson, value),
            "runs": runs,
            **{k: _stats([r[k] for r in runs]) for k in ("test_loss", "test_accuracy", "epochs", "instability",
                                                          "seconds")},
            "diverged": sum(r["diverged"] for r in runs),
        })
    return rows


def fmt(s: dict | None, digits: int = 3) -> str:
    return "—" if s is None else f"{s['mean']:.{digits}f} ± {s['std']:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help=f"seeds per setting (at most {len(SEEDS)})")
    parser.add_argument("--lesson", action="append", help="only these lesson ids (repeatable)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "lessons.json"))
    args = parser.parse_args()
    from app.config.lessons import LESSONS

    lessons = [lesson for lesson in LESSONS if not args.lesson or lesson["id"] in args.lesson]
    results = {"seeds": list(SEEDS[: args.repeats]), "lessons": []}
    out = Path(args.out)
    if args.lesson and out.exists():  # measure some lessons again: keep the others' figures
        kept = json.loads(out.read_text(encoding="utf-8"))
        if kept.get("seeds") == results["seeds"]:
            results["lessons"] = [row for row in kept["lessons"] if row["id"] not in args.lesson]
    print(f"{'lesson':28} {'value':26} {'test loss':>17} {'test acc':>17} {'epochs':>15} {'instability':>15} "
          f"{'seconds':>13} div")
    for lesson in lessons:
        rows = measure(lesson, args.repeats)
        results["lessons"].append({"id": lesson["id"], "field": lesson["compare"]["field"], "rows": rows})
        order = [lesson["id"] for lesson in LESSONS]
        results["lessons"].sort(key=lambda row: order.index(row["id"]) if row["id"] in order else len(order))
        for row in rows:
            print(f"{lesson['id']:28} {row['value']:26} {fmt(row['test_loss']):>17} {fmt(row['test_accuracy']):>17} "
                  f"{fmt(row['epochs'], 0):>15} {fmt(row['instability']):>15} {fmt(row['seconds'], 1):>13} "
                  f"{row['diverged']}", flush=True)
        out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
