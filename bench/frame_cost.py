"""Frame cost in both stream modes: bytes per frame and server CPU per frame (grids vs weights), Day-65 preset.

Runs like a training worker (one TF thread): builds the frame the worker sends (app/engine/drawing.py) and
encodes it as the worker does (app/runner/active_run.dumps), many times, after some epochs of training.
With node on the PATH it also times the page's forward pass (static/js/core/forward.js) on the same frame.
Weights frames carry fresh confusion matrices at most CONFUSION_INTERVAL apart (app/engine/drawing.py) and
repeat the last ones in between: the weights row is the average over a second at FRAMES_PER_S frames
(fresh ones as often as the interval allows, repeats for the rest); `fresh` and `repeat` give both kinds.
Prints a table and writes bench/results/frame_cost.json.
Usage: python bench/frame_cost.py [--frames N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FRAMES_PER_S = 25  # the page's rate at most (DESIGN.md: 20-30 frames a second)
ALL = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
PRESETS = {
    "day65": {"dataset": "spiral", "features": ALL, "hidden_layers": [8]},
    "day65_batch_norm": {"dataset": "spiral", "features": ALL, "hidden_layers": [8], "batch_norm": True},
    "tfp_default": {"dataset": "circle", "features": ["x1", "x2"], "hidden_layers": [4, 2]},
}
NODE_JS = """
const { computeGrids } = await import(process.argv[1]);
const frame = JSON.parse(await new Promise((resolve) => { let s = ""; process.stdin.on("data", (d) => (s += d));
  process.stdin.on("end", () => resolve(s)); }));
globalThis.btoa ??= (s) => Buffer.from(s, "binary").toString("base64");
for (let i = 0; i < 20; i++) computeGrids(frame);  // warm the JIT
const n = 200, start = process.cpuUsage();
for (let i = 0; i < n; i++) computeGrids(frame);
const used = process.cpuUsage(start);  // CPU, not wall time: the figure holds on a loaded machine
console.log(JSON.stringify({ ms_per_frame: (used.user + used.system) / 1000 / n }));
"""


def cpu_per_call(fn, n: int) -> tuple[float, float]:
    """Median process CPU and wall seconds of one call, over n calls (timed one by one)."""
    cpu, wall = [], []
    for _ in range(n):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def page_forward_ms(frame: dict) -> float | None:
    """CPU ms of the page's forward pass on this frame in node (V8, as Chromium), or None without node."""
    node = shutil.which("node")
    if node is None:
        return None
    module = (ROOT / "static/js/core/forward.js").as_uri()
    out = subprocess.run([node, "--input-type=module", "-e", NODE_JS, module], input=json.dumps(frame),
                         capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout)["ms_per_frame"]


def measure(name: str, overrides: dict, frames: int) -> dict:
    """Bytes and CPU per frame of one preset in both modes."""
    from app.config.run_config import RunConfig
    from app.engine import drawing
    from app.engine.trainer import Trainer
    from app.runner.active_run import dumps

    trainer = Trainer(RunConfig(**overrides))
    for _ in range(30):
        trainer.train_epoch()
    epoch_cpu, _ = cpu_per_call(trainer.train_epoch, frames)
    out: dict = {"preset": name, "config": overrides, "epoch_cpu_ms": round(epoch_cpu * 1000, 3)}
    for mode, grids in (("grids", True), ("weights", False)):
        for _ in range(5):
            dumps(trainer.frame(grids=grids))  # traced and warm
        build_cpu, _ = cpu_per_call(lambda g=grids: trainer.frame(grids=g), frames)
        total_cpu, total_wall = cpu_per_call(lambda g=grids: dumps(trainer.frame(grids=g)), frames)
        text = dumps(trainer.frame(grids=grids))
        out[mode] = {"bytes": len(text.encode()), "cpu_ms": round(total_cpu * 1000, 3),
                     "wall_ms": round(total_wall * 1000, 3), "build_cpu_ms": round(build_cpu * 1000, 3),
                     "encode_cpu_ms": round((total_cpu - build_cpu) * 1000, 3)}
        if not grids:
            out[mode].update(thinned(trainer, frames, drawing, dumps))
    frame = trainer.frame(grids=False)
    out["floats_in_weights"] = sum(len(layer["bias"]) + sum(len(row) for row in layer["kernel"])
                                   + sum(len(v) for k, v in layer.get("bn", {}).items() if k != "epsilon")
                                   for layer in frame["weights"])
    out["page_forward_ms"] = page_forward_ms(frame)
    trainer.close()
    return out


def thinned(trainer, frames: int, drawing, dumps) -> dict:
    """CPU ms of a weights frame with fresh confusion matrices, one repeating them, and their mix at FRAMES_PER_S."""
    fresh, _ = cpu_per_call(lambda: dumps(trainer.frame(grids=False, exact=True)), frames)
    clock = drawing._now
    drawing._now = lambda: 0.0  # the clock stands still: every frame after the first repeats the matrices
    try:
        trainer.frame(grids=False, exact=True)
        repeat, repeat_wall = cpu_per_call(lambda: dumps(trainer.frame(grids=False)), frames)
    finally:
        drawing._now = clock
    n_fresh = min(FRAMES_PER_S, 1 / drawing.CONFUSION_INTERVAL)
    mixed = (n_fresh * fresh + (FRAMES_PER_S - n_fresh) * repeat) / FRAMES_PER_S
    return {"cpu_ms": round(mixed * 1000, 3), "fresh_cpu_ms": round(fresh * 1000, 3),
            "repeat_cpu_ms": round(repeat * 1000, 3), "at_frames_per_s": FRAMES_PER_S}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300, help="frames timed per mode")
    args = parser.parse_args()
    results = [measure(name, overrides, args.frames) for name, overrides in PRESETS.items()]
    print(f"{'preset':18} {'mode':8} {'bytes':>7} {'cpu ms':>7} {'fresh':>7} {'repeat':>7}   page ms")
    for r in results:
        for mode in ("grids", "weights"):
            m = r[mode]
            page = f"{r['page_forward_ms']:.2f}" if mode == "weights" and r["page_forward_ms"] else ""
            split = f"{m['fresh_cpu_ms']:7.3f} {m['repeat_cpu_ms']:7.3f}" if "fresh_cpu_ms" in m else " " * 15
            print(f"{r['preset']:18} {mode:8} {m['bytes']:7d} {m['cpu_ms']:7.3f} {split}   {page}")
        print(f"{'':18} epoch cpu {r['epoch_cpu_ms']:.3f} ms, {r['floats_in_weights']} floats of weights")
    path = ROOT / "bench/results/frame_cost.json"
    path.write_text(json.dumps({"cpus": os.cpu_count(), "frames_timed": args.frames, "results": results}, indent=1)
                    + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
