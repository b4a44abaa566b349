"""Where a learner's CPU goes: an epoch, a frame's grids, its JSON encoding, its SSE formatting, per learner.

One process like a training worker (one TF thread), the Day-65 lesson preset: the mean time of an epoch
(training), of `Trainer.frame()` (the boundary and neuron grids through the network, quantized, base64:
"grids"), of the JSON text of that frame (app/runner/active_run.dumps: "encoding"), and of the web
process's share (app/web/streaming.format_event and the bytes written: "streaming"). Then the cost per
learner per second at the default pace and at 25 and 10 frames/s. JSON in bench/results/frame_breakdown.json.

Usage: python bench/frame_breakdown.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from app.config.bounds import DEFAULT_PACE  # noqa: E402
from app.config.lessons import DAY65  # noqa: E402
from app.config.run_config import RunConfig  # noqa: E402
from app.runner.active_run import dumps  # noqa: E402
from app.runner.spawn import single_threaded_tensorflow  # noqa: E402
from app.web.streaming import format_event  # noqa: E402

OUT = ROOT / "bench" / "results" / "frame_breakdown.json"


def mean_seconds(fn: Any, seconds: float) -> float:
    """Mean wall time of fn() called repeatedly for about `seconds`."""
    fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    single_threaded_tensorflow()
    from app.engine.trainer import Trainer

    trainer = Trainer(RunConfig(**{**DAY65, "epochs": 50_000}))
    epoch = mean_seconds(trainer.train_epoch, args.seconds)
    grids = mean_seconds(trainer.frame, args.seconds)
    payload = trainer.frame()
    text = dumps(payload)
    encoding = mean_seconds(lambda: dumps(payload), args.seconds)
    streaming = mean_seconds(lambda: format_event(12345, "frame", text).encode(), args.seconds)
    ms = {"training_per_epoch": epoch * 1e3, "grids_per_frame": grids * 1e3, "encoding_per_frame": encoding * 1e3,
          "streaming_per_frame": streaming * 1e3}
    frame_ms = ms["grids_per_frame"] + ms["encoding_per_frame"] + ms["streaming_per_frame"]
    per_learner = {
        f"{fps}_fps": {
            "training_ms_per_s": round(DEFAULT_PACE * ms["training_per_epoch"], 1),
            "frames_ms_per_s": round(fps * frame_ms, 1),
            "learners_per_core": round(1000 / (DEFAULT_PACE * ms["training_per_epoch"] + fps * frame_ms), 1),
        }
        for fps in (25, 10)
    }
    result = {"preset": "day65 lesson", "pace": DEFAULT_PACE, "ms": {k: round(v, 3) for k, v in ms.items()},
              "frame_bytes": len(format_event(12345, "frame", text).encode()), "per_learner": per_learner}
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
